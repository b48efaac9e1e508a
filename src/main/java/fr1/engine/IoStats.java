package fr1.engine;

import java.util.concurrent.atomic.LongAdder;

/**
 * One member's data I/O counters, for monitoring: reads and writes done, their bytes, the calls that failed, and
 * the latency of each as a histogram. Called on the hot path (every data call to the member): {@link LongAdder}s
 * only, no lock and no allocation; a call costs a few uncontended adds and a short scan of the bucket bounds.
 * Metadata writes (superblocks, bitmap pages) and flushes are not counted.
 */
public final class IoStats {

    /** Upper bounds of the latency buckets, in nanoseconds (100 us to 10 s); a last bucket holds the rest. */
    static final long[] BOUNDS_NANOS = {
            100_000L, 250_000L, 500_000L, 1_000_000L, 2_500_000L, 5_000_000L, 10_000_000L, 25_000_000L,
            50_000_000L, 100_000_000L, 250_000_000L, 500_000_000L, 1_000_000_000L, 2_500_000_000L,
            5_000_000_000L, 10_000_000_000L};

    private final Kind read = new Kind();
    private final Kind write = new Kind();

    /** Counts a read of {@code bytes} that took {@code nanos}; returns {@code nanos}. */
    long read(long bytes, long nanos) {
        read.done(bytes, nanos);
        return nanos;
    }

    /** Counts a write of {@code bytes} that took {@code nanos}; returns {@code nanos}. */
    long written(long bytes, long nanos) {
        write.done(bytes, nanos);
        return nanos;
    }

    void readFailed() {
        read.errors.increment();
    }

    void writeFailed() {
        write.errors.increment();
    }

    /** A copy of the counters now (each counter exact; the set not one atomic snapshot). */
    public Snapshot snapshot() {
        return new Snapshot(read.snapshot(), write.snapshot());
    }

    /** Upper bounds of the latency buckets in seconds (the last bucket, unbounded, is not listed). */
    public static double[] boundsSeconds() {
        double[] s = new double[BOUNDS_NANOS.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = BOUNDS_NANOS[i] / 1e9;
        }
        return s;
    }

    private static final class Kind {
        final LongAdder ops = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder nanos = new LongAdder();
        final LongAdder[] buckets = new LongAdder[BOUNDS_NANOS.length + 1];

        Kind() {
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        void done(long n, long t) {
            ops.increment();
            bytes.add(n);
            nanos.add(t);
            int b = 0;
            while (b < BOUNDS_NANOS.length && t > BOUNDS_NANOS[b]) {
                b++;
            }
            buckets[b].increment();
        }

        Counts snapshot() {
            long[] perBucket = new long[buckets.length];
            for (int i = 0; i < perBucket.length; i++) {
                perBucket[i] = buckets[i].sum();
            }
            return new Counts(ops.sum(), bytes.sum(), errors.sum(), nanos.sum(), perBucket);
        }
    }

    /**
     * @param ops        calls that succeeded
     * @param bytes      their bytes
     * @param errors     calls that failed (the member's error; a call cut off by io-timeout is counted when it returns)
     * @param nanos      the sum of the successful calls' latencies
     * @param perBucket  successful calls per latency bucket ({@link #boundsSeconds()}, then one for the rest); not
     *                   cumulative
     */
    public record Counts(long ops, long bytes, long errors, long nanos, long[] perBucket) {
        public static final Counts ZERO = new Counts(0, 0, 0, 0, new long[BOUNDS_NANOS.length + 1]);
    }

    public record Snapshot(Counts read, Counts write) {
        public static final Snapshot ZERO = new Snapshot(Counts.ZERO, Counts.ZERO);
    }
}
