package fr1.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RaidtabTest {

    private static final Path FILE = Path.of("/etc/fr1/vol.raidtab");

    @TempDir
    Path dir;

    private static final String TWO_ARRAYS = """
            # two arrays, as raidtools2 wrote them
            raiddev /dev/md0
                raid-level            1
                nr-raid-disks         2
                nr-spare-disks        1
                chunk-size            128     # KiB
                persistent-superblock 1
                device                /nfs/b.img
                raid-disk             1
                device                /data/a.img
                raid-disk             0
                device                /data/spare.img
                spare-disk            0
                fr1-size              10G
                fr1-options           async,resync-max=50
                fr1-mountpoint        /srv/vol/

            raiddev vm.img
                raid-level    1
                nr-raid-disks 3
                device        /d/my disk.img
                raid-disk     0
                device        /d/b#1.img
                raid-disk     1
                device        /d/c.img
                failed-disk   2
            """;

    private static Raidtab parse(String text) {
        return Raidtab.parse(text, FILE);
    }

    @Test
    void readsSeveralArrays() {
        Raidtab t = parse(TWO_ARRAYS);
        assertEquals(2, t.arrays().size());
        Raidtab.Array md0 = t.select("md0");
        assertEquals("/dev/md0", md0.name());
        assertEquals(2, md0.line());
        assertEquals(128 << 10, md0.chunkSize());
        assertEquals(List.of(Path.of("/data/a.img"), Path.of("/nfs/b.img")), md0.members(), "in raid-disk order");
        assertEquals(List.of(Path.of("/data/spare.img")), md0.spares());
        assertEquals(List.of(Path.of("/data/a.img"), Path.of("/nfs/b.img"), Path.of("/data/spare.img")),
                md0.mountPaths());
        assertEquals(10L << 30, md0.size());
        assertEquals("disk.img", md0.imageName(), "an md-style name keeps fr1's default image name");
        assertEquals("name=disk.img,async,resync-max=50", md0.mountOptions());
        assertEquals(Path.of("/srv/vol"), md0.mountpoint());

        Raidtab.Array vm = t.select("vm.img");
        assertEquals("vm.img", vm.imageName(), "a plain raiddev name is the image's file name");
        assertEquals(64 << 10, vm.chunkSize(), "default chunk-size 64 KiB");
        assertEquals(List.of(Path.of("/d/my disk.img"), Path.of("/d/b#1.img")), vm.members(),
                "values run to the end of the line; '#' inside a word is no comment; failed-disks are left out");
        assertEquals(1, vm.failed().size());
        assertNull(vm.size());
        assertNull(vm.mountpoint());
        assertEquals("name=vm.img", vm.mountOptions());
    }

    @Test
    void selectsByNameOrLastElementAndNeedsANameWhenSeveral() {
        Raidtab t = parse(TWO_ARRAYS);
        assertEquals("/dev/md0", t.select("/dev/md0").name());
        assertEquals("/dev/md0", t.select("md0").name());
        assertEquals("usage /etc/fr1/vol.raidtab has 2 arrays (/dev/md0, vm.img): name one", fails(() -> t.select(null)));
        assertEquals("usage no raiddev 'md1' in /etc/fr1/vol.raidtab (it has /dev/md0, vm.img)", fails(() -> t.select("md1")));
        Raidtab one = parse("raiddev x\nraid-level 1\nnr-raid-disks 1\ndevice /a\nraid-disk 0\n");
        assertEquals("x", one.select(null).name());
    }

    @Test
    void fr1ImageWinsOverTheRaiddevName() {
        Raidtab t = parse("raiddev md0\nraid-level 1\nnr-raid-disks 1\ndevice /a\nraid-disk 0\nfr1-image vm.raw\n");
        assertEquals("vm.raw", t.select("md0").imageName());
        assertEquals("name=vm.raw", t.select("md0").mountOptions());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            /srv/vol/vol.img              |                                       | vol.img  | /srv/vol
            /srv/vol/../vol/x.raw         |                                       | x.raw    | /srv/vol
            /srv/vol/vol.img              | fr1-mountpoint /mnt/v                 | vol.img  | /mnt/v
            /srv/vol/vol.img              | fr1-image vm.raw                      | vm.raw   | /srv/vol
            /dev/md0                      |                                       | disk.img |
            /dev/md0                      | fr1-mountpoint /srv/md0               | disk.img | /srv/md0
            /vol.img                      |                                       | disk.img |
            vm.img                        |                                       | vm.img   |
            /srv/my vol.img               |                                       | disk.img |
            """)
    void theRaiddevNameIsTheImagesPath(String raiddev, String extra, String image, String mountpoint) {
        Raidtab.Array a = parse("raiddev " + raiddev + "\nraid-level 1\nnr-raid-disks 1\ndevice /a\nraid-disk 0\n"
                + (extra == null ? "" : extra + "\n")).select(null);
        assertEquals(image, a.imageName());
        assertEquals(mountpoint == null ? null : java.nio.file.Path.of(mountpoint), a.mountpoint());
        assertEquals(a, parse("raiddev " + raiddev + "\nraid-level 1\nnr-raid-disks 1\ndevice /a\nraid-disk 0\n"
                + (extra == null ? "" : extra + "\n")).select(Raidtab.lastElement(raiddev)), "its last element selects it");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            raid-dsik 0                                       | 7 | unknown key 'raid-dsik'
            raid-level 1                                      | 7 | 'raid-level' given twice in raiddev vol (first on line 2)
            chunk-size 3                                      | 7 | chunk-size 3: must be a power of two from 4 to 65536 (KiB)
            chunk-size big                                    | 7 | chunk-size 'big': expected a whole number
            persistent-superblock 0                           | 7 | persistent-superblock 0: must be 1 (fr1 always keeps its metadata on the members)
            nr-raid-disks 3                                   | 7 | 'nr-raid-disks' given twice in raiddev vol (first on line 3)
            fr1-size 1000                                     | 7 | fr1-size 1000: must be a positive multiple of 4K
            fr1-size 1X                                       | 7 | fr1-size: malformed size '1X': expected a whole number with an optional K, M, G or T suffix (1K = 1024)
            fr1-image a/b                                     | 7 | fr1-image a/b: must be a plain file name, no '/'
            fr1-options bogus                                 | 7 | fr1-options: unknown mount option 'bogus'
            fr1-options name=x                                | 7 | fr1-options: give the image name with fr1-image, not name=
            fr1-mountpoint srv                                | 7 | fr1-mountpoint srv: use an absolute path
            fr1-size                                          | 7 | 'fr1-size' needs a value
            raid-disk 2                                       | 7 | 'raid-disk' without a device line right before it
            device rel.img                                    | 7 | device rel.img: use an absolute path
            device /c.img                                     | 7 | device /c.img needs a raid-disk, spare-disk or failed-disk line right after it
            device /a.img\\nraid-disk 2                       | 7 | device /a.img is listed twice (also on line 4)
            """)
    void errorsNameFileAndLine(String extra, int line, String message) {
        String body = String.join("\n", "raiddev vol", "raid-level 1", "nr-raid-disks 2", "device /a.img",
                "raid-disk 0", "   # a comment", extra.replace("\\n", "\n"), "device /b.img", "raid-disk 1") + "\n";
        assertEquals("usage " + FILE + ":" + line + ": " + message, fails(() -> parse(body)));
    }

    @Test
    void countsMustMatchTheDevices() {
        String base = "raiddev vol\nraid-level 1\nnr-raid-disks 3\ndevice /a\nraid-disk 0\ndevice /b\nraid-disk 1\n";
        assertEquals("usage " + FILE + ":3: nr-raid-disks is 3 but 2 devices have raid-disk or failed-disk",
                fails(() -> parse(base)));
        String spare = "raiddev vol\nraid-level 1\nnr-raid-disks 1\ndevice /a\nraid-disk 0\ndevice /s\nspare-disk 0\n";
        assertEquals("usage " + FILE + ":1: nr-spare-disks is 0 (not given) but 1 device has spare-disk",
                fails(() -> parse(spare)));
        String range = "raiddev vol\nraid-level 1\nnr-raid-disks 2\ndevice /a\nraid-disk 0\ndevice /b\nraid-disk 2\n";
        assertEquals("usage " + FILE + ":7: raid-disk 2: out of range 0..1 (nr-raid-disks 2)", fails(() -> parse(range)));
        String twice = "raiddev vol\nraid-level 1\nnr-raid-disks 2\ndevice /a\nraid-disk 1\ndevice /b\nraid-disk 1\n";
        assertEquals("usage " + FILE + ":7: number 1 is already used by /a (line 5)", fails(() -> parse(twice)));
        String shared = "raiddev vol\nraid-level 1\nnr-raid-disks 2\ndevice /a\nraid-disk 0\ndevice /b\nfailed-disk 0\n";
        assertEquals("usage " + FILE + ":7: number 0 is already used by /a (line 5)", fails(() -> parse(shared)),
                "raid-disk and failed-disk share the slot numbers");
        String allFailed = "raiddev vol\nraid-level 1\nnr-raid-disks 1\ndevice /a\nfailed-disk 0\n";
        assertEquals("usage " + FILE + ":1: raiddev vol: no raid-disk (every device is failed or spare)",
                fails(() -> parse(allFailed)));
    }

    @Test
    void sectionLevelErrors() {
        assertEquals("usage " + FILE + ":1: 'raid-level' before any raiddev line", fails(() -> parse("raid-level 1\n")));
        assertEquals("usage " + FILE + ":2: raid-level 5: fr1 does RAID1 only (raid-level 1)",
                fails(() -> parse("raiddev x\nraid-level 5\n")));
        assertEquals("usage " + FILE + ":2: raid-level linear: fr1 does RAID1 only (raid-level 1)",
                fails(() -> parse("raiddev x\n  RAID-LEVEL linear  # keys in any case\n")));
        assertEquals("usage " + FILE + ":1: raiddev x: raid-level missing (fr1 needs raid-level 1)",
                fails(() -> parse("raiddev x\nnr-raid-disks 1\ndevice /a\nraid-disk 0\n")));
        assertEquals("usage " + FILE + ":1: raiddev x: nr-raid-disks missing",
                fails(() -> parse("raiddev x\nraid-level 1\ndevice /a\nraid-disk 0\n")));
        String dup = "raiddev x\nraid-level 1\nnr-raid-disks 1\ndevice /a\nraid-disk 0\n"
                + "raiddev x\nraid-level 1\nnr-raid-disks 1\ndevice /b\nraid-disk 0\n";
        assertEquals("usage " + FILE + ":6: raiddev 'x' is already defined on line 1", fails(() -> parse(dup)));
        String shared = "raiddev x\nraid-level 1\nnr-raid-disks 1\ndevice /a\nraid-disk 0\n"
                + "raiddev y\nraid-level 1\nnr-raid-disks 1\ndevice /a\nraid-disk 0\n";
        assertEquals("usage " + FILE + ":9: device /a is also in raiddev x", fails(() -> parse(shared)));
        assertEquals("usage " + FILE + ": no raiddev in the file", fails(() -> parse("# empty\n").select(null)));
    }

    @Test
    void readNamesAMissingFileAndTheDefaultsAreLookedUpInOrder() throws IOException {
        Path missing = dir.resolve("none.raidtab");
        assertEquals("usage " + missing + ": no such file (the raidtab)", fails(() -> Raidtab.read(missing)));
        Path second = Files.writeString(dir.resolve("b"), "");
        assertEquals(second, Raidtab.locate(null, List.of(dir.resolve("a"), second)));
        assertEquals(missing, Raidtab.locate(missing, List.of(second)), "a given file is taken as it is");
        assertEquals("usage no raidtab: give --config FILE (looked for " + dir.resolve("a") + " and "
                + dir.resolve("c") + ")", fails(() -> Raidtab.locate(null, List.of(dir.resolve("a"), dir.resolve("c")))));
    }

    @Test
    void arrayNamesStandForTheirMountpoint() throws IOException {
        Path tab = Files.writeString(dir.resolve("r"), TWO_ARRAYS);
        assertEquals("/srv/vol", Raidtab.resolveMountpoint("md0", tab, true));
        assertEquals(dir.toString(), Raidtab.resolveMountpoint(dir.toString(), tab, true), "an existing path is kept");
        assertEquals("usage " + tab + ":18: raiddev vm.img has no fr1-mountpoint: give the mountpoint instead",
                fails(() -> Raidtab.resolveMountpoint("vm.img", tab, true)));
        assertEquals("usage no raiddev 'md9' in " + tab + " (it has /dev/md0, vm.img)",
                fails(() -> Raidtab.resolveMountpoint("md9", tab, true)));
        assertEquals("md9", Raidtab.resolveMountpoint("md9", tab, false), "lenient: the caller says 'no mount'");
    }

    /** "usage MESSAGE" of the CliException the call throws. */
    private static String fails(org.junit.jupiter.api.function.Executable call) {
        CliException e = assertThrows(CliException.class, call);
        return (e.exitCode() == ExitCodes.USAGE ? "usage " : "exit " + e.exitCode() + " ") + e.getMessage();
    }
}
