package fr1.engine;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive locks on chunk ranges, striped so memory does not grow with the image. A foreground write holds the
 * locks of its chunks from write-intent through the last member's completion, so overlapping writes reach every
 * member in the same order, resync never copies a chunk while it is being written, and the bitmap sweeper can
 * tell a chunk with no write in flight. Stripes are always taken in ascending order: no deadlock.
 */
final class StripeLocks {

    private final ReentrantLock[] stripes;

    StripeLocks(int count) {
        stripes = new ReentrantLock[count];
        for (int i = 0; i < count; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** A held range; release with {@link #unlock()}. */
    final class Held {
        private final int from;
        private final int count;

        private Held(int from, int count) {
            this.from = from;
            this.count = count;
        }

        void unlock() {
            for (int i = count - 1; i >= 0; i--) {
                stripes[(from + i) % stripes.length].unlock();
            }
        }
    }

    /** Locks every stripe that chunks {@code first..last} (inclusive) map to. */
    Held lock(int first, int last) {
        long span = (long) last - first + 1;
        if (span >= stripes.length) {
            for (ReentrantLock l : stripes) {
                l.lock();
            }
            return new Held(0, stripes.length);
        }
        int start = first % stripes.length;
        int end = start + (int) span; // exclusive, may wrap
        if (end <= stripes.length) {
            for (int i = start; i < end; i++) {
                stripes[i].lock();
            }
        } else {
            // Wrapped: take the low part first to keep ascending order.
            for (int i = 0; i < end - stripes.length; i++) {
                stripes[i].lock();
            }
            for (int i = start; i < stripes.length; i++) {
                stripes[i].lock();
            }
        }
        return new Held(start, (int) span);
    }

    /** True, with the stripe held, if no write holds chunk {@code chunk}'s stripe now. */
    boolean tryLockChunk(int chunk) {
        return stripes[chunk % stripes.length].tryLock();
    }

    void unlockChunk(int chunk) {
        stripes[chunk % stripes.length].unlock();
    }
}
