package fr1.fuse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * jnr-fuse (libfuse2 through jnr-ffi). The blocking {@code fuse_main} runs on a thread of ours, so its return
 * tells exactly when the file system is gone (by close() or from outside), with no fixed wait as in jnr-fuse's
 * non-blocking mount.
 */
record JnrSession(JnrFileSystem fileSystem, AtomicReference<Throwable> loopFailure) implements Session {

    private static final Logger LOG = LoggerFactory.getLogger(JnrSession.class);

    /**
     * Starts the loop for {@code fs} at {@code mountpoint}; {@code onEnded} runs when it ends. Returns at once:
     * the caller waits for the mount to show up.
     */
    static JnrSession start(ImageFs fs, Path mountpoint, List<String> options, Runnable onEnded) throws IOException {
        JnrFileSystem fileSystem;
        try {
            fileSystem = new JnrFileSystem(fs);
        } catch (LinkageError | RuntimeException e) {
            throw new IOException("libfuse2 not found: install libfuse2 (" + e.getMessage() + ")", e);
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        String[] args = options.toArray(String[]::new);
        Thread.ofPlatform().daemon().name("fr1-jnr-fuse " + mountpoint).start(() -> {
            try {
                fileSystem.mount(mountpoint, true, false, args);
            } catch (Throwable t) {
                failure.set(t);
                LOG.debug("jnr-fuse loop at {} ended with {}", mountpoint, t.toString());
            } finally {
                fileSystem.markUnmounted();
                onEnded.run();
            }
        });
        return new JnrSession(fileSystem, failure);
    }

    /** Why the loop ended early, if it did. */
    String failureMessage() {
        Throwable t = loopFailure.get();
        if (t == null) {
            return "fuse_main returned";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? String.valueOf(t.getMessage()) : t.getMessage() + ": " + root.getMessage();
    }

    @Override
    public void release() {
        fileSystem.markUnmounted();
    }
}
