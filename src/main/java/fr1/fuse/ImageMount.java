package fr1.fuse;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A mounted image: the mount point's root holds the one image file. Obtained from {@link FuseMounter#mount}.
 * All methods are thread-safe.
 */
public interface ImageMount extends AutoCloseable {

    /** The directory the file system is mounted on. */
    Path mountpoint();

    /** Blocks until the file system is unmounted, by {@link #close()} or from outside (fusermount3 -u / umount). */
    void awaitUnmounted() throws InterruptedException;

    /**
     * Unmounts (idempotent) and frees the binding's native resources. A busy mount (open files, an attached loop
     * device) is left mounted and working, and this throws; call again once it is free. Failures are collected
     * with {@code addSuppressed}.
     */
    @Override
    void close() throws IOException;
}
