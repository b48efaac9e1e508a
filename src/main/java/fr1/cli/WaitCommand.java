package fr1.cli;

import fr1.control.ControlClient;
import fr1.control.StatusText;
import fr1.engine.MemberState;
import fr1.engine.MirrorStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code fr1 wait MOUNTPOINT}. */
@Command(name = "wait", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Wait until no resync is running on the array and no member is recovering (mdadm --wait). "
                        + "On a terminal, shows the progress on stderr.",
                "",
                "With --caught-up (async mode), wait until every member holds every write acknowledged so far: "
                        + "write-behind queues empty, members that went behind caught up. A backup script runs "
                        + "it before taking a snapshot of a write-behind member. Fails at once (exit 3) if a "
                        + "member is faulty: it will not catch up until it is back."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 add /mnt/vm 1 && fr1 wait /mnt/vm && fr1 status /mnt/vm",
                "  fr1 wait --caught-up /mnt/vm && lvcreate -s ... /dev/nas/vm-mirror"})
final class WaitCommand implements Callable<Integer> {

    static final Duration POLL = Duration.ofMillis(500);

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MOUNTPOINT", description = MountClients.MOUNTPOINT_HELP)
    String mountpoint;

    @Option(names = "--caught-up", description = "Also wait until every member holds every acknowledged write "
            + "(async mode: write-behind queues drained, members that went behind caught up).")
    boolean caughtUp;

    @Override
    public Integer call() throws Exception {
        ControlClient client = MountClients.forMountpoint(parent.paths(), mountpoint);
        PrintWriter err = spec.commandLine().getErr();
        boolean tty = System.console() != null && System.console().isTerminal();
        boolean shown = false;
        try {
            for (MirrorStatus s = client.status(); busy(s) || caughtUp && behind(s); s = client.status()) {
                if (tty && s.resync().active()) {
                    // \r and erase-to-end-of-line: one progress line, rewritten in place.
                    err.print("\r" + StatusText.progressLine(s) + "\u001b[K");
                    err.flush();
                    shown = true;
                }
                Thread.sleep(POLL.toMillis());
            }
        } finally {
            if (shown) {
                err.println();
                err.flush();
            }
        }
        return ExitCodes.OK;
    }

    /**
     * A member lacks acknowledged writes (queued or recorded). A faulty member never catches up by waiting: that is
     * an error, not a wait.
     */
    static boolean behind(MirrorStatus s) {
        for (MirrorStatus.Member m : s.members()) {
            if (MemberState.FAULTY.label().equals(m.state()) || MemberState.SPLIT_BRAIN.label().equals(m.state())) {
                throw new CliException(ExitCodes.REFUSED, "member " + m.index() + " (" + m.path() + ") is "
                        + m.state() + ": it will not catch up until it is back");
            }
            if (m.lagWrites() > 0 || !m.lag().current()) {
                return true;
            }
        }
        return false;
    }

    /** A resync runs, or a member waits for one (it may not have started yet right after 'fr1 add'). */
    static boolean busy(MirrorStatus s) {
        return s.resync().active()
                || s.members().stream().anyMatch(m -> MemberState.RECOVERING.label().equals(m.state()));
    }
}
