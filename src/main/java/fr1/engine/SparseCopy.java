package fr1.engine;

import fr1.io.Storage;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * One range copied so that only data moves (issue 11): {@link #read} asks the source where its data is
 * ({@code SEEK_DATA}/{@code SEEK_HOLE}) and reads only that, then counts every all-zero page it read as a hole too;
 * {@link #write} writes the data to the target and punches the rest ({@link Storage#punchHole}: a hole where the
 * target's file system has them, else zeros, so the target always ends byte-identical). A copy of an image holding
 * D bytes of data reads and writes about D bytes, and the target ends about D bytes on disk.
 *
 * <p>A slow member pays per call, not per byte: the caller may give a bridge, the longest hole between two pieces
 * of data that is cheaper to write as zeros than a call of its own (the gap {@link Resync} bridges between missed
 * chunks for that member). Every other hole is punched.
 *
 * <p>Read and write are separate calls so that each runs on its own member's pool with its own deadline, and a
 * failure is the source's or the target's. One instance per copy; not thread-safe.
 */
final class SparseCopy {

    /** The unit of zero detection: a page of the image (offsets are page-aligned whenever the range is). */
    static final int PAGE = 4096;
    private static final MemorySegment ZERO_PAGE = MemorySegment.ofArray(new byte[PAGE]);

    private final ByteBuffer buf;
    private final long offset;
    private final int length;
    /** Data segments [start, end) relative to {@link #offset}, ascending, disjoint: start at 2i, end at 2i+1. */
    private int[] segs = new int[16];
    private int count;
    private long dataBytes;

    /** A copy of {@code buf.remaining()} bytes at {@code offset}, through {@code buf} (from its position). */
    SparseCopy(ByteBuffer buf, long offset) {
        this.buf = buf.slice();
        this.offset = offset;
        this.length = buf.remaining();
    }

    /** Reads the range's data from {@code source}: only its data extents, and of those only the non-zero pages. */
    void read(Storage source) throws IOException {
        count = 0;
        dataBytes = 0;
        long end = offset + length;
        long pos = offset;
        while (pos < end) {
            long d = source.seekData(pos);
            if (d < 0 || d >= end) {
                zero(pos, end);
                break;
            }
            d = Math.max(d, pos);
            zero(pos, d);
            long h = source.seekHole(d);
            h = h <= d ? end : Math.min(end, h);
            int a = (int) (d - offset);
            int b = (int) (h - offset);
            source.readFully(buf.duplicate().limit(b).position(a), d);
            addNonZero(a, b);
            pos = h;
        }
    }

    /** Writes what {@link #read} found to {@code target}: the data segments, and holes punched in between. */
    void write(Storage target) throws IOException {
        write(target, 0);
    }

    /** As {@link #write(Storage)}; a hole shorter than {@code bridge} bytes between data is written as zeros. */
    void write(Storage target, long bridge) throws IOException {
        int pos = 0;
        for (int i = 0; i < count; i++) {
            int a = segs[2 * i];
            int b = segs[2 * i + 1];
            if (a > pos) {
                target.punchHole(offset + pos, a - pos);
            }
            // Short holes up to the next data go along as zeros (the buffer holds zeros there).
            while (i + 1 < count && segs[2 * i + 2] - b < bridge) {
                i++;
                b = segs[2 * i + 1];
            }
            target.writeBulk(buf.duplicate().limit(b).position(a), offset + a);
            pos = b;
        }
        if (pos < length) {
            target.punchHole(offset + pos, length - pos);
        }
    }

    /** Bytes of data the last read found (what the copy moves). */
    long dataBytes() {
        return dataBytes;
    }

    /** Zeroes the buffer over the source's hole [from, to) (absolute offsets): it may be written as zeros. */
    private void zero(long from, long to) {
        if (to > from) {
            MemorySegment.ofBuffer(buf).asSlice(from - offset, to - from).fill((byte) 0);
        }
    }

    /** Adds the pages of [a, b) that are not all zeros as data segments. */
    private void addNonZero(int a, int b) {
        MemorySegment all = MemorySegment.ofBuffer(buf);
        int p = a;
        while (p < b) {
            int next = (int) Math.min(b, ((offset + p) / PAGE + 1) * PAGE - offset);
            boolean zero = all.asSlice(p, next - p).mismatch(ZERO_PAGE.asSlice(0, next - p)) == -1;
            if (!zero) {
                add(p, next);
            }
            p = next;
        }
    }

    private void add(int a, int b) {
        dataBytes += b - a;
        if (count > 0 && segs[2 * count - 1] == a) {
            segs[2 * count - 1] = b;
            return;
        }
        if (2 * count + 2 > segs.length) {
            segs = java.util.Arrays.copyOf(segs, segs.length * 2);
        }
        segs[2 * count] = a;
        segs[2 * count + 1] = b;
        count++;
    }
}
