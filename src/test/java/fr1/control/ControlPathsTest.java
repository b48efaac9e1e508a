package fr1.control;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlPathsTest {

    @TempDir
    Path dir;

    @Test
    void idIsFirst16HexOfSha256OfTheRealPath() {
        // printf %s /mnt/x | sha256sum | cut -c1-16
        assertEquals("c10865fc00f31eff", ControlPaths.mountId(Path.of("/mnt/x")));
        assertEquals(sha256Prefix("/some/other dir"), ControlPaths.mountId(Path.of("/some/other dir")));
    }

    @Test
    void everySpellingOfAMountpointGivesTheSameFiles() throws Exception {
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), mnt);
        ControlPaths paths = new ControlPaths(dir.resolve("run"));
        ControlPaths.MountFiles a = paths.forMountpoint(mnt);
        assertEquals(a, paths.forMountpoint(link));
        assertEquals(a, paths.forMountpoint(dir.resolve("mnt/../mnt/.")));
        assertEquals(dir.resolve("run").resolve(a.id() + ".sock"), a.socket());
        assertEquals(dir.resolve("run").resolve(a.id() + ".lock"), a.lock());
        assertEquals(dir.resolve("run").resolve(a.id() + ".log"), a.log());
        assertEquals(mnt.toRealPath(), a.mountpoint());
    }

    @Test
    void missingMountpointStillHasAnId() throws Exception {
        ControlPaths paths = new ControlPaths(dir.resolve("run"));
        assertEquals(dir.toRealPath().resolve("gone"), paths.forMountpoint(dir.resolve("gone")).mountpoint());
    }

    @Test
    void runDirIsCreatedPrivateAndTightened() throws Exception {
        ControlPaths paths = new ControlPaths(dir.resolve("a/run"));
        paths.ensureRunDir();
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(dir.resolve("a/run")));
        Files.setPosixFilePermissions(dir.resolve("a/run"), PosixFilePermissions.fromString("rwxr-xr-x"));
        paths.ensureRunDir();
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(dir.resolve("a/run")));
    }

    @Test
    void locateFindsTheOwnRunDir() throws Exception {
        Path mnt = Files.createDirectory(dir.resolve("m"));
        ControlPaths paths = new ControlPaths(dir.resolve("run"));
        assertEquals(paths.forMountpoint(mnt), paths.locate(mnt));
        assertTrue(paths.runDir().isAbsolute());
    }

    private static String sha256Prefix(String s) {
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(h).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
