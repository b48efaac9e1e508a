package fr1.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Telling whether two paths name the same member file ({@link #canonical} touches the file system: never call it
 * under a lock), and how a member's path is shown ({@link #shown}, which does not).
 */
final class MemberPaths {

    private MemberPaths() {
    }

    /** A path as status, events and the metadata's last known paths show it: absolute, as given otherwise. */
    static String shown(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize().toString();
    }

    /** A member's path, or while it has none (missing at assembly) the one its metadata last knew; null if neither. */
    static String shown(Member m) {
        Path p = m.path;
        return p != null ? shown(p) : m.lastKnownPath;
    }

    /**
     * The file a path names: links resolved, also a link to a file that does not exist yet (create would make it
     * through the link) and a missing file in a linked directory.
     */
    static Path canonical(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        for (int hops = 0; hops < 40; hops++) {
            try {
                return abs.toRealPath();
            } catch (IOException e) {
                // Missing, or a dangling link: resolve what can be.
            }
            if (Files.isSymbolicLink(abs)) {
                try {
                    abs = abs.resolveSibling(Files.readSymbolicLink(abs)).toAbsolutePath().normalize();
                    continue;
                } catch (IOException e) {
                    return abs;
                }
            }
            Path parent = abs.getParent();
            if (parent == null) {
                return abs;
            }
            try {
                return parent.toRealPath().resolve(abs.getFileName());
            } catch (IOException e) {
                return abs;
            }
        }
        return abs;
    }
}
