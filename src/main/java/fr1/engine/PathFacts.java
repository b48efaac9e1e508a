package fr1.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What the engine learns about a member's path when it attaches it: the canonical path (commands name members by
 * path and are matched against this) and the file's identity (a path that later names another file is failed).
 * Reading these touches the member's file system, so it runs off every lock, with a deadline where it can hang.
 */
record PathFacts(Path canonical, Object fileKey) {

    static PathFacts read(Path path) {
        return new PathFacts(MemberPaths.canonical(path), fileKey(path));
    }

    /** The (device, inode) of a path, or null if it cannot be read. */
    static Object fileKey(Path p) {
        if (p == null) {
            return null;
        }
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
