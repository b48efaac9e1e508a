package fr1.engine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * When a copy ({@link Resync}, {@link CatchUp}) takes the few chunks between two runs along as one write. Where one
 * call to the target costs much more than moving the bytes (a remote member whose every call takes milliseconds),
 * two runs separated by a few chunks the target already holds are copied as one: copying those chunks rewrites the
 * same bytes, and the bytes cost less than the call saved. A gap is bridged only when a call costs at least
 * {@link #MIN_CALL_NANOS} and the gap moves in less time than one call, its bytes priced at
 * {@link #BYTES_PER_SECOND}. Never toward a local member (tmpfs, a local disk: there it would only add bytes).
 *
 * <p>A resync estimates a call's cost itself, as the least over the target's small writes so far of its time minus
 * its bytes ({@link #observeWrite}, trusted after {@link #MIN_SAMPLES}); a catch-up takes the member's recent write
 * latency ({@link #chunks(double, int, int)}).
 */
final class GapBridge {

    /** A conservative streaming rate of a slow member: what a gap's bytes are priced at against a call. */
    static final long BYTES_PER_SECOND = 100L << 20;
    /**
     * Gaps are bridged only for a member whose calls cost this long besides moving their bytes: below it the copies
     * in flight hide the cost of a call (16 in flight to a 1-ms member start 16 runs a millisecond) and bridging
     * only adds bytes.
     */
    static final long MIN_CALL_NANOS = 5_000_000;
    /** Writes timed before that cost is trusted (one slow call on a busy machine proves nothing). */
    static final int MIN_SAMPLES = 4;
    /** Only writes this small are timed for it: a larger one's time is mostly its bytes. */
    static final int SAMPLE_BYTES = 256 << 10;

    private final boolean local;
    private final int runChunks;
    private final int chunkSize;
    /** The least cost of a small write to the target besides its bytes so far (ns): what one call costs. */
    private final AtomicLong callNanos = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong writesTimed = new AtomicLong();

    GapBridge(boolean local, int runChunks, int chunkSize) {
        this.local = local;
        this.runChunks = runChunks;
        this.chunkSize = chunkSize;
    }

    /** A write of {@code bytes} to the target took {@code nanos}. */
    void observeWrite(long nanos, int bytes) {
        if (bytes <= SAMPLE_BYTES) {
            callNanos.accumulateAndGet(nanos - (long) (bytes * 1e9 / BYTES_PER_SECOND), Math::min);
            writesTimed.incrementAndGet();
        }
    }

    /** Chunks the target holds that may be copied within one run, from the calls timed so far. */
    int maxGap() {
        return local || writesTimed.get() < MIN_SAMPLES ? 0 : chunks(callNanos.get(), runChunks, chunkSize);
    }

    /** What a call costing {@code callNanos} is worth in chunks (at most a run), 0 for a quick member. */
    static int chunks(double callNanos, int runChunks, int chunkSize) {
        if (callNanos < MIN_CALL_NANOS) {
            return 0;
        }
        return (int) Math.min(runChunks, callNanos * (BYTES_PER_SECOND / 1e9) / chunkSize);
    }
}
