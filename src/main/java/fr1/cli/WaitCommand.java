package fr1.cli;

import fr1.control.ControlClient;
import fr1.control.StatusText;
import fr1.engine.MemberState;
import fr1.engine.MirrorStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
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
                        + "On a terminal, shows the progress on stderr."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 add /mnt/vm 1 && fr1 wait /mnt/vm && fr1 status /mnt/vm"})
final class WaitCommand implements Callable<Integer> {

    static final Duration POLL = Duration.ofMillis(500);

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MOUNTPOINT", description = MountClients.MOUNTPOINT_HELP)
    String mountpoint;

    @Override
    public Integer call() throws Exception {
        ControlClient client = MountClients.forMountpoint(parent.paths(), mountpoint);
        PrintWriter err = spec.commandLine().getErr();
        boolean tty = System.console() != null && System.console().isTerminal();
        boolean shown = false;
        try {
            for (MirrorStatus s = client.status(); busy(s); s = client.status()) {
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

    /** A resync runs, or a member waits for one (it may not have started yet right after 'fr1 add'). */
    static boolean busy(MirrorStatus s) {
        return s.resync().active()
                || s.members().stream().anyMatch(m -> MemberState.RECOVERING.label().equals(m.state()));
    }
}
