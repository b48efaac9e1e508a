package fr1.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.it.support.Fr1Cli;
import fr1.control.StatusJson;
import fr1.it.support.Mounts;
import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Block devices as members, end to end, the way a raidtools2 user writes it: a raidtab with no fr1 keys at all
 * ({@code raiddev} names the image's path, the size comes from the smallest device) over two loop devices;
 * {@code mkraid}, {@code raidstart}, ext4 on the image, {@code raidsetfaulty} and {@code raidhotadd} by the image's
 * path, and at the end both devices hold the same image byte for byte.
 */
class BlockDeviceIT {

    private static final int MIB = 1 << 20;

    private Rig rig;
    private final List<String> loops = new ArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        try {
            if (rig != null) {
                // The fr1 daemon holds the member loop devices: it goes first, then they can be detached.
                Mounts.unmount(rig.fs);
                Mounts.loopsUnder(rig.mnt).forEach(Mounts::detachLoop);
                if (Mounts.isMounted(rig.mnt)) {
                    rig.cli.attempt(Duration.ofSeconds(60), "umount", rig.mnt.toString());
                }
                rig.awaitNoDaemon(Duration.ofSeconds(30));
            }
        } finally {
            for (String dev : loops) {
                Mounts.detachLoop(dev);
            }
            if (rig != null) {
                rig.close();
            }
        }
    }

    /** A loop device over a new sparse file of {@code size} bytes in the rig's dir. */
    private String loopDevice(String name, long size) throws Exception {
        Path backing = rig.dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(size);
        }
        String dev = Sh.run(Duration.ofSeconds(30), "losetup", "--find", "--show", backing.toString()).out().strip();
        loops.add(dev);
        return dev;
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aRaidtabWithoutFr1KeysMirrorsExt4OverTwoLoopDevices() throws Exception {
        rig = Rig.open();
        String small = loopDevice("disk0", 64L * MIB);
        String large = loopDevice("disk1", 72L * MIB);
        Path image = rig.mnt.resolve("vol.img");
        Path tab = Files.writeString(rig.dir.resolve("raidtab"), """
                raiddev %s
                    raid-level            1
                    nr-raid-disks         2
                    persistent-superblock 1
                    device                %s
                    raid-disk             0
                    device                %s
                    raid-disk             1
                """.formatted(image, small, large));

        Sh.Result made = rig.cli.run("mkraid", "--config", tab.toString(), image.toString());
        Matcher sized = Pattern.compile("fr1: size ([0-9.]+M) from the smallest member " + Pattern.quote(small) + "\n")
                .matcher(made.err());
        assertTrue(sized.find(), made.describe());
        rig.cli.run("raidstart", "--config", tab.toString(), image.toString());
        assertTrue(Files.isRegularFile(image), "raiddev " + image + " is the image: " + Mounts.under(rig.dir));
        long size = Files.size(image);
        assertTrue(size > 63L * MIB && size < 64L * MIB && size % (64 << 10) == 0, "size " + size);
        assertEquals(sized.group(1), String.format(java.util.Locale.ROOT, "%.1fM", size / (double) MIB));

        // ext4 on the image through a loop device, with a file on it.
        Sh.run(Duration.ofMinutes(2), "mkfs.ext4", "-q", "-F", image.toString());
        String fsLoop = Mounts.attachLoop(image);
        Sh.run(Duration.ofSeconds(60), "mount", fsLoop, rig.fs.toString());
        byte[] first = new byte[8 * MIB];
        new Random(1).nextBytes(first);
        Files.write(rig.fs.resolve("first.bin"), first);
        Sh.run("sync");

        // The image's path names the array for every command that takes a mountpoint.
        StatusJson.Doc st = rig.cli.status(image);
        assertEquals(small, st.members().get(0).path());
        assertEquals(large, st.members().get(1).path());
        rig.cli.run("raidsetfaulty", image.toString(), large);
        assertEquals("faulty", Fr1Cli.memberState(rig.cli.status(image), 1));
        byte[] second = new byte[8 * MIB];
        new Random(2).nextBytes(second);
        Files.write(rig.fs.resolve("second.bin"), second);
        Sh.run("sync");
        long missed = rig.cli.status(image).members().get(1).missedChunks();
        assertTrue(missed > 0, "writes while member 1 is faulty are missed by it");
        rig.cli.run("raidhotadd", image.toString(), large);
        rig.cli.awaitInSync(rig.mnt, 1, Duration.ofMinutes(2));
        assertTrue(rig.cli.statusText(rig.mnt).contains(large + " in_sync"), rig.cli.statusText(rig.mnt));

        // Down in order: ext4, its loop device, the fr1 mount; then the two devices hold the same image.
        Sh.run(Duration.ofSeconds(60), "umount", rig.fs.toString());
        assertTrue(Mounts.detachLoop(fsLoop));
        rig.cli.run("raidstop", "--config", tab.toString(), image.toString());
        assertTrue(rig.awaitNoDaemon(Duration.ofSeconds(30)), "the daemon ended: " + rig.daemons());
        assertFalse(Mounts.isMounted(rig.mnt));
        assertEquals(Rig.sha256(Path.of(small), size), Rig.sha256(Path.of(large), size), "members identical");
        // Either device alone is a plain, clean ext4 image (fsck reads only the image at its start).
        Sh.run(Duration.ofMinutes(2), "fsck.ext4", "-fn", small);
    }
}
