package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code fr1 down MOUNTPOINT MEMBER}: for scripts that know a member's link is gone. */
@Command(name = "down", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Report a member unreachable, for scripts and agents that know before fr1 does (a VPN dropped, "
                        + "an nbd client lost its server). The member is failed at once, without waiting for an I/O "
                        + "error or timeout, and the health prober leaves it alone until 'fr1 up'."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 down /mnt/vm /nfs/b.img       # e.g. from a NetworkManager dispatcher script"})
final class DownCommand implements Callable<Integer> {

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
        MountClients.forMountpoint(parent.paths(), mountpoint).call(MountClients.request(spec, () -> new Request.Down(member)));
        return ExitCodes.OK;
    }
}
