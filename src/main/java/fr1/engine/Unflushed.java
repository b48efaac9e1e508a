package fr1.engine;

import java.util.ArrayList;
import java.util.List;
import org.roaringbitmap.RoaringBitmap;

/**
 * The chunks written to one member since its last successful force: what it may lose when it fails (a network file
 * system acknowledges writes it has not made durable). A failed member misses these, not the whole write-intent
 * bitmap. Flushes may overlap (an fsync and the background flush): each takes the chunks written before it started
 * and drops them only when it succeeds, so a chunk stays at risk while any force that should cover it is pending.
 * Its own lock; a leaf in the lock order.
 */
final class Unflushed {

    private RoaringBitmap current = new RoaringBitmap();
    private final List<RoaringBitmap> flushing = new ArrayList<>(2);

    synchronized void add(int first, int last) {
        current.add((long) first, (long) last + 1);
    }

    synchronized boolean isEmpty() {
        return current.isEmpty() && flushing.isEmpty();
    }

    /** A force is about to start: the chunks written so far are the ones it makes durable. */
    synchronized RoaringBitmap begin() {
        RoaringBitmap token = current;
        current = new RoaringBitmap();
        flushing.add(token);
        return token;
    }

    /** The force that took {@code token} ended; on success its chunks are no longer at risk. */
    synchronized void end(RoaringBitmap token, boolean ok) {
        if (ok) {
            flushing.remove(token);
        }
    }

    /** Every chunk not yet known durable. */
    synchronized RoaringBitmap atRisk() {
        RoaringBitmap all = current.clone();
        for (RoaringBitmap f : flushing) {
            all.or(f);
        }
        return all;
    }

    synchronized void clear() {
        current = new RoaringBitmap();
        flushing.clear();
    }
}
