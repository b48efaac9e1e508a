package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code fr1 fail MOUNTPOINT MEMBER}. */
@Command(name = "fail", aliases = "raidsetfaulty", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Mark a member faulty, as if it had failed (mdadm --fail). The array goes on with the other "
                        + "members; every chunk written from now on is recorded in the member's missed set, so "
                        + "'fr1 add' later copies only those."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 fail /mnt/vm 1              # by index", "  fr1 fail /mnt/vm /nfs/b.img     # by path"})
final class FailCommand implements Callable<Integer> {

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
        MountClients.forMountpoint(parent.paths(), mountpoint).call(MountClients.request(spec, () -> new Request.Fail(member)));
        spec.commandLine().getErr().println("fr1: set " + member + " faulty in " + mountpoint);
        return ExitCodes.OK;
    }
}
