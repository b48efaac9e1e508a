package fr1.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;

/**
 * What the engine learns about a member's path when it attaches it: the canonical path (commands name members by
 * path and are matched against this), the file's identity (a path that later names another file is failed) and
 * whether it is on a local file system (calls may then run on the caller's thread). Reading these touches the
 * member's file system, so it runs off every lock, with a deadline ({@link Calls#withDeadline}).
 */
record PathFacts(Path canonical, Object fileKey, boolean local) {

    /** File systems whose calls do not wait on a network or another process. */
    private static final Set<String> LOCAL = Set.of("ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "f2fs", "zfs",
            "jfs", "reiserfs", "vfat", "exfat", "devtmpfs", "bcachefs");

    static PathFacts read(Path path) {
        return new PathFacts(MemberPaths.canonical(path), fileKey(path), isLocal(path));
    }

    /** The (device, inode) of a path, or null if it cannot be read. */
    static Object fileKey(Path p) {
        if (p == null) {
            return null;
        }
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean isLocal(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode");
            if (mode instanceof Integer m && (m & 0170000) == 0060000) {
                return !p.toRealPath().getFileName().toString().startsWith("nbd"); // a block device; nbd is remote
            }
            return LOCAL.contains(Files.getFileStore(p).type());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
