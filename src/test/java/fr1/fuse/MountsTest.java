package fr1.fuse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MountsTest {

    @Test
    void parsesMountInfoLines() {
        assertEquals(Optional.of(new Mounts.MountInfoLine("/tmp/my mnt", "fuse.fr1")), Mounts.MountInfoLine.parse(
                "612 29 0:39 / /tmp/my\\040mnt rw,nosuid,nodev,relatime shared:300 - fuse.fr1 fr1 rw,user_id=0,group_id=0"));
        assertEquals(Optional.of(new Mounts.MountInfoLine("/", "ext4")), Mounts.MountInfoLine.parse(
                "29 1 254:0 / / rw,relatime - ext4 /dev/vda rw"));
        assertEquals(Optional.empty(), Mounts.MountInfoLine.parse("garbage"));
        assertEquals("a\\b\tc", Mounts.MountInfoLine.unescape("a\\134b\\011c"));
        assertEquals("trailing\\", Mounts.MountInfoLine.unescape("trailing\\"));
    }

    @Test
    void refusesMountpointsThatAreMissingFilesOrNotEmpty(@TempDir Path dir) throws IOException {
        IOException missing = assertThrows(IOException.class, () -> Mounts.checkMountpoint(dir.resolve("nope")));
        assertEquals("mountpoint " + dir.resolve("nope") + " does not exist", missing.getMessage());
        Path file = Files.createFile(dir.resolve("file"));
        IOException notDir = assertThrows(IOException.class, () -> Mounts.checkMountpoint(file));
        assertEquals("mountpoint " + file.toRealPath() + " is not an empty directory", notDir.getMessage());
        IOException notEmpty = assertThrows(IOException.class, () -> Mounts.checkMountpoint(dir));
        assertEquals("mountpoint " + dir.toRealPath() + " is not an empty directory", notEmpty.getMessage());
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertEquals(empty.toRealPath(), Mounts.checkMountpoint(empty));
    }

    @Test
    void findsNoFuseMountOnAPlainDirectory(@TempDir Path dir) throws IOException {
        assertEquals(Optional.empty(), Mounts.fuseMountType(dir.toRealPath()));
    }

    @Test
    void parsesLdconfigAndKnowsTheMultiarchDirectories() {
        assertEquals(Optional.of(Path.of("/lib/x86_64-linux-gnu/libfuse3.so.3")), NativeLibraries.parseLdconfigLine(
                "\tlibfuse3.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libfuse3.so.3", "libfuse3.so.3"));
        assertEquals(Optional.empty(), NativeLibraries.parseLdconfigLine(
                "\tlibfuse.so.2 (libc6,x86-64) => /lib/x86_64-linux-gnu/libfuse.so.2", "libfuse3.so.3"));
        assertTrue(NativeLibraries.directories("aarch64").getFirst().contains("aarch64"));
        assertTrue(NativeLibraries.directories("amd64").getFirst().contains("x86_64"));
    }

    @Test
    void mountArgumentsPerBinding() {
        FuseOptions jfuse = new FuseOptions("jfuse", "disk.img", false, 0, 0, 0600);
        assertEquals(List.of("-o", "fsname=fr1,subtype=fr1,default_permissions"), FuseMounter.arguments(jfuse));
        FuseOptions jnr = new FuseOptions("jnr", "disk.img", true, 0, 0, 0600);
        assertEquals(List.of("-o", "fsname=fr1,subtype=fr1,default_permissions,allow_other,big_writes,max_write=131072,max_readahead=131072"),
                FuseMounter.arguments(jnr));
    }

    @Test
    void optionsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new FuseOptions("fuse4j", "disk.img", false, 0, 0, 0600));
        assertThrows(IllegalArgumentException.class, () -> new FuseOptions("jnr", "a/b", false, 0, 0, 0600));
        assertThrows(IllegalArgumentException.class, () -> new FuseOptions("jnr", "..", false, 0, 0, 0600));
        assertThrows(IllegalArgumentException.class, () -> new FuseOptions("jnr", "disk.img", false, 0, 0, 0100600));
        FuseOptions d = FuseOptions.defaults();
        assertEquals("jfuse", d.binding());
        assertEquals("disk.img", d.imageName());
        assertEquals(0600, d.mode());
    }
}
