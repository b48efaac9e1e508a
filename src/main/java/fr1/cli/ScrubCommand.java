package fr1.cli;

import fr1.control.ControlClient;
import fr1.control.Request;
import fr1.control.StatusText;
import fr1.control.Units;
import fr1.engine.MirrorStatus;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code fr1 check} and {@code fr1 repair}: start the scrub of a mounted array; with {@code --wait}, follow it
 * (a progress bar on a terminal), then list the mismatched chunks on stdout and say how it went on stderr.
 * Exit status with --wait: 0 if the members agree (check) or every mismatch was repaired (repair), 6 if not.
 */
abstract class ScrubCommand implements Callable<Integer> {

    static final Duration POLL = Duration.ofMillis(500);

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Option(names = {"-w", "--wait"}, description = "Wait until it is done (progress bar on a terminal), list "
            + "the mismatched chunks, and exit 6 if the members differ (check) or some chunk is left "
            + "unrepaired (repair).")
    boolean await;

    abstract String mountpoint();

    abstract Request.Check request();

    @Override
    public final Integer call() throws Exception {
        String mnt = Raidtab.resolveMountpoint(mountpoint(), null, false);
        ControlClient client = MountClients.forMountpoint(parent.paths(), mnt);
        Request.Check request = (Request.Check) MountClients.request(spec, this::request);
        String what = request.repair() ? "repair" : "check";
        client.call(request);
        PrintWriter err = spec.commandLine().getErr();
        if (!await) {
            err.println("fr1: " + what + " of " + mnt + " started in the background ('fr1 status " + mnt
                    + "' shows its progress and result)");
            err.flush();
            return ExitCodes.OK;
        }
        MirrorStatus s = follow(client, err);
        return report(s, mnt, spec.commandLine().getOut(), err);
    }

    /** Polls until the scrub is over, with a progress line on a terminal; the last status. */
    static MirrorStatus follow(ControlClient client, PrintWriter err) throws Exception {
        Progress.Rate rate = new Progress.Rate();
        try (Progress line = Progress.onTerminal(err)) {
            MirrorStatus s = client.status();
            while (s.check().active()) {
                double r = rate.sample(System.nanoTime(), s.check().doneChunks() * (long) s.chunkSize());
                line.show(StatusText.checkLine(s, r));
                Thread.sleep(POLL.toMillis());
                s = client.status();
            }
            return s;
        }
    }

    /** Lists the mismatches (stdout), sums up (stderr), and gives the exit status. */
    static int report(MirrorStatus s, String mnt, PrintWriter out, PrintWriter err) {
        MirrorStatus.Check c = s.check();
        String what = c.repair() ? "repair" : "check";
        for (long chunk : c.firstMismatches()) {
            long offset = chunk * s.chunkSize();
            out.println("mismatch chunk " + chunk + " offset " + offset + " (" + Units.human(offset) + ") length "
                    + Math.min(s.chunkSize(), s.size() - offset));
        }
        if (c.mismatches() > c.firstMismatches().size()) {
            out.println("... " + (c.mismatches() - c.firstMismatches().size()) + " more mismatched chunks "
                    + "(only the first " + c.firstMismatches().size() + " are listed)");
        }
        out.flush();
        if (c.doneChunks() < c.totalChunks()) {
            throw new CliException(ExitCodes.IO, what + " of " + mnt + " stopped at chunk " + c.doneChunks()
                    + " of " + c.totalChunks() + " (a member failed or the array is closing; see fr1 status)");
        }
        String summary = "fr1: " + what + " of " + mnt + ": " + c.totalChunks() + " chunks compared, "
                + (c.mismatches() == 0 ? "no mismatches" : c.mismatches()
                + (c.mismatches() == 1 ? " mismatched chunk" : " mismatched chunks"))
                + (c.repair() && c.mismatches() > 0 ? ", " + c.repaired() + " repaired" : "");
        err.println(summary);
        err.flush();
        boolean bad = c.repair() ? c.repaired() < c.mismatches() : c.mismatches() > 0;
        return bad ? ExitCodes.MISMATCH : ExitCodes.OK;
    }
}
