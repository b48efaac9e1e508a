package fr1.it;

import static fr1.it.support.Fr1Cli.memberState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.control.StatusJson;
import fr1.it.support.Mounts;
import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The loop users care about, with the real CLI on a real mount: two members, a loop device, ext4, files with
 * known checksums; member 1 fails, more is written, member 1 comes back and exactly the chunks it missed are
 * copied; then the files read back right, fsck is clean and both members hold the same image.
 */
class EndToEndIT {

    private static final long SIZE = 256L << 20;
    private static final Duration MKFS = Duration.ofMinutes(2);

    private Rig rig;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (rig != null) {
            rig.close();
        }
    }

    @ParameterizedTest(name = "binding={0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void failedMemberMissesWritesAndGetsOnlyThoseBack(String binding) throws Exception {
        long seed = System.nanoTime();
        System.out.println("EndToEndIT binding=" + binding + " seed=" + seed);
        Random rnd = new Random(seed);

        rig = Rig.open();
        rig.create("256M", 2);
        rig.mount(binding);
        StatusJson.Doc st = rig.cli.status(rig.mnt);
        assertEquals(SIZE, st.array().size(), "array.size");
        long chunkSize = st.array().chunkSize();
        long totalChunks = SIZE / chunkSize;
        assertEquals("in_sync", memberState(st, 0));
        assertEquals("in_sync", memberState(st, 1));
        assertEquals(SIZE, Files.size(rig.image()), "size of " + rig.image());

        String dev = rig.attachLoop();
        // Initialise inode tables and journal now: ext4lazyinit must not write behind the test's back.
        Sh.run(MKFS, "mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", dev);
        Sh.run("mount", "-o", "noatime", dev, rig.fs.toString());

        Map<String, String> expected = new TreeMap<>();
        for (int i = 0; i < 6; i++) {
            writeRandomFile(rnd, "before-" + i + ".bin", 64 << 10, 3 << 20, expected);
        }
        Sh.run("sync");

        rig.cli.fail(rig.mnt, 1);
        st = rig.cli.status(rig.mnt);
        assertEquals("faulty", memberState(st, 1), "member 1 after fr1 fail: " + st);
        assertEquals("in_sync", memberState(st, 0), "member 0 after fr1 fail: " + st);
        String text = rig.cli.statusText(rig.mnt);
        assertTrue(text.contains("[U_]"), "status text should show [U_]:\n" + text);

        for (int i = 0; i < 3; i++) {
            writeRandomFile(rnd, "during-" + i + ".bin", 256 << 10, 3 << 19, expected);
        }
        writeRandomFile(rnd, "before-0.bin", 64 << 10, 1 << 20, expected); // overwrite one written before
        Sh.run("sync");
        // Freeze ext4 (flushes everything, then blocks writers) so no write reaches the array between
        // reading missedChunks and the end of the resync: the count must then match exactly.
        Sh.run("fsfreeze", "-f", rig.fs.toString());
        st = rig.cli.status(rig.mnt);
        long missed = st.members().get(1).missedChunks();
        System.out.println("missed chunks while degraded: " + missed + " of " + totalChunks);
        assertTrue(missed > 0, "writes while degraded left no missed chunks: " + st);
        assertTrue(missed < totalChunks / 4, "missed " + missed + " of " + totalChunks + " chunks: far too many");

        rig.cli.add(rig.mnt, 1);
        st = rig.cli.awaitInSync(rig.mnt, 1, Duration.ofSeconds(120));
        Sh.run("fsfreeze", "-u", rig.fs.toString());
        assertEquals(missed, st.members().get(1).lastResyncChunks(),
                "resync should copy exactly the missed chunks: " + st);
        assertEquals(0, st.members().get(1).missedChunks(), "missed set after resync: " + st);
        text = rig.cli.statusText(rig.mnt);
        assertTrue(text.contains("[UU]"), "status text should show [UU]:\n" + text);

        verifyFiles(expected, "before unmounting ext4");
        Sh.run("sync");
        Sh.run("umount", rig.fs.toString());
        Sh.run(MKFS, "fsck.ext4", "-fn", dev);
        Sh.run("mount", "-o", "ro", dev, rig.fs.toString());
        verifyFiles(expected, "after fsck, mounted again read-only");
        Sh.run("umount", rig.fs.toString());

        rig.detachLoop();
        rig.cli.umount(rig.mnt);
        assertFalse(Mounts.isMounted(rig.mnt), "still mounted after fr1 umount: " + rig.mnt);
        assertTrue(rig.awaitNoDaemon(Duration.ofSeconds(30)), "daemon still running after fr1 umount");
        assertEquals(Rig.sha256(rig.members.get(0), SIZE), Rig.sha256(rig.members.get(1), SIZE),
                "the image regions of m0.img and m1.img differ");
    }

    private void writeRandomFile(Random rnd, String name, int min, int max, Map<String, String> expected)
            throws IOException {
        byte[] data = new byte[min + rnd.nextInt(max - min + 1)];
        rnd.nextBytes(data);
        Files.write(rig.fs.resolve(name), data);
        expected.put(name, Rig.sha256(data));
    }

    private void verifyFiles(Map<String, String> expected, String when) throws IOException {
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path p = rig.fs.resolve(e.getKey());
            assertEquals(e.getValue(), Rig.sha256(Files.readAllBytes(p)), "content of " + p + " " + when);
        }
    }
}
