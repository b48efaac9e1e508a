package fr1.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Future;

/**
 * "Do this on every member, wait for all with one deadline, tell me which failed" — the one place writes, flush,
 * superblock and bitmap writes and the resync's copies fan out to members. A member on a local file system whose
 * recent calls were quick is called on the caller's thread (a hand-off costs more than a 4 KiB write to tmpfs or a
 * page cache), the others on their own pools in parallel, started first so they overlap the inline calls. Inline
 * calls are timed by the {@link Watchdog}.
 */
final class FanOut {

    /**
     * A second or further local member is called inline only while its recent latency is below this: a slow disk is
     * better written in parallel. (The first local member is always called inline: the caller waits anyway.) High
     * enough that a CPU-saturated machine, where every call looks slow because of scheduling, keeps inlining.
     */
    static final long INLINE_MAX_NANOS = 2_000_000;

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
        return run(targets, n, call, null, 0);
    }

    /**
     * Writes {@code src} at {@code offset} to {@code targets[0..n)}: inline calls use {@code src} itself (its
     * position is put back after each), hand-offs a duplicate; {@code src}'s position is unchanged on return.
     */
    IOException[] write(Topology.Slot[] targets, int n, ByteBuffer src, long offset) {
        return run(targets, n, WRITE, src, offset);
    }

    /** Reads {@code dst.remaining()} bytes at {@code offset} from one member into {@code dst} (position unchanged). */
    void read(Topology.Slot s, ByteBuffer dst, long offset) throws IOException {
        IOException e = run(new Topology.Slot[] {s}, 1, READ, dst, offset)[0];
        if (e != null) {
            throw e;
        }
    }

    private static final Call WRITE = s -> {
        throw new IllegalStateException("data calls take a buffer");
    };
    private static final Call READ = s -> {
        throw new IllegalStateException("data calls take a buffer");
    };

    private IOException[] run(Topology.Slot[] targets, int n, Call call, ByteBuffer buf, long offset) {
        IOException[] errors = new IOException[n];
        if (n == 1 && inline(targets[0], true)) {
            errors[0] = runInline(targets[0], call, buf, offset);
            return errors;
        }
        @SuppressWarnings("unchecked")
        Future<Void>[] futures = new Future[n];
        boolean[] inline = new boolean[n];
        boolean anyInline = false;
        for (int i = 0; i < n; i++) {
            Topology.Slot s = targets[i];
            if (inline(s, !anyInline)) {
                inline[i] = true;
                anyInline = true;
                continue;
            }
            ByteBuffer mine = buf == null ? null : buf.duplicate();
            try {
                futures[i] = Calls.submit(s.io(), () -> {
                    timed(s, call, mine, offset);
                    return null;
                }, s.index());
            } catch (IOException e) {
                errors[i] = e;
            }
        }
        if (anyInline) {
            for (int i = 0; i < n; i++) {
                if (inline[i]) {
                    errors[i] = runInline(targets[i], call, buf, offset);
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

    private static boolean inline(Topology.Slot s, boolean first) {
        return s.inline() && s.storage() != null && (first || s.member().latencyNanos() < INLINE_MAX_NANOS);
    }

    private IOException runInline(Topology.Slot s, Call call, ByteBuffer buf, long offset) {
        Watchdog.Entry e = watchdog.start(s);
        IOException error = null;
        int pos = buf == null ? 0 : buf.position();
        try {
            timed(s, call, buf, offset);
        } catch (IOException ex) {
            error = ex;
        } catch (RuntimeException ex) {
            error = new IOException("member " + s.index() + ": " + Mirror.reason(ex), ex);
        } finally {
            if (buf != null) {
                buf.position(pos);
            }
            if (watchdog.end(e) && error == null) {
                error = new MemberTimeoutException("member " + s.index() + " did not answer in time");
            }
        }
        return error;
    }

    private static void timed(Topology.Slot s, Call call, ByteBuffer buf, long offset) throws IOException {
        if (s.storage() == null) {
            throw new IOException("member " + s.index() + " is not attached");
        }
        if (call != WRITE && call != READ) {
            call.run(s);
            return;
        }
        IoStats io = s.member().ioStats;
        int bytes = buf.remaining();
        long t0 = System.nanoTime();
        try {
            if (call == WRITE) {
                s.storage().writeFully(buf, offset);
            } else {
                s.storage().readFully(buf, offset);
            }
        } catch (IOException | RuntimeException e) {
            if (call == WRITE) {
                io.writeFailed();
            } else {
                io.readFailed();
            }
            throw e;
        }
        long nanos = System.nanoTime() - t0;
        if (call == WRITE) {
            s.member().observeWrite(io.written(bytes, nanos));
        } else {
            s.member().observe(io.read(bytes, nanos));
        }
    }
}
