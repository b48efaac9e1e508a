package fr1.fuse;

import fr1.engine.Volume;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Mounts a {@link Volume} as one image file. Both bindings present the same file system (see {@link ImageFs}),
 * mount with {@code default_permissions} (the kernel enforces the options' mode, uid and gid), run
 * multithreaded, and take requests as large as the library allows: 1 MiB with jfuse/libfuse3, 128 KiB with
 * jnr/libfuse2 ({@code big_writes}). The returned mount also unmounts itself from a JVM shutdown hook.
 */
public final class FuseMounter {

    private static final long READY_TIMEOUT_MILLIS = 10_000;

    private FuseMounter() {
    }

    /**
     * Mounts and returns once the mount is ready (a stat of {@code mountpoint/imageName} works).
     *
     * @throws IOException with a one-line message, e.g. "mountpoint /x is not an empty directory" or
     *                     "libfuse3 not found: install fuse3"
     */
    public static ImageMount mount(Volume volume, Path mountpoint, FuseOptions options) throws IOException {
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(mountpoint, "mountpoint");
        Objects.requireNonNull(options, "options");
        Mounts.checkDevFuse();
        Path mp = Mounts.checkMountpoint(mountpoint);
        ImageFs fs = new ImageFs(volume, options, Instant.now());
        CountDownLatch ended = new CountDownLatch(1);
        List<String> args = arguments(options);
        Session session = switch (options.binding()) {
            case FuseOptions.JNR -> JnrSession.start(fs, mp, args, ended::countDown);
            default -> JfuseSession.start(fs, mp, args, ended::countDown);
        };
        MountedImage mount = new MountedImage(mp, session, ended);
        try {
            awaitReady(mount, mp.resolve(options.imageName()), session);
        } catch (IOException e) {
            try {
                mount.close();
            } catch (IOException | RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        return mount;
    }

    /** The command line the binding passes to libfuse (after the program name, before the mount point). */
    static List<String> arguments(FuseOptions options) {
        // libfuse splits -o at commas; a backslash escapes one (and itself).
        String fsname = options.fsname().replace("\\", "\\\\").replace(",", "\\,");
        List<String> mountOptions = new ArrayList<>(List.of("fsname=" + fsname, "subtype=fr1", "default_permissions"));
        if (options.allowOther()) {
            mountOptions.add("allow_other");
        }
        if (options.binding().equals(FuseOptions.JNR)) {
            // libfuse2 splits writes into 4 KiB requests without big_writes; 128 KiB is its ceiling.
            int max = JnrFileSystem.MAX_REQUEST;
            mountOptions.addAll(List.of("big_writes", "max_write=" + max, "max_readahead=" + max));
        }
        // jfuse: libfuse 3.14 rejects max_write as a mount option; JfuseOperations.init sets it.
        return List.of("-o", String.join(",", mountOptions));
    }

    private static void awaitReady(MountedImage mount, Path image, Session session) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
        IOException last = null;
        while (true) {
            if (mount.isUnmounted()) {
                String why = session instanceof JnrSession jnr ? jnr.failureMessage() : "the file system loop ended";
                throw new IOException("mounting " + mount.mountpoint() + " failed: " + why);
            }
            try {
                if (Files.readAttributes(image, BasicFileAttributes.class).isRegularFile()) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("mount at " + mount.mountpoint() + " did not become ready within "
                        + READY_TIMEOUT_MILLIS / 1000 + " s" + (last == null ? "" : ": " + last), last);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the mount at " + mount.mountpoint());
            }
        }
    }
}
