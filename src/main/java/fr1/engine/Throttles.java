package fr1.engine;

/**
 * The time of the last foreground I/O, shared by the background copiers' throttles (resync and scrub each have
 * their own {@link Throttle}: its pacing window belongs to one thread).
 */
final class Throttles {

    private static final long RESOLUTION_NANOS = 1_000_000;
    private final Clock clock;
    private final long minBps;
    private final long maxBps;
    private volatile long lastForeground = Long.MIN_VALUE / 2;

    Throttles(Clock clock, long minBps, long maxBps) {
        this.clock = clock;
        this.minBps = minBps;
        this.maxBps = maxBps;
    }

    /** Called on every foreground read and write: a volatile read, and a write at most once a millisecond. */
    void foreground() {
        long now = clock.nanoTime();
        if (now - lastForeground > RESOLUTION_NANOS) {
            lastForeground = now;
        }
    }

    /** A new throttle for one copying thread. */
    Throttle newThrottle() {
        return new Throttle(minBps, maxBps, clock::nanoTime, clock::sleepNanos, () -> lastForeground);
    }
}
