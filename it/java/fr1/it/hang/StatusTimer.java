package fr1.it.hang;

import fr1.control.ControlClient;
import fr1.control.ControlPaths;
import fr1.control.StatusJson;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

/**
 * Times {@code status json} on the mount's control socket (the request {@code fr1 status --json} sends), each with a
 * deadline of one second, so a frozen daemon shows up as failed polls instead of a hung test. Counts, per phase,
 * the polls, the slowest answer and the polls that got none.
 */
public final class StatusTimer {

    /** What the polls of one phase saw. */
    public static final class Phase {
        public int polls;
        public int unanswered;
        public long slowestMillis;
        public String firstProblem;

        public boolean allWithin(long millis) {
            return polls > 0 && unanswered == 0 && slowestMillis < millis;
        }

        @Override
        public String toString() {
            return polls + " status polls, " + unanswered + " unanswered within " + DEADLINE.toMillis()
                    + " ms, slowest " + slowestMillis + " ms" + (firstProblem == null ? "" : " (" + firstProblem + ")");
        }
    }

    public static final Duration DEADLINE = Duration.ofSeconds(1);

    private final ControlClient client;
    private StatusJson.Doc last;

    public StatusTimer(Path mountpoint) throws IOException {
        Path socket = ControlPaths.fromEnvironment().forMountpoint(mountpoint).socket();
        this.client = new ControlClient(socket, mountpoint.toString(), DEADLINE, DEADLINE);
    }

    /** One poll; the parsed status, or null if there was no answer within the deadline. */
    public StatusJson.Doc sample(Phase phase) {
        long t0 = System.nanoTime();
        try {
            last = StatusJson.read(client.call("status json"));
            return last;
        } catch (IOException | RuntimeException e) {
            if (phase != null) {
                phase.unanswered++;
                if (phase.firstProblem == null) {
                    phase.firstProblem = e.getMessage();
                }
            }
            return null;
        } finally {
            if (phase != null) {
                phase.polls++;
                phase.slowestMillis = Math.max(phase.slowestMillis, (System.nanoTime() - t0) / 1_000_000);
            }
        }
    }

    /** A status that must come: fails if the daemon does not answer within the deadline. */
    public StatusJson.Doc status() {
        Phase p = new Phase();
        StatusJson.Doc st = sample(p);
        if (st == null) {
            throw new AssertionError("fr1 status did not answer within " + DEADLINE.toMillis() + " ms: "
                    + p.firstProblem);
        }
        return st;
    }

    public StatusJson.Doc last() {
        return last;
    }

    /**
     * Polls every {@code everyMillis} until {@code f} is done (and once more after), recording into {@code phase};
     * stops early, returning true, once {@code giveUp} holds.
     */
    public boolean pollWhile(Future<?> f, Phase phase, long everyMillis, BooleanSupplier giveUp)
            throws InterruptedException {
        while (!f.isDone()) {
            sample(phase);
            if (giveUp.getAsBoolean()) {
                return true;
            }
            Thread.sleep(everyMillis);
        }
        sample(phase);
        return false;
    }

    public static String state(StatusJson.Doc st, int member) {
        return st.members().get(member).state();
    }

    public static boolean inSyncAndIdle(StatusJson.Doc st, int member) {
        return "in_sync".equals(state(st, member)) && !st.resync().active();
    }
}
