package fr1.cli;

import fr1.control.ControlServer;
import fr1.control.DaemonLock;
import fr1.control.MetricsFile;
import fr1.engine.Mirror;
import fr1.engine.Reasons;
import fr1.fuse.ImageMount;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * A foreground mount daemon's parts and their shutdown, owned in one place. The parts are attached as they
 * come up; {@link #close()} takes down whatever is there, in order: unmount (no more I/O comes in), stop
 * taking control requests, close the array cleanly, remove the control socket (this tells
 * {@code fr1 umount} the array is closed), release the lock. It runs once: from the main thread after
 * the unmount, from the shutdown hook on SIGTERM/SIGINT, or both; a second caller waits for the first.
 */
final class RunningMount implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RunningMount.class);

    private final String mountpoint;
    private final DaemonLock lock;
    // Attached once each during start-up; volatile so a control worker's unmount() sees the mount without
    // waiting for a close() in progress.
    private volatile Mirror mirror;
    private volatile ImageMount mount;
    private volatile ControlServer server;
    private volatile MetricsFile metrics;
    // Guarded by this.
    private boolean closed;

    RunningMount(String mountpoint, DaemonLock lock) {
        this.mountpoint = mountpoint;
        this.lock = lock;
    }

    void attach(Mirror m) {
        this.mirror = m;
    }

    void attach(ImageMount m) {
        this.mount = m;
    }

    void attach(ControlServer s) {
        this.server = s;
    }

    void attach(MetricsFile m) {
        this.metrics = m;
    }

    /**
     * The control channel's {@code umount}: unmounts now so a busy mount is refused to the caller; the main
     * thread, waiting for the unmount, then closes the rest.
     */
    void unmount() throws IOException {
        ImageMount m = mount;
        if (m != null) {
            m.close();
        }
    }

    /** Shuts everything down; failures are logged and collected. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        if (metrics != null) {
            metrics.close();
        }
        if (mount != null) {
            try {
                mount.close();
            } catch (IOException | RuntimeException e) {
                // Busy on SIGTERM: the process ends anyway, so the array is closed cleanly regardless.
                log.warn("could not unmount {}: {}; closing the array anyway", mountpoint, e.getMessage());
                failure = collect(failure, e);
            }
        }
        if (server != null) {
            server.stopAccepting();
        }
        if (mirror != null) {
            try {
                mirror.close();
            } catch (IOException | RuntimeException e) {
                log.error("closing the array of {} failed: {}", mountpoint, Reasons.withFile(e));
                failure = collect(failure, e);
            }
        }
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                failure = collect(failure, e);
            }
        }
        try {
            lock.close();
        } catch (IOException e) {
            failure = collect(failure, e);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** For the shutdown hook, which has nobody to throw to: close() logs its failures already. */
    void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            log.debug("shutdown of {} finished with errors", mountpoint, e);
        }
    }

    private static IOException collect(IOException first, Exception e) {
        if (first == null) {
            return e instanceof IOException io ? io : new IOException(Reasons.of(e), e);
        }
        first.addSuppressed(e);
        return first;
    }
}
