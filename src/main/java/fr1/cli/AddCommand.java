package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
final class AddCommand extends MemberCommand {

    @Option(names = "--full", description = "Copy every chunk, not only the missed ones (new or unknown members). "
            + "Only data moves: the source's holes and pages of zeros become holes on the new member.")
    boolean full;

    @Override
    Request request() {
        return new Request.Add(member, full);
    }

    @Override
    String done() {
        return "fr1: added " + member + " to " + mountpoint
                + (full ? " (full resync started)" : " (resync started)");
    }
}
