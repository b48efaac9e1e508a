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
}
