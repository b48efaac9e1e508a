package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;

/** {@code fr1 fail MOUNTPOINT MEMBER}. */
@Command(name = "fail", aliases = "raidsetfaulty", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Mark a member faulty, as if it had failed (mdadm --fail). The array goes on with the other "
                        + "members; every chunk written from now on is recorded in the member's missed set, so "
                        + "'fr1 add' later copies only those."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 fail /mnt/vm 1              # by index", "  fr1 fail /mnt/vm /nfs/b.img     # by path"})
final class FailCommand extends MemberCommand {

    @Override
    Request request() {
        return new Request.Fail(member);
    }

    @Override
    String done() {
        return "fr1: set " + member + " faulty in " + mountpoint;
    }
}
