package fr1.engine;

import java.io.IOException;
import java.util.concurrent.Future;

/**
 * "Do this on every member, wait for all with one deadline, tell me which failed" — the one place writes, flush,
 * superblock and bitmap writes and the resync's copies fan out to members. A member on a local file system whose
 * recent calls were quick is called on the caller's thread (a hand-off costs more than a 4 KiB write to tmpfs or a
 * page cache), the others on their own pools in parallel, started first so they overlap the inline calls. Inline
 * calls are timed by the {@link Watchdog}.
 */
final class FanOut {

    /** Inline only while the member's recent latency is below this: a slow disk is better handed off. */
    static final long INLINE_MAX_NANOS = 200_000;

    @FunctionalInterface
    interface Call {
        void run(Topology.Slot s) throws IOException;
    }

    private final long timeoutNanos;
    private final Watchdog watchdog;

    FanOut(long timeoutNanos, Watchdog watchdog) {
        this.timeoutNanos = timeoutNanos;
        this.watchdog = watchdog;
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    /**
     * Runs {@code call} on {@code targets[0..n)}.
     *
     * @return per target, the error it gave (a missed deadline is a {@link MemberTimeoutException}), or null
     */
    IOException[] run(Topology.Slot[] targets, int n, Call call) {
        IOException[] errors = new IOException[n];
        if (n == 1 && inline(targets[0])) {
            errors[0] = runInline(targets[0], call);
            return errors;
        }
        @SuppressWarnings("unchecked")
        Future<Void>[] futures = new Future[n];
        boolean anyInline = false;
        for (int i = 0; i < n; i++) {
            Topology.Slot s = targets[i];
            if (inline(s)) {
                anyInline = true;
                continue;
            }
            try {
                futures[i] = Calls.submit(s.io(), () -> {
                    timed(s, call);
                    return null;
                }, s.index());
            } catch (IOException e) {
                errors[i] = e;
            }
        }
        if (anyInline) {
            for (int i = 0; i < n; i++) {
                if (futures[i] == null && errors[i] == null) {
                    errors[i] = runInline(targets[i], call);
                }
            }
        }
        long deadline = System.nanoTime() + timeoutNanos;
        for (int i = 0; i < n; i++) {
            if (futures[i] != null) {
                try {
                    Calls.await(futures[i], deadline, targets[i].index());
                } catch (IOException e) {
                    errors[i] = e;
                }
            }
        }
        return errors;
    }

    /** One call to one member with the deadline (inline when it qualifies). */
    void one(Topology.Slot s, Call call) throws IOException {
        IOException e = run(new Topology.Slot[] {s}, 1, call)[0];
        if (e != null) {
            throw e;
        }
    }

    private boolean inline(Topology.Slot s) {
        return s.inline() && s.storage() != null && s.member().latencyNanos() < INLINE_MAX_NANOS;
    }

    private IOException runInline(Topology.Slot s, Call call) {
        Watchdog.Entry e = watchdog.start(s);
        IOException error = null;
        try {
            timed(s, call);
        } catch (IOException ex) {
            error = ex;
        } catch (RuntimeException ex) {
            error = new IOException("member " + s.index() + ": " + Mirror.reason(ex), ex);
        } finally {
            if (watchdog.end(e) && error == null) {
                error = new MemberTimeoutException("member " + s.index() + " did not answer in time");
            }
        }
        return error;
    }

    private static void timed(Topology.Slot s, Call call) throws IOException {
        if (s.storage() == null) {
            throw new IOException("member " + s.index() + " is not attached");
        }
        long t0 = System.nanoTime();
        call.run(s);
        s.member().observe(System.nanoTime() - t0);
    }
}
