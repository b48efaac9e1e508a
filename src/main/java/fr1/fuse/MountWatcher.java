package fr1.fuse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;

/** Fallback end-of-mount detection: polls the mount table until no FUSE file system is mounted at a path. */
final class MountWatcher {

    private static final Logger LOG = LoggerFactory.getLogger(MountWatcher.class);
    private static final long POLL_MILLIS = 250;

    private MountWatcher() {
    }

    static void start(Path mountpoint, Runnable onGone) {
        Thread.ofPlatform().daemon().name("fr1-mount-watch " + mountpoint).start(() -> {
            try {
                while (Mounts.fuseMountType(mountpoint).isPresent()) {
                    Thread.sleep(POLL_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot read the mount table to watch {}: {}", mountpoint, fr1.engine.Reasons.withFile(e));
            } finally {
                onGone.run();
            }
        });
    }
}
