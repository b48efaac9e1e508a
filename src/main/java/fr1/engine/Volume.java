package fr1.engine;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The one thing the FUSE adapter sees: a fixed-size byte image with positional I/O.
 * Implementations are thread-safe; calls may come from many FUSE worker threads at once.
 */
public interface Volume {

    /** Size of the image in bytes. Never changes. */
    long size();

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code offset} into {@code dst}, advancing its position.
     * A read that crosses the end of the image is short; at or beyond the end it returns 0.
     *
     * @return the number of bytes read
     * @throws NoCurrentMemberException if no member could serve the read (maps to EIO)
     */
    int read(ByteBuffer dst, long offset) throws IOException;

    /**
     * Writes all of {@code src} at {@code offset}, advancing its position. Returns once the write is
     * acknowledged (held by every member the write mode requires).
     *
     * @throws BeyondEndException if any byte would land at or beyond {@link #size()} (maps to EFBIG)
     * @throws NoCurrentMemberException if no member took the write (maps to EIO)
     */
    void write(ByteBuffer src, long offset) throws IOException;

    /** Forces acknowledged writes and the metadata to stable storage on the members that must have them. */
    void flush() throws IOException;

    /**
     * Makes {@code length} bytes at {@code offset} read as zeros (a discard: FUSE fallocate punch-hole, or
     * zero-range when {@code zeroRange}), freeing their space where the volume can. The default writes zeros.
     *
     * @throws BeyondEndException if the range crosses the end of the image
     */
    default void discard(long offset, long length, boolean zeroRange) throws IOException {
        if (offset < 0 || length < 0 || offset > size() || length > size() - offset) {
            throw new BeyondEndException(offset, length, size());
        }
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(length, 1 << 20));
        long pos = offset;
        while (pos < offset + length) {
            int n = (int) Math.min(zeros.capacity(), offset + length - pos);
            write(zeros.clear().limit(n), pos);
            pos += n;
        }
    }

    /** The first offset at or after {@code offset} holding data, or -1 if none (SEEK_DATA). Default: all data. */
    default long seekData(long offset) throws IOException {
        return offset < size() ? offset : -1;
    }

    /** The first offset at or after {@code offset} in a hole, the end counting as one; -1 past the end. */
    default long seekHole(long offset) throws IOException {
        return offset < size() ? size() : -1;
    }
}
