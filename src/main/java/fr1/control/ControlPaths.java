package fr1.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Where a mount's run files live: {@code <runDir>/<id>.sock} (control socket), {@code .lock} (held by the
 * daemon for its whole life) and {@code .log} (a background daemon's output). The id is the first 16 hex
 * digits of the SHA-256 of the mountpoint's real path, so every spelling of a mountpoint finds the same mount.
 * <p>
 * The run directory is {@code $FR1_RUN_DIR} if set, else {@code /run/fr1} for root. Other users cannot use
 * {@code /run/fr1} (root's, mode 0700), so theirs is {@code $XDG_RUNTIME_DIR/fr1}, else
 * {@code /run/user/<uid>/fr1}, else {@code <tmpdir>/fr1-<uid>}. Root also looks in {@code /run/user/*}/fr1 to
 * find users' mounts.
 */
public final class ControlPaths {

    public static final String ENV_RUN_DIR = "FR1_RUN_DIR";
    static final Path SYSTEM_RUN_DIR = Path.of("/run/fr1");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final Path runDir;
    /** Extra directories searched for a socket (root finding users' mounts); never created. */
    private final List<Path> otherDirs;

    /** Files for one mountpoint. {@code mountpoint} is the resolved path the id was computed from. */
    public record MountFiles(String id, Path mountpoint, Path socket, Path lock, Path log) {
    }

    public ControlPaths(Path runDir) {
        this(runDir, List.of());
    }

    private ControlPaths(Path runDir, List<Path> otherDirs) {
        this.runDir = runDir.toAbsolutePath().normalize();
        this.otherDirs = otherDirs;
    }

    /** The run directory chosen from the environment and the current user, as described above. */
    public static ControlPaths fromEnvironment() throws IOException {
        String override = System.getenv(ENV_RUN_DIR);
        if (override != null && !override.isBlank()) {
            return new ControlPaths(Path.of(override));
        }
        int uid = currentUid();
        if (uid == 0) {
            return new ControlPaths(SYSTEM_RUN_DIR, userRunDirs());
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank() && Files.isDirectory(Path.of(xdg))) {
            return new ControlPaths(Path.of(xdg, "fr1"));
        }
        Path userRun = Path.of("/run/user", Integer.toString(uid));
        if (Files.isDirectory(userRun)) {
            return new ControlPaths(userRun.resolve("fr1"));
        }
        return new ControlPaths(Path.of(System.getProperty("java.io.tmpdir"), "fr1-" + uid));
    }

    public Path runDir() {
        return runDir;
    }

    /** The run files of a mountpoint in this run directory (where a daemon creates them). */
    public MountFiles forMountpoint(Path mountpoint) throws IOException {
        Path resolved = resolve(mountpoint);
        return filesIn(runDir, resolved);
    }

    /**
     * The run files of a mountpoint for a client: those in the first searched directory that has its socket,
     * else those in this run directory (which then do not exist).
     */
    public MountFiles locate(Path mountpoint) throws IOException {
        Path resolved = resolve(mountpoint);
        MountFiles own = filesIn(runDir, resolved);
        if (Files.exists(own.socket(), LinkOption.NOFOLLOW_LINKS)) {
            return own;
        }
        for (Path dir : otherDirs) {
            MountFiles f = filesIn(dir, resolved);
            if (Files.exists(f.socket(), LinkOption.NOFOLLOW_LINKS)) {
                return f;
            }
        }
        return own;
    }

    /** The directories searched for control sockets: the run directory first (for {@code lsraid}). */
    public List<Path> searchDirs() {
        List<Path> all = new ArrayList<>();
        all.add(runDir);
        all.addAll(otherDirs);
        return all;
    }

    /** Creates the run directory if needed and makes sure only we can enter it (0700, owned by us). */
    public void ensureRunDir() throws IOException {
        if (!Files.isDirectory(runDir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(runDir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        }
        int owner = (Integer) Files.getAttribute(runDir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int us = currentUid();
        if (owner != us) {
            // Someone else's directory could hold a socket they control; never use it.
            throw new IOException("run directory " + runDir + " belongs to uid " + owner + ", not to uid " + us
                    + " (set " + ENV_RUN_DIR + " to a directory of your own)");
        }
        if (!Files.getPosixFilePermissions(runDir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY)) {
            Files.setPosixFilePermissions(runDir, OWNER_ONLY);
        }
    }

    /** The id of a mountpoint: first 16 hex digits of SHA-256 of its real path. */
    public static String mountId(Path resolvedMountpoint) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest(resolvedMountpoint.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * The real path of a mountpoint. If the mountpoint itself cannot be resolved (a FUSE mount whose daemon
     * died answers ENOTCONN), its parent's real path plus its name is used: the parent is not the mount.
     */
    static Path resolve(Path mountpoint) throws IOException {
        Path abs = mountpoint.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            Path parent = abs.getParent();
            if (parent == null || abs.getFileName() == null) {
                throw e;
            }
            return parent.toRealPath().resolve(abs.getFileName());
        }
    }

    /** The effective uid of this process: the owner of /proc/self. */
    public static int currentUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    private static MountFiles filesIn(Path dir, Path resolved) {
        String id = mountId(resolved);
        return new MountFiles(id, resolved, dir.resolve(id + ".sock"), dir.resolve(id + ".lock"),
                dir.resolve(id + ".log"));
    }

    private static List<Path> userRunDirs() {
        List<Path> dirs = new ArrayList<>();
        Path base = Path.of("/run/user");
        if (!Files.isDirectory(base)) {
            return dirs;
        }
        try (DirectoryStream<Path> users = Files.newDirectoryStream(base)) {
            for (Path u : users) {
                dirs.add(u.resolve("fr1"));
            }
        } catch (IOException e) {
            // Not being able to list /run/user only means root does not find users' mounts.
        }
        return List.copyOf(dirs);
    }
}
