package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code fr1 add [--full] MOUNTPOINT MEMBER}. */
@Command(name = "add", aliases = "raidhotadd", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Bring a faulty member back, or add a new one, and start its resync in the background "
                        + "(mdadm --re-add / --add). A returning member gets only the chunks it missed; a path "
                        + "without this array's metadata needs --full. Use 'fr1 wait' to wait for the resync."},
        footerHeading = "%nExamples:%n",
        footer = {
                "  fr1 add /mnt/vm 1                          # member 1 is back: copy what it missed",
                "  fr1 add --full /mnt/vm /nfs/new.img && fr1 wait /mnt/vm"})
final class AddCommand implements Callable<Integer> {

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--full", description = "Copy every chunk, not only the missed ones (new or unknown members).")
    boolean full;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Where the array is mounted.")
    String mountpoint;

    @Parameters(index = "1", paramLabel = "MEMBER", description = "The member: its index, its path, or a new path.")
    String member;

    @Override
    public Integer call() throws Exception {
        MountClients.forMountpoint(parent.paths(), mountpoint).call(MountClients.request(spec, () -> new Request.Add(member, full)));
        spec.commandLine().getErr().println("fr1: added " + member + " to " + mountpoint
                + (full ? " (full resync started)" : " (resync started)"));
        return ExitCodes.OK;
    }
}
