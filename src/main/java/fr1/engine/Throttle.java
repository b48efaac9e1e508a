package fr1.engine;

import java.util.function.LongSupplier;

/**
 * Paces background copying (resync, check) like md's speed_limit_min/max: at most {@code maxBps} while the array
 * is otherwise idle, at most {@code minBps} while foreground I/O is going on (it gets the rest), never slower than
 * that floor. A limit of 0 means unlimited. The clock and the sleep are injected so tests need not wait.
 * One instance per copying thread (resync, scrub): its window is not thread-safe. Several share the foreground
 * record through {@link Throttles}.
 */
final class Throttle {

    /** Foreground I/O within this window counts as "busy". */
    static final long BUSY_WINDOW_NANOS = 200_000_000L;
    /** The pacing window: a longer idle stretch does not buy a burst. */
    private static final long WINDOW_NANOS = 1_000_000_000L;

    @FunctionalInterface
    interface Sleeper {
        void sleepNanos(long nanos) throws InterruptedException;
    }

    private final long minBps;
    private final long maxBps;
    private final LongSupplier clock;
    private final Sleeper sleeper;
    private volatile long lastForeground = Long.MIN_VALUE / 2;
    /** When foreground I/O last happened: this throttle's own record, or one shared by several throttles. */
    private final LongSupplier foregroundAt;
    // Used by the one copying thread only.
    private long windowStart;
    private long windowBytes;
    private long windowLimit = -1;

    Throttle(long minBps, long maxBps, LongSupplier clock, Sleeper sleeper) {
        this(minBps, maxBps, clock, sleeper, null);
    }

    /** A throttle that reads the time of the last foreground I/O from {@code foregroundAt} (see Throttles). */
    Throttle(long minBps, long maxBps, LongSupplier clock, Sleeper sleeper, LongSupplier foregroundAt) {
        this.minBps = minBps;
        this.maxBps = maxBps;
        this.clock = clock;
        this.sleeper = sleeper;
        this.foregroundAt = foregroundAt == null ? () -> lastForeground : foregroundAt;
    }

    static Throttle system(long minBps, long maxBps) {
        return new Throttle(minBps, maxBps, System::nanoTime, n -> Thread.sleep(n / 1_000_000, (int) (n % 1_000_000)));
    }

    /** Called on foreground reads and writes (cheap: one volatile write). */
    void foreground() {
        lastForeground = clock.getAsLong();
    }

    /** The limit that applies now, in bytes per second; 0 = unlimited. */
    long limitNow() {
        boolean busy = clock.getAsLong() - foregroundAt.getAsLong() < BUSY_WINDOW_NANOS;
        if (!busy) {
            return maxBps;
        }
        if (maxBps > 0 && minBps > 0) {
            return Math.min(minBps, maxBps);
        }
        return minBps > 0 ? minBps : maxBps;
    }

    /** Accounts {@code bytes} just copied and sleeps as long as the current limit asks. */
    void pace(long bytes) throws InterruptedException {
        long now = clock.getAsLong();
        long limit = limitNow();
        if (limit != windowLimit || now - windowStart > WINDOW_NANOS) {
            windowLimit = limit;
            windowStart = now;
            windowBytes = 0;
        }
        if (limit <= 0) {
            return;
        }
        windowBytes += bytes;
        long due = windowStart + (long) (windowBytes * 1e9 / limit);
        if (due > now) {
            sleeper.sleepNanos(due - now);
        }
    }
}
