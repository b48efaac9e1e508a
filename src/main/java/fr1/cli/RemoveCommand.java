package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code fr1 remove MOUNTPOINT MEMBER}. */
@Command(name = "remove", aliases = "raidhotremove", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Remove a faulty member from the array (mdadm --remove). Its missed chunks are no longer tracked: "
                        + "bringing it back later needs a full resync ('fr1 add --full'). Fail it first with "
                        + "'fr1 fail' if it is still in sync."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 fail /mnt/vm 1 && fr1 remove /mnt/vm 1"})
final class RemoveCommand implements Callable<Integer> {

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Where the array is mounted.")
    String mountpoint;

    @Parameters(index = "1", paramLabel = "MEMBER", description = "The member: its index (see fr1 status) or its path.")
    String member;

    @Override
    public Integer call() throws Exception {
        MountClients.forMountpoint(parent.paths(), mountpoint).call(MountClients.request(spec, () -> new Request.Remove(member)));
        spec.commandLine().getErr().println("fr1: removed " + member + " from " + mountpoint);
        return ExitCodes.OK;
    }
}
