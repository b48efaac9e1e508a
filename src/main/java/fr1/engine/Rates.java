package fr1.engine;

/**
 * A transfer rate for progress and ETA: the plain average over the first {@link #HORIZON_NANOS}, then an
 * exponential moving average with that time constant, so the rate follows a steady load within a few percent and
 * a first burst (the copy before the throttle's first sleep) does not linger. Not thread-safe: one copier updates
 * it; readers take {@link #bytesPerSecond()} under the owner's lock.
 */
final class Rates {

    static final double HORIZON_NANOS = 5e9;

    private final long start;
    private long last;
    private long total;
    private double rate;

    Rates(long startNanos) {
        this.start = startNanos;
        this.last = startNanos;
    }

    /** Accounts {@code bytes} moved, at time {@code now}. */
    void add(long bytes, long now) {
        total += bytes;
        long dt = now - last;
        if (dt <= 0) {
            return;
        }
        last = now;
        long elapsed = now - start;
        if (elapsed <= HORIZON_NANOS || rate == 0) {
            rate = total * 1e9 / elapsed;
            return;
        }
        double recent = bytes * 1e9 / dt;
        rate += (recent - rate) * (1 - Math.exp(-dt / HORIZON_NANOS));
    }

    double bytesPerSecond() {
        return rate;
    }
}
