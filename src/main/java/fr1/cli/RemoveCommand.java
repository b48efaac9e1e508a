package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;

/** {@code fr1 remove MOUNTPOINT MEMBER}. */
@Command(name = "remove", aliases = "raidhotremove", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Remove a faulty member from the array (mdadm --remove). Its missed chunks are no longer tracked: "
                        + "bringing it back later needs a full resync ('fr1 add --full'). Fail it first with "
                        + "'fr1 fail' if it is still in sync."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 fail /mnt/vm 1 && fr1 remove /mnt/vm 1"})
final class RemoveCommand extends MemberCommand {

    @Override
    Request request() {
        return new Request.Remove(member);
    }

    @Override
    String done() {
        return "fr1: removed " + member + " from " + mountpoint;
    }
}
