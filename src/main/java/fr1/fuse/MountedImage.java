package fr1.fuse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The lifecycle of one mount, the same for both bindings. {@code ended} is counted down by the binding when its
 * file system loop ends, whoever unmounted. {@link #close()} unmounts cleanly with fusermount3 (never lazily, so
 * a busy image is never torn away from a loop device), waits for the loop, then lets the binding free its memory.
 */
final class MountedImage implements ImageMount {

    private static final Logger LOG = LoggerFactory.getLogger(MountedImage.class);
    private static final long LOOP_END_TIMEOUT_SECONDS = 10;

    private final Path mountpoint;
    private final Session session;
    private final CountDownLatch ended;
    private final Thread shutdownHook;
    /** Serialises close() calls only; never taken by a file system callback. */
    private final Object closeLock = new Object();
    /** Guarded by closeLock. */
    private boolean closed;

    MountedImage(Path mountpoint, Session session, CountDownLatch ended) {
        this.mountpoint = mountpoint;
        this.session = session;
        this.ended = ended;
        this.shutdownHook = Thread.ofPlatform().unstarted(this::closeOnShutdown);
        shutdownHook.setName("fr1-unmount " + mountpoint);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    @Override
    public Path mountpoint() {
        return mountpoint;
    }

    @Override
    public void awaitUnmounted() throws InterruptedException {
        ended.await();
    }

    /** True once the file system loop has ended. */
    boolean isUnmounted() {
        return ended.getCount() == 0;
    }

    @Override
    public void close() throws IOException {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            if (!isUnmounted()) {
                Mounts.unmount(mountpoint); // throws if busy: the mount stays usable, close() may be retried
            }
            closed = true;
            IOException failure = null;
            try {
                awaitLoopEnd();
            } catch (IOException e) {
                failure = e;
            }
            try {
                session.release();
            } catch (IOException | RuntimeException e) {
                failure = collect(failure, new IOException("releasing the FUSE session of " + mountpoint + " failed: " + e.getMessage(), e));
            }
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // The JVM is shutting down (maybe this is the hook): nothing to remove.
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    private static IOException collect(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private void awaitLoopEnd() throws IOException {
        try {
            if (!ended.await(LOOP_END_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IOException("unmounted " + mountpoint + " but its file system loop did not end within "
                        + LOOP_END_TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the file system loop of " + mountpoint + " to end");
        }
    }

    private void closeOnShutdown() {
        try {
            close();
        } catch (IOException | RuntimeException e) {
            LOG.error("could not unmount {} at shutdown: {}", mountpoint, e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "MountedImage[" + mountpoint + "]";
    }
}
