package fr1.engine;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * A RAID1 array of 2..N members: the engine. Knows nothing of FUSE or the CLI.
 * (Public API pinned; the implementation is filled in by the engine owner.)
 */
public final class Mirror implements Volume, Closeable {

    public static final int MAX_MEMBERS = 8;
    public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;

    /** Creates the members of a new array. Refuses, changing nothing, if a path holds data and !force. */
    public static void create(CreateSpec spec) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** Opens (assembles) an array from its member paths, recovering after an unclean shutdown. */
    public static Mirror open(List<Path> members, MirrorOptions options) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public long size() {
        throw new UnsupportedOperationException("not yet");
    }

    public int chunkSize() {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public void flush() throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    public MirrorStatus status() {
        throw new UnsupportedOperationException("not yet");
    }

    /** Marks a member faulty (by path or index), as if it had failed. */
    public void fail(String member) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** Removes a faulty member from the array: nothing is tracked for it any more. */
    public void remove(String member) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Brings a member (by path or index, or a new path) back and starts its resync: its missed chunks,
     * or every chunk when {@code full}. A path without this array's metadata needs {@code full}.
     */
    public void add(String member, boolean full) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** Blocks until no resync is running or the timeout passes; true if idle. */
    public boolean awaitResyncIdle(java.time.Duration timeout) throws InterruptedException {
        throw new UnsupportedOperationException("not yet");
    }

    /** Clean shutdown: flushes, clears the write-intent bitmap, marks every in-sync member clean. */
    @Override
    public void close() throws IOException {
        throw new UnsupportedOperationException("not yet");
    }
}
