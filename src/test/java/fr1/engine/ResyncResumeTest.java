package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FaultyStorage.Fault;
import fr1.io.FileStorage;
import fr1.meta.MemberRecord;
import fr1.meta.MetaStore;
import fr1.meta.Superblock;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.RoaringBitmap;

/**
 * A resync keeps its place: stopped by a clean close it continues at the next open with only what is left; stopped
 * by a crash it continues with what is left plus whatever the write-intent bitmap says may differ; and a member
 * that fails again during its resync keeps every chunk it still lacks in its missed set.
 */
class ResyncResumeTest {

    static final int CHUNK = 4096;
    static final long SIZE = 8L << 20; // 2048 chunks
    /** Every other chunk is written while member 1 is away: runs of one chunk, so the resync advances in steps. */
    static final int WRITTEN = (int) (SIZE / CHUNK / 2);

    @TempDir
    Path dir;

    /** Fails member 1, writes every even chunk, slows member 1 and adds it back: a resync of WRITTEN chunks starts. */
    private static Mirror degradeAndStartResync(TestArray t, long seed) throws Exception {
        Mirror m = t.open();
        m.fail("1");
        Random r = new Random(seed);
        byte[] d = new byte[CHUNK];
        for (int c = 0; c < SIZE / CHUNK; c += 2) {
            r.nextBytes(d);
            m.write(ByteBuffer.wrap(d), (long) c * CHUNK);
        }
        assertEquals(WRITTEN, m.status().members().get(1).missedChunks());
        t.fault(1).delayWrites(1);
        m.add("1", false);
        return m;
    }

    /** Waits until the running resync copied at least {@code chunks}; fails if it finished first. */
    private static long awaitProgress(Mirror m, long chunks) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            MirrorStatus s = m.status();
            assertEquals("recovering", s.members().get(1).state(),
                    "the resync ended before it copied " + chunks + " chunks: " + s);
            if (s.resync().active() && s.resync().doneChunks() >= chunks) {
                return s.resync().doneChunks();
            }
            assertTrue(System.nanoTime() < end, "no resync progress: " + s);
            Thread.sleep(5);
        }
    }

    /** Member {@code index}'s record as member 0's newest superblock holds it. */
    private static MemberRecord recordOnDisk(Path member0, int index) throws Exception {
        try (FileStorage s = FileStorage.open(member0)) {
            Superblock sb = MetaStore.open(s, "m0").readSuperblock();
            return sb.members().get(index);
        }
    }

    @Test
    void resyncStoppedByCloseContinuesWithOnlyTheRemainingChunks() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        try (Mirror m = degradeAndStartResync(t, 1)) {
            awaitProgress(m, 100);
        }
        t.fault(1).delayWrites(0);
        MemberRecord left = recordOnDisk(t.paths.get(0), 1);
        long remaining = left.missed().getLongCardinality();
        assertEquals(MemberState.RECOVERING.code(), left.state(), "member 1 after close mid-resync");
        assertTrue(remaining > 0 && remaining <= WRITTEN - 100, "remaining " + remaining + " of " + WRITTEN);
        try (Mirror m = t.open()) {
            TestArray.awaitIdle(m);
            MirrorStatus.Member b = m.status().members().get(1);
            assertEquals("in_sync", b.state());
            assertEquals(remaining, b.lastResyncChunks(), "the second run copies only what the first left");
        }
        assertArrayEquals(t.image(0), t.image(1));
    }

    /**
     * A crash mid-resync (the member files copied while the resync is stopped in a hung write, then opened
     * without a close): the next open resyncs what was left plus what the bitmap marks, never less, and the
     * members end identical.
     */
    @Test
    void resyncStoppedByACrashContinuesAndEndsIdentical() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        Path crash = Files.createDirectory(dir.resolve("crash"));
        long done;
        try (Mirror m = degradeAndStartResync(t, 2)) {
            awaitProgress(m, 100);
            t.fault(1).set(Fault.HANG); // the resync stops in its next write to member 1
            Thread.sleep(300); // housekeeping persists the missed set as the resync left it
            done = m.status().resync().doneChunks();
            for (int i = 0; i < 2; i++) {
                Files.copy(t.paths.get(i), crash.resolve("m" + i + ".img"));
            }
            t.fault(1).set(Fault.NONE);
        }
        List<Path> crashed = List.of(crash.resolve("m0.img"), crash.resolve("m1.img"));
        RoaringBitmap missedOnDisk = recordOnDisk(crashed.get(0), 1).missed();
        assertTrue(missedOnDisk.getLongCardinality() >= WRITTEN - done,
                "the crash copy lost chunks member 1 still lacked: " + missedOnDisk.getLongCardinality() + " < "
                        + (WRITTEN - done));
        try (Mirror m = Mirror.open(crashed, TestArray.fastOptions())) {
            TestArray.awaitIdle(m);
            MirrorStatus.Member b = m.status().members().get(1);
            assertEquals("in_sync", b.state());
            assertTrue(b.lastResyncChunks() >= WRITTEN - done && b.lastResyncChunks() <= SIZE / CHUNK,
                    "second run copied " + b.lastResyncChunks() + ", " + (WRITTEN - done) + " were left");
        }
        assertArrayEquals(java.util.Arrays.copyOf(Files.readAllBytes(crashed.get(0)), (int) SIZE),
                java.util.Arrays.copyOf(Files.readAllBytes(crashed.get(1)), (int) SIZE));
    }

    @Test
    void memberFailingAgainDuringResyncKeepsEveryChunkItStillMisses() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        long missedAfter;
        try (Mirror m = degradeAndStartResync(t, 3)) {
            awaitProgress(m, 150);
            t.fault(1).set(Fault.EIO);
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!m.status().members().get(1).state().equals("faulty") || m.status().resync().active()) {
                assertTrue(System.nanoTime() < end, "member 1 not failed: " + m.status());
                Thread.sleep(5);
            }
            // Not necessarily fewer than before: a failing member also misses every chunk still in the
            // write-intent bitmap (it may have lost writes it acknowledged), and nothing is swept while degraded.
            missedAfter = m.status().members().get(1).missedChunks();
            t.fault(1).set(Fault.NONE);
        }
        // Every chunk in which member 1 still differs from member 0 is in its missed set.
        RoaringBitmap missed = recordOnDisk(t.paths.get(0), 1).missed();
        assertEquals(missedAfter, missed.getLongCardinality(), "missed set on disk after a clean close");
        byte[] a = t.image(0);
        byte[] b = t.image(1);
        int differing = 0;
        for (int c = 0; c < SIZE / CHUNK; c++) {
            if (!java.util.Arrays.equals(a, c * CHUNK, (c + 1) * CHUNK, b, c * CHUNK, (c + 1) * CHUNK)) {
                differing++;
                assertTrue(missed.contains(c), "chunk " + c + " differs on member 1 but is not in its missed set");
            }
        }
        assertTrue(differing > 0, "member 1 failed with nothing left to copy: the test did not test");
        t.fault(1).delayWrites(0);
        try (Mirror m = t.open()) {
            // Ours, only behind: assembly re-adds it and copies its missed set, and only that.
            TestArray.awaitIdle(m);
            assertEquals("in_sync", m.status().members().get(1).state());
            assertEquals(missed.getLongCardinality(), m.status().members().get(1).lastResyncChunks());
        }
        assertArrayEquals(t.image(0), t.image(1));
    }
}
