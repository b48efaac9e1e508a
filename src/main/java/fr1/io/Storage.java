package fr1.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One member's bytes: positional reads and writes, like a block device. The seam where unit tests inject faults.
 * Implementations must allow concurrent positional calls from several threads.
 */
public interface Storage extends Closeable {

    /** Reads into {@code dst} at {@code position}; returns bytes read, -1 at end of file. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Writes from {@code src} at {@code position}; returns bytes written (may be short). */
    int write(ByteBuffer src, long position) throws IOException;

    /** Forces written data to stable storage (fdatasync). */
    void force() throws IOException;

    /**
     * True if calls return promptly unless the machine itself is in trouble (a local disk or tmpfs): the engine may
     * then make them on the caller's thread instead of handing them to the member's pool. Network file systems,
     * FUSE and nbd are not local: a call there can hang for as long as a server is away.
     */
    default boolean local() {
        return false;
    }

    /** Current length in bytes. */
    long capacity() throws IOException;

    /** Reads exactly {@code dst.remaining()} bytes or throws {@link java.io.EOFException}. */
    default void readFully(ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = read(dst, pos);
            if (n < 0) {
                throw new java.io.EOFException("unexpected end of member at offset " + pos);
            }
            pos += n;
        }
    }

    /** Writes all of {@code src}; a write that makes no progress is a short write and fails. */
    default void writeFully(ByteBuffer src, long position) throws IOException {
        long pos = position;
        while (src.hasRemaining()) {
            int n = write(src, pos);
            if (n <= 0) {
                throw new IOException("short write at offset " + pos + " (" + src.remaining() + " bytes not written)");
            }
            pos += n;
        }
    }

    /**
     * Writes all of {@code src}, a large copy (resync, catch-up): where the member is slow per call, an
     * implementation may take a path that sends the pieces of one large write in parallel (O_DIRECT on FUSE, NFS,
     * nbd). Same result as {@link #writeFully}; the default is that.
     */
    default void writeBulk(ByteBuffer src, long position) throws IOException {
        writeFully(src, position);
    }

    /**
     * Makes {@code length} bytes at {@code position} read as zeros and frees their space where the file system can
     * (a hole). The default writes zeros, so a member whose file system has no holes still ends byte-identical.
     */
    default void punchHole(long position, long length) throws IOException {
        writeZeros(this, position, length);
    }

    /** Makes {@code length} bytes at {@code position} read as zeros; the space may stay allocated. */
    default void zeroRange(long position, long length) throws IOException {
        punchHole(position, length);
    }

    /**
     * The first offset at or after {@code position} that holds data ({@code SEEK_DATA}), or -1 if only a hole
     * follows. Storage that cannot tell says every byte is data.
     */
    default long seekData(long position) throws IOException {
        return position;
    }

    /**
     * The first offset at or after {@code position} that starts a hole ({@code SEEK_HOLE}); the end of the storage
     * counts as one. Storage that cannot tell answers {@link Long#MAX_VALUE}: no hole before the end.
     */
    default long seekHole(long position) throws IOException {
        return Long.MAX_VALUE;
    }

    /** Bytes allocated on the underlying file system (as {@code du} counts them), or -1 if unknown. */
    default long allocatedBytes() throws IOException {
        return -1;
    }

    /** Writes {@code length} zero bytes at {@code position} into {@code s}, a megabyte at a time. */
    static void writeZeros(Storage s, long position, long length) throws IOException {
        long pos = position;
        long end = position + length;
        while (pos < end) {
            int n = (int) Math.min(ZEROS.capacity(), end - pos);
            s.writeFully(ZEROS.duplicate().limit(n), pos);
            pos += n;
        }
    }

    /** A megabyte of zeros, shared read-only: callers take a duplicate. */
    ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();
}
