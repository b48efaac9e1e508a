package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code fr1 repair [--wait] MOUNTPOINT [MEMBER]}. */
@Command(name = "repair", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Scrub and repair: compare every chunk of the in-sync members as 'fr1 check' does, and rewrite "
                        + "each chunk whose copies differ from MEMBER's copy. Without MEMBER, from the copy a "
                        + "strict majority of members hold (needs 3 or more in-sync members; a chunk without a "
                        + "majority is left as it is and reported).",
                "",
                "Name the member you trust: for a RAID1 of two there is no majority, and fr1 cannot know which "
                        + "copy is right."},
        exitCodeListHeading = "%nExit status (with --wait):%n",
        exitCodeList = {"0:no mismatches, or every one repaired",
                "6:some mismatched chunk was left unrepaired (no majority, or a write failed)",
                "other:as for every fr1 command (fr1 --help)"},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 repair --wait /mnt/vm 0            # member 0's copy wins",
                "  fr1 repair /mnt/vm                      # majority of 3+ members"})
final class RepairCommand extends ScrubCommand {

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = MountClients.MOUNTPOINT_HELP)
    String mountpoint;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MEMBER",
            description = "The member whose copy is right: its index or path. Default: the majority.")
    String member;

    @Override
    String mountpoint() {
        return mountpoint;
    }

    @Override
    Request.Check request() {
        return new Request.Check(true, member);
    }
}
