package fr1.it.faults;

import fr1.control.ControlClient;
import fr1.control.ControlPaths;
import fr1.control.StatusJson;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Polls a mount's status quickly and without running any fr1 command: the same {@code status json} request on the
 * same control socket that {@code fr1 status --json} sends, from inside the test, every 20 ms. Used to time how long
 * fr1 takes to notice a fault and to heal.
 */
public final class StatusWatch {

    private final ControlClient client;
    private StatusJson.Doc last;

    public StatusWatch(Path mountpoint) throws IOException {
        Path socket = ControlPaths.fromEnvironment().forMountpoint(mountpoint).socket();
        this.client = new ControlClient(socket, mountpoint.toString(), Duration.ofSeconds(2), Duration.ofSeconds(10));
    }

    public StatusJson.Doc status() throws IOException {
        last = StatusJson.read(client.call("status json"));
        return last;
    }

    public StatusJson.Doc last() {
        return last;
    }

    public static String state(StatusJson.Doc st, int member) {
        return st.members().get(member).state();
    }

    public static boolean inSyncAndIdle(StatusJson.Doc st, int member) {
        return "in_sync".equals(state(st, member)) && !st.resync().active();
    }

    /**
     * Polls until {@code done} holds; returns the time it held (System.nanoTime), failing after {@code timeout}.
     * {@code onEach} sees every status (e.g. to record the most missed chunks).
     */
    public long await(String what, Duration timeout, Predicate<StatusJson.Doc> done, java.util.function.Consumer<StatusJson.Doc> onEach)
            throws IOException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            StatusJson.Doc st = status();
            long now = System.nanoTime();
            onEach.accept(st);
            if (done.test(st)) {
                return now;
            }
            if (now > end) {
                throw new AssertionError(what + " did not happen within " + timeout.toSeconds() + " s; last status: "
                        + st);
            }
            Thread.sleep(20);
        }
    }

    public long await(String what, Duration timeout, Predicate<StatusJson.Doc> done) throws IOException, InterruptedException {
        return await(what, timeout, done, st -> { });
    }
}
