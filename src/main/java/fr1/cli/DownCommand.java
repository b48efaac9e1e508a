package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;

/** {@code fr1 down MOUNTPOINT MEMBER}: for scripts that know a member's link is gone. */
@Command(name = "down", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Report a member unreachable, for scripts and agents that know before fr1 does (a VPN dropped, "
                        + "an nbd client lost its server). The member is failed at once, without waiting for an I/O "
                        + "error or timeout, and the health prober leaves it alone until 'fr1 up'."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 down /mnt/vm /nfs/b.img       # e.g. from a NetworkManager dispatcher script"})
final class DownCommand extends MemberCommand {

    @Override
    Request request() {
        return new Request.Down(member);
    }

    @Override
    String done() {
        return null;
    }
}
