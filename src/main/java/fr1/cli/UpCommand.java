package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code fr1 up MOUNTPOINT MEMBER}: the counterpart of {@code fr1 down}. */
@Command(name = "up", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Report a member reachable again (after 'fr1 down', or to skip the prober's back-off). fr1 probes "
                        + "it now; if its metadata shows it is this array's, it is re-added and gets the chunks it "
                        + "missed. Returns at once; see 'fr1 status' or 'fr1 wait'."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 up /mnt/vm /nfs/b.img && sleep 1 && fr1 wait /mnt/vm"})
final class UpCommand implements Callable<Integer> {

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
        MountClients.forMountpoint(parent.paths(), mountpoint).call(MountClients.request(spec, () -> new Request.Up(member)));
        return ExitCodes.OK;
    }
}
