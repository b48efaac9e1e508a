package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;

/** {@code fr1 up MOUNTPOINT MEMBER}: the counterpart of {@code fr1 down}. */
@Command(name = "up", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Report a member reachable again (after 'fr1 down', or to skip the prober's back-off). fr1 probes "
                        + "it now; if its metadata shows it is this array's, it is re-added and gets the chunks it "
                        + "missed. Returns at once; see 'fr1 status' or 'fr1 wait'."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 up /mnt/vm /nfs/b.img && sleep 1 && fr1 wait /mnt/vm"})
final class UpCommand extends MemberCommand {

    @Override
    Request request() {
        return new Request.Up(member);
    }

    @Override
    String done() {
        return null;
    }
}
