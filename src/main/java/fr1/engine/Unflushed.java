package fr1.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import org.roaringbitmap.RoaringBitmap;

/**
 * The chunks written to one member since its last successful force: what it may lose when it fails (a network file
 * system acknowledges writes it has not made durable). A failed member misses these, not the whole write-intent
 * bitmap.
 *
 * <p>The write path only sets a bit in a lock-free bitset ({@link #add}: a plain read, and an atomic OR the first
 * time a chunk is written in a flush period). A force takes the current bitset and puts a fresh one in its place
 * ({@link #begin}); it drops the taken set only when it succeeds ({@link #end}), so a chunk stays at risk while any
 * force that should cover it is pending. A writer that read the old bitset just before the swap still sets its bit
 * there: its data was written before that read, so before the force started, and the force covers it. Flushes may
 * overlap (an fsync and the background flush). The list of taken sets has its own lock: a leaf in the lock order.
 */
final class Unflushed {

    private static final java.util.function.LongBinaryOperator OR = (a, b) -> a | b;

    private final int chunks;
    private volatile AtomicLongArray current;
    private final List<AtomicLongArray> flushing = new ArrayList<>(2);

    Unflushed(int chunks) {
        this.chunks = chunks;
        this.current = new AtomicLongArray(words(chunks));
    }

    private static int words(int chunks) {
        return (chunks + 63) >>> 6;
    }

    /** Chunks first..last were written (after the data reached the member). Lock-free. */
    void add(int first, int last) {
        AtomicLongArray bits = current;
        for (int w = first >>> 6, lw = last >>> 6; w <= lw; w++) {
            int lo = w == first >>> 6 ? first & 63 : 0;
            int hi = w == lw ? last & 63 : 63;
            long mask = (-1L >>> (63 - hi)) & (-1L << lo);
            if ((bits.getPlain(w) & mask) != mask) {
                bits.accumulateAndGet(w, mask, OR);
            }
        }
    }

    /** True if nothing is at risk (a cheap look: the background flush skips such members). */
    boolean isEmpty() {
        synchronized (flushing) {
            return flushing.isEmpty() && empty(current);
        }
    }

    /** A force is about to start: the chunks written so far are the ones it makes durable. */
    Object begin() {
        synchronized (flushing) {
            AtomicLongArray token = current;
            current = new AtomicLongArray(words(chunks));
            flushing.add(token);
            return token;
        }
    }

    /** The force that took {@code token} ended; on success its chunks are no longer at risk. */
    void end(Object token, boolean ok) {
        if (ok) {
            synchronized (flushing) {
                flushing.remove(token);
            }
        }
    }

    /** Every chunk not yet known durable. */
    RoaringBitmap atRisk() {
        RoaringBitmap all = new RoaringBitmap();
        synchronized (flushing) {
            addTo(all, current);
            for (AtomicLongArray f : flushing) {
                addTo(all, f);
            }
        }
        return all;
    }

    void clear() {
        synchronized (flushing) {
            current = new AtomicLongArray(words(chunks));
            flushing.clear();
        }
    }

    private static boolean empty(AtomicLongArray bits) {
        for (int w = 0; w < bits.length(); w++) {
            if (bits.get(w) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void addTo(RoaringBitmap out, AtomicLongArray bits) {
        for (int w = 0; w < bits.length(); w++) {
            for (long v = bits.get(w); v != 0; v &= v - 1) {
                out.add((w << 6) + Long.numberOfTrailingZeros(v));
            }
        }
    }
}
