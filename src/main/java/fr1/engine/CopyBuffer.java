package fr1.engine;

import java.nio.ByteBuffer;

/**
 * One copier's buffer ({@link Resync}, {@link CatchUp}), reused run after run until a call that used it failed: a
 * call past its deadline may still read into it or write from it, so it is then dropped, never reused.
 */
final class CopyBuffer {

    private ByteBuffer buf;

    /**
     * {@code len} bytes to read into, page-aligned (a slow member takes it with O_DIRECT, {@link
     * fr1.io.Storage#writeBulk}); allocated as large as runs are lately, up to {@code max} (allocating zeroes it).
     */
    ByteBuffer get(int len, int max) {
        if (buf == null || buf.capacity() < len) {
            buf = ByteBuffer.allocateDirect(Math.max(len, Math.min(2 * len, max)) + 4096).alignedSlice(4096);
        }
        return buf.clear().limit(len);
    }

    /** A call that used the buffer failed or ran late: the next run gets a new one. */
    void abandon() {
        buf = null;
    }
}
