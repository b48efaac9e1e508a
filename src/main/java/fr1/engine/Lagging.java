package fr1.engine;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one write-behind member does not hold beyond its queue (async mode's pull-ahead), and the mode it is in.
 * Lock-free: the write path records into it holding only its stripe locks.
 *
 * <ul>
 * <li>{@link Mode#STREAMING}: writes are queued to the member ({@link WriteBehind}).</li>
 * <li>{@link Mode#BEHIND}: its queue passed the high-water mark. Writes are acknowledged without it and only
 *     recorded here ({@link #lacks}); the queue drains; {@link CatchUp} copies recorded chunks from a synchronous
 *     member, many at a time, without holding stripe locks across the slow member's write (safe because no
 *     write reaches the member meanwhile: only {@link CatchUp} moves a member out of this mode, after its copies
 *     in flight ended).</li>
 * <li>{@link Mode#CATCHING_UP}: few chunks left: writes are queued again, and the last recorded chunks are copied
 *     with their stripes held from the source read to the target write, after the queued writes to them.</li>
 * </ul>
 *
 * A chunk being copied stays in {@link #copying} until the member has it, so a read never takes it from this
 * member meanwhile. The age of the oldest recorded write is kept per group of chunks (at most
 * {@link #MAX_GROUPS} groups): the time its first chunk was recorded, until none of its chunks is left.
 */
final class Lagging {

    enum Mode {
        STREAMING("streaming"), BEHIND("behind"), CATCHING_UP("catching-up");

        final String label;

        Mode(String label) {
            this.label = label;
        }
    }

    static final int MAX_GROUPS = 1 << 16;
    private static final long NONE = Long.MIN_VALUE;

    private volatile Mode mode = Mode.STREAMING;
    /** Set by the write path when it moved the member to BEHIND; taken by CatchUp (which logs it). */
    private volatile boolean entered;
    final ChunkBits lacks;
    final ChunkBits copying;
    private final int groupShift;
    private final AtomicLongArray stamps;
    private final LongAdder recordedWrites = new LongAdder();

    Lagging(int chunks) {
        lacks = new ChunkBits(chunks);
        copying = new ChunkBits(chunks);
        int shift = 0;
        while (((long) chunks + (1L << shift) - 1) >> shift > MAX_GROUPS) {
            shift++;
        }
        groupShift = shift;
        stamps = new AtomicLongArray((int) (((long) chunks + (1L << shift) - 1) >> shift));
        for (int i = 0; i < stamps.length(); i++) {
            stamps.set(i, NONE);
        }
    }

    Mode mode() {
        return mode;
    }

    /** The write path: the queue is full, go behind. True if this call changed the mode. */
    boolean enterBehind() {
        if (mode == Mode.BEHIND) {
            return false;
        }
        mode = Mode.BEHIND;
        entered = true;
        return true;
    }

    /** CatchUp only. */
    void setMode(Mode m) {
        mode = m;
    }

    /** True once after the write path moved the member to BEHIND. */
    boolean takeEntered() {
        if (!entered) {
            return false;
        }
        entered = false;
        return true;
    }

    /** A write to chunks first..last went on without the member (its stripes held by the caller). */
    void record(int first, int last, long nowNanos) {
        lacks.set(first, last);
        recordedWrites.increment();
        for (int g = first >> groupShift, lg = last >> groupShift; g <= lg; g++) {
            if (stamps.get(g) == NONE) {
                stamps.compareAndSet(g, NONE, nowNanos);
            }
        }
    }

    /** True if the member may not hold chunks first..last: recorded, or being copied. */
    boolean lacksAny(int first, int last) {
        return lacks.any(first, last) || copying.any(first, last);
    }

    /** Chunks it does not hold (recorded or being copied). */
    long chunks() {
        return lacks.count() + copying.count();
    }

    boolean holdsAll() {
        return lacks.isEmpty() && copying.isEmpty();
    }

    /** Writes recorded since it last held everything. */
    long recordedWrites() {
        return recordedWrites.sum();
    }

    /** Chunks first..last reached the member: their groups' stamps go if nothing of them is left. */
    void copied(int first, int last) {
        for (int g = first >> groupShift, lg = last >> groupShift; g <= lg; g++) {
            int gf = g << groupShift;
            int gl = (int) Math.min(lacks.chunks() - 1L, ((long) (g + 1) << groupShift) - 1);
            long old = stamps.get(g);
            if (old == NONE || lacksAny(gf, gl) || !stamps.compareAndSet(g, old, NONE)) {
                continue;
            }
            // A write may have recorded a chunk of the group between the look and the reset (its own stamp
            // attempt failed while the old one was there): put a stamp back, the old one (conservative).
            if (lacksAny(gf, gl)) {
                stamps.compareAndSet(g, NONE, old);
            }
        }
    }

    /** When the oldest write it does not hold (of those recorded) was recorded, or {@link Long#MAX_VALUE}. */
    long oldestNanos() {
        long min = Long.MAX_VALUE;
        for (int g = 0; g < stamps.length(); g++) {
            long s = stamps.get(g);
            if (s != NONE && s < min) {
                min = s;
            }
        }
        return min;
    }

    /**
     * Moves every chunk it does not hold (recorded or being copied) into {@code missed} and starts over: the member
     * failed, or is closed before it caught up; a resync copies them from now on. Caller holds the Members lock.
     */
    void moveInto(org.roaringbitmap.RoaringBitmap missed) {
        missed.or(lacks.takeAll());
        missed.or(copying.toBitmap());
        reset();
    }

    /** It holds everything again (or failed, its chunks taken into its missed set): counters start over. */
    void reset() {
        recordedWrites.reset();
        for (int g = 0; g < stamps.length(); g++) {
            stamps.set(g, NONE);
        }
        mode = Mode.STREAMING;
        entered = false;
    }

    /** Chunks every one of {@code members} lacks (recorded or being copied): none of them holds their data. */
    static org.roaringbitmap.RoaringBitmap lackedByAll(Iterable<Member> members) {
        org.roaringbitmap.RoaringBitmap all = null;
        for (Member m : members) {
            org.roaringbitmap.RoaringBitmap lacks = m.lagging.lacks.toBitmap();
            lacks.or(m.lagging.copying.toBitmap());
            if (all == null) {
                all = lacks;
            } else {
                all.and(lacks);
            }
        }
        return all == null ? new org.roaringbitmap.RoaringBitmap() : all;
    }
}
