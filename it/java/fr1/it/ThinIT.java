package fr1.it;

import static fr1.it.support.Fr1Cli.memberState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.control.StatusJson;
import fr1.io.FileStorage;
import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Thin images (issue 11) through the real mount: fstrim on ext4 on a loop device frees the deleted files' space on
 * every member, blkdiscard while a member is failed reaches it when it is added back, and fallocate --punch-hole on
 * the image file itself works. Holes are visible with SEEK_HOLE on jfuse (libfuse2 has no lseek: jnr shows all
 * data).
 */
class ThinIT {

    private static final long MIB = 1 << 20;
    private static final Duration MKFS = Duration.ofMinutes(2);

    private Rig rig;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (rig != null) {
            rig.close();
        }
    }

    /** Bytes {@code file} holds on its file system, as du counts them. */
    static long du(Path file) {
        return Long.parseLong(Sh.run("du", "-B1", file.toString()).out().strip().split("\\s+")[0]);
    }

    @ParameterizedTest(name = "binding={0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void fstrimFreesDeletedFilesOnEveryMember(String binding) throws Exception {
        rig = Rig.open();
        rig.create("512M", 2);
        rig.mount(binding);
        String dev = rig.attachLoop();
        String max = Files.readString(Path.of("/sys/block", Path.of(dev).getFileName().toString(), "queue",
                "discard_max_bytes")).strip();
        assertTrue(Long.parseLong(max) > 0, "the loop device offers no discard");
        Sh.run(MKFS, "mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", dev);
        Sh.run("mount", "-o", "noatime", dev, rig.fs.toString());
        byte[] data = new byte[(int) (4 * MIB)];
        Random r = new Random(11);
        for (int f = 0; f < 5; f++) {
            try (FileChannel ch = FileChannel.open(rig.fs.resolve("f" + f), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                for (int i = 0; i < 10; i++) { // 40 MiB per file, 200 MiB in all
                    r.nextBytes(data);
                    ch.write(ByteBuffer.wrap(data));
                }
            }
        }
        Sh.run("sync");
        long[] full = {du(rig.members.get(0)), du(rig.members.get(1))};
        for (int f = 0; f < 5; f++) {
            Files.delete(rig.fs.resolve("f" + f));
        }
        Sh.run("sync"); // ext4 frees the blocks at the journal commit: before that fstrim does not see them
        Sh.Result trim = Sh.run(Duration.ofMinutes(2), "fstrim", "-v", rig.fs.toString());
        System.out.println("ThinIT " + binding + ": " + trim.out().strip());
        for (int i = 0; i < 2; i++) {
            long after = du(rig.members.get(i));
            System.out.println("ThinIT " + binding + ": member " + i + " " + full[i] / MIB + " MiB -> "
                    + after / MIB + " MiB");
            assertTrue(full[i] - after >= 150 * MIB, "fstrim freed " + (full[i] - after) / MIB + " MiB on member "
                    + i + " (" + full[i] / MIB + " -> " + after / MIB + " MiB)");
        }
        StatusJson.Doc st = rig.cli.status(rig.mnt);
        long reported = st.members().get(0).allocatedBytes();
        long du0 = du(rig.members.get(0));
        assertTrue(Math.abs(reported - du0) <= 8 * MIB, "status says member 0 holds " + reported + ", du " + du0);
        Sh.run("umount", rig.fs.toString());
        Sh.run(MKFS, "fsck.ext4", "-fn", dev);
        rig.detachLoop();
        rig.cli.umount(rig.mnt);
        assertEquals(Rig.sha256(rig.members.get(0), 512 * MIB), Rig.sha256(rig.members.get(1), 512 * MIB),
                "the image regions of m0.img and m1.img differ");
    }

    @ParameterizedTest(name = "binding={0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void blkdiscardWhileAMemberIsFailedReachesItWhenAdded(String binding) throws Exception {
        rig = Rig.open();
        rig.create("256M", 2);
        rig.mount(binding);
        String dev = rig.attachLoop();
        Sh.run(Duration.ofMinutes(1), "dd", "if=/dev/urandom", "of=" + dev, "bs=1M", "count=64", "oflag=direct",
                "status=none");
        rig.cli.fail(rig.mnt, 1);
        Sh.run("blkdiscard", "-f", "-o", Long.toString(16 * MIB), "-l", Long.toString(32 * MIB), dev);
        StatusJson.Doc st = rig.cli.status(rig.mnt);
        long chunk = st.array().chunkSize();
        assertTrue(st.members().get(1).missedChunks() >= 32 * MIB / chunk,
                "the discard is not in member 1's missed set: " + st);
        rig.cli.add(rig.mnt, 1);
        st = rig.cli.awaitInSync(rig.mnt, 1, Duration.ofSeconds(120));
        assertEquals("in_sync", memberState(st, 1));
        rig.detachLoop();
        rig.cli.umount(rig.mnt);
        assertFalse(rig.members.isEmpty());
        assertEquals(Rig.sha256(rig.members.get(0), 256 * MIB), Rig.sha256(rig.members.get(1), 256 * MIB),
                "the image regions of m0.img and m1.img differ");
        try (FileStorage m1 = FileStorage.open(rig.members.get(1))) {
            assertEquals(16 * MIB, m1.seekHole(0), "member 1 has the hole where the discard was");
            assertEquals(48 * MIB, m1.seekData(16 * MIB));
        }
        long du1 = du(rig.members.get(1));
        assertTrue(du1 <= 34 * MIB, "member 1 holds " + du1 / MIB + " MiB; 32 MiB of data are left");
    }

    @ParameterizedTest(name = "binding={0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void fallocateOnTheImageFile(String binding) throws Exception {
        rig = Rig.open();
        rig.create("64M", 2);
        rig.mount(binding);
        Path image = rig.image();
        Sh.run("dd", "if=/dev/urandom", "of=" + image, "bs=1M", "count=16", "conv=notrunc", "status=none");
        long before = du(rig.members.get(0));
        Sh.run("fallocate", "--punch-hole", "--offset", Long.toString(2 * MIB), "--length", Long.toString(8 * MIB),
                image.toString());
        Sh.run("fallocate", "--zero-range", "--offset", Long.toString(12 * MIB), "--length", "1000",
                image.toString());
        Sh.run("fallocate", "--keep-size", "--offset", "0", "--length", Long.toString(128 * MIB), image.toString());
        Sh.Result collapse = Sh.attempt(Duration.ofSeconds(30), "fallocate", "--collapse-range", "--offset", "0",
                "--length", Long.toString(MIB), image.toString());
        assertFalse(collapse.ok(), "collapse-range would change the image's size");
        assertTrue(collapse.err().contains("not supported"), collapse.describe());
        byte[] punched = new byte[(int) (8 * MIB)];
        try (FileChannel ch = FileChannel.open(image)) {
            ByteBuffer b = ByteBuffer.wrap(punched);
            while (b.hasRemaining() && ch.read(b, 2 * MIB + b.position()) > 0) {
                // reads all of it
            }
            ByteBuffer z = ByteBuffer.allocate(1000);
            ch.read(z, 12 * MIB);
            assertTrue(isZero(z.array()), "the zeroed range reads zeros");
        }
        assertTrue(isZero(punched), "the punched range reads zeros");
        long after = du(rig.members.get(0));
        assertTrue(before - after >= 7 * MIB, "punch freed " + (before - after) / MIB + " MiB on member 0");
        try (FileStorage img = FileStorage.open(image)) {
            long hole = img.seekHole(0);
            if (binding.equals("jfuse")) {
                assertEquals(2 * MIB, hole, "SEEK_HOLE on the image finds the punched hole");
                assertEquals(10 * MIB, img.seekData(2 * MIB), "SEEK_DATA after the hole");
            } else {
                assertEquals(64 * MIB, hole, "libfuse2 has no lseek: the image is all data");
            }
        }
        rig.cli.umount(rig.mnt);
        assertEquals(Rig.sha256(rig.members.get(0), 64 * MIB), Rig.sha256(rig.members.get(1), 64 * MIB));
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }
}
