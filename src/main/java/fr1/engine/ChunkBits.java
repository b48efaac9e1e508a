package fr1.engine;

import java.util.concurrent.atomic.AtomicLongArray;
import org.roaringbitmap.RoaringBitmap;

/**
 * A fixed-size set of chunks that writers change without a lock: a bit per chunk in an {@link AtomicLongArray}.
 * Setting a range is a plain read per word and an atomic OR only where a bit is still clear, so a chunk written
 * again and again costs one read. Used where the write path records chunks a member does not hold.
 */
final class ChunkBits {

    private final int chunks;
    private final AtomicLongArray words;

    ChunkBits(int chunks) {
        this.chunks = chunks;
        this.words = new AtomicLongArray((chunks + 63) >>> 6);
    }

    int chunks() {
        return chunks;
    }

    private static long mask(int w, int first, int last) {
        int lo = w == first >>> 6 ? first & 63 : 0;
        int hi = w == last >>> 6 ? last & 63 : 63;
        return (-1L >>> (63 - hi)) & (-1L << lo);
    }

    /** Sets chunks first..last; returns how many were clear before. */
    int set(int first, int last) {
        int added = 0;
        for (int w = first >>> 6, lw = last >>> 6; w <= lw; w++) {
            long m = mask(w, first, last);
            if ((words.getPlain(w) & m) != m) {
                long before = words.getAndAccumulate(w, m, (a, b) -> a | b);
                added += Long.bitCount(m & ~before);
            }
        }
        return added;
    }

    /** Clears chunks first..last; returns how many were set before. */
    int clear(int first, int last) {
        int removed = 0;
        for (int w = first >>> 6, lw = last >>> 6; w <= lw; w++) {
            long m = mask(w, first, last);
            if ((words.getPlain(w) & m) != 0) {
                long before = words.getAndAccumulate(w, ~m, (a, b) -> a & b);
                removed += Long.bitCount(m & before);
            }
        }
        return removed;
    }

    /** True if any of chunks first..last is set. */
    boolean any(int first, int last) {
        for (int w = first >>> 6, lw = last >>> 6; w <= lw; w++) {
            if ((words.get(w) & mask(w, first, last)) != 0) {
                return true;
            }
        }
        return false;
    }

    /** True if every one of chunks first..last is set. */
    boolean all(int first, int last) {
        for (int w = first >>> 6, lw = last >>> 6; w <= lw; w++) {
            long m = mask(w, first, last);
            if ((words.get(w) & m) != m) {
                return false;
            }
        }
        return true;
    }

    boolean get(int chunk) {
        return (words.get(chunk >>> 6) & (1L << (chunk & 63))) != 0;
    }

    /** The first set chunk at or after {@code from}, or -1. */
    int next(int from) {
        if (from >= chunks) {
            return -1;
        }
        int w = from >>> 6;
        long v = words.get(w) & (-1L << (from & 63));
        while (true) {
            if (v != 0) {
                int c = (w << 6) + Long.numberOfTrailingZeros(v);
                return c < chunks ? c : -1;
            }
            if (++w >= words.length()) {
                return -1;
            }
            v = words.get(w);
        }
    }

    /** The first clear chunk at or after {@code from}, or {@link #chunks()}. */
    int nextClear(int from) {
        if (from >= chunks) {
            return chunks;
        }
        int w = from >>> 6;
        long v = ~words.get(w) & (-1L << (from & 63));
        while (true) {
            if (v != 0) {
                return Math.min(chunks, (w << 6) + Long.numberOfTrailingZeros(v));
            }
            if (++w >= words.length()) {
                return chunks;
            }
            v = ~words.get(w);
        }
    }

    boolean isEmpty() {
        for (int w = 0; w < words.length(); w++) {
            if (words.get(w) != 0) {
                return false;
            }
        }
        return true;
    }

    long count() {
        long n = 0;
        for (int w = 0; w < words.length(); w++) {
            n += Long.bitCount(words.get(w));
        }
        return n;
    }

    /** The set chunks, as a bitmap (a moment's view: writers may set more meanwhile). */
    RoaringBitmap toBitmap() {
        RoaringBitmap out = new RoaringBitmap();
        for (int w = 0; w < words.length(); w++) {
            for (long v = words.get(w); v != 0; v &= v - 1) {
                out.add((w << 6) + Long.numberOfTrailingZeros(v));
            }
        }
        return out;
    }

    /** Sets every chunk of {@code b}. */
    void setAll(RoaringBitmap b) {
        b.forEach((org.roaringbitmap.IntConsumer) c -> set(c, c));
    }

    /** Clears every chunk and returns what was set. */
    RoaringBitmap takeAll() {
        RoaringBitmap out = new RoaringBitmap();
        for (int w = 0; w < words.length(); w++) {
            for (long v = words.getAndSet(w, 0); v != 0; v &= v - 1) {
                out.add((w << 6) + Long.numberOfTrailingZeros(v));
            }
        }
        return out;
    }
}
