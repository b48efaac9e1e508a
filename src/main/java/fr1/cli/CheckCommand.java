package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code fr1 check [--wait] MOUNTPOINT}. */
@Command(name = "check", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Scrub: compare every chunk of the in-sync members, in the background and paced like a resync "
                        + "(-o resync-min/resync-max), while I/O goes on (md's 'echo check > sync_action'). "
                        + "Nothing is changed; 'fr1 repair' fixes what differs.",
                "",
                "Without --wait, returns once started; 'fr1 status' shows the progress and then the result "
                        + "('last check: ...'). With --wait, shows a progress bar on a terminal, prints each "
                        + "mismatched chunk on stdout (chunk number, byte offset, length) and exits 6 if there "
                        + "was any."},
        exitCodeListHeading = "%nExit status (with --wait):%n",
        exitCodeList = {"0:the members agree", "6:mismatches found (listed on stdout)",
                "other:as for every fr1 command (fr1 --help)"},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 check /mnt/vm                 # start it; fr1 status /mnt/vm shows it",
                "  fr1 check --wait /mnt/vm || fr1 repair --wait /mnt/vm 0"})
final class CheckCommand extends ScrubCommand {

    @Parameters(paramLabel = "MOUNTPOINT", description = MountClients.MOUNTPOINT_HELP)
    String mountpoint;

    @Override
    String mountpoint() {
        return mountpoint;
    }

    @Override
    Request.Check request() {
        return new Request.Check(false, null);
    }
}
