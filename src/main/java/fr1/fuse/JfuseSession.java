package fr1.fuse;

import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseMountFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeoutException;

/**
 * jfuse (libfuse3 through FFM). {@link Fuse#mount} returns once the kernel answered a first request; the loop
 * then runs on jfuse's own single-thread executor. libfuse3 calls destroy only from {@code fuse_destroy}, not
 * when the kernel unmounts (measured: an outside {@code fusermount3 -u} ends the loop without destroy), so the
 * end of the loop is observed by queueing a task behind it on that executor: it runs the moment
 * {@code fuse_loop_mt} returns, that is once the connection is gone (after a lazy unmount, once the last open
 * file is closed), exactly as with jnr. Should that private field ever move, a watcher of the mount table stands in.
 */
record JfuseSession(Fuse fuse, Arena extras) implements Session {

    private static final Logger LOG = LoggerFactory.getLogger(JfuseSession.class);

    static final String LIBRARY = "libfuse3.so.3";

    /** Mounts {@code fs} at {@code mountpoint}; {@code onEnded} runs when the file system loop ends. */
    static JfuseSession start(ImageFs fs, Path mountpoint, List<String> options, Runnable onEnded) throws IOException {
        FuseBuilder builder;
        try {
            builder = Fuse.builder();
        } catch (UnsupportedOperationException | ServiceConfigurationError e) {
            throw new IOException("jfuse has no native binding for " + System.getProperty("os.name") + "/"
                    + System.getProperty("os.arch") + ": use the jnr binding", e);
        }
        Optional<Path> library = NativeLibraries.find(LIBRARY);
        library.ifPresent(path -> builder.setLibraryPath(path.toString()));
        Fuse fuse;
        JfuseOperations ops = new JfuseOperations(fs, builder.errno(), onEnded);
        try {
            fuse = builder.build(ops);
        } catch (UnsatisfiedLinkError e) {
            throw new IOException("libfuse3 not found: install fuse3 (" + e.getMessage() + ")", e);
        }
        // The stubs of fallocate and lseek live until the loop has ended (release), or for good if it never does.
        Arena extras = Arena.ofShared();
        JfuseExtras.bind(fuse, ops, extras);
        try {
            fuse.mount("fr1", mountpoint, options.toArray(String[]::new));
        } catch (FuseMountFailedException | IllegalArgumentException | IllegalStateException e) {
            IOException failure = new IOException("mounting " + mountpoint + " with jfuse failed: " + e.getMessage(), e);
            try {
                fuse.close();
            } catch (TimeoutException | RuntimeException closeFailure) {
                failure.addSuppressed(closeFailure);
            }
            throw failure;
        }
        if (!runAfterLoop(fuse, onEnded)) {
            MountWatcher.start(mountpoint, onEnded);
        }
        return new JfuseSession(fuse, extras);
    }

    /** Queues {@code task} on jfuse's loop executor (jfuse 0.7.x: field {@code Fuse.executor}, one thread). */
    static boolean runAfterLoop(Fuse fuse, Runnable task) {
        try {
            Field field = Fuse.class.getDeclaredField("executor");
            field.setAccessible(true);
            if (field.get(fuse) instanceof ExecutorService executor) {
                executor.execute(task);
                return true;
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot observe the jfuse loop directly ({}); watching the mount table instead", fr1.engine.Reasons.of(e));
        }
        return false;
    }

    @Override
    public void release() throws IOException {
        try {
            fuse.close();
        } catch (TimeoutException e) {
            throw new IOException("jfuse did not stop its file system loop within 10 s", e);
        }
        try {
            extras.close();
        } catch (IllegalStateException alreadyClosed) {
            // Released twice: the stubs are gone already.
        }
    }
}
