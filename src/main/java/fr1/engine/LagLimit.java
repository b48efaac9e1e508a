package fr1.engine;

/**
 * {@code -o max-lag}: keeps the recovery point of write-behind members within a bound by slowing foreground writes
 * just enough. {@link CatchUp} measures the recovery point every tick and calls {@link #adjust}; each foreground
 * write waits the current delay (0 most of the time: a volatile read). The delay grows by half while the recovery
 * point is past {@link #HIGH} of the bound and halves while it is under {@link #LOW} of it; never more than
 * {@link #MAX_DELAY_NANOS} per write, so writes are slowed, never stopped, while the member makes progress.
 */
final class LagLimit {

    static final double HIGH = 0.8;
    static final double LOW = 0.5;
    static final long MIN_DELAY_NANOS = 50_000;
    static final long MAX_DELAY_NANOS = 50_000_000;

    private final long maxLagNanos;
    private final Clock clock;
    private volatile long delayNanos;

    LagLimit(long maxLagNanos, Clock clock) {
        this.maxLagNanos = maxLagNanos;
        this.clock = clock;
    }

    boolean enabled() {
        return maxLagNanos > 0;
    }

    /** Before a foreground write. */
    void pace() {
        long d = delayNanos;
        if (d > 0) {
            try {
                clock.sleepNanos(d);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The worst recovery point now; sets the delay for the writes that follow. */
    void adjust(long recoveryPointNanos) {
        if (maxLagNanos <= 0) {
            return;
        }
        long d = delayNanos;
        if (recoveryPointNanos > maxLagNanos * HIGH) {
            d = Math.min(MAX_DELAY_NANOS, Math.max(MIN_DELAY_NANOS, d + d / 2));
        } else if (recoveryPointNanos < maxLagNanos * LOW) {
            d = d / 2 < MIN_DELAY_NANOS ? 0 : d / 2;
        }
        delayNanos = d;
    }

    long delayNanos() {
        return delayNanos;
    }
}
