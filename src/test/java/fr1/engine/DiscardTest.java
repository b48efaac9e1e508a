package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FileStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.RoaringBitmap;

/**
 * A discard (FUSE fallocate punch-hole or zero-range) is a write (issue 11): the write-intent bits are durable
 * before any member is touched, every member that takes writes gets it (as a hole where its file system has them),
 * a faulty member's missed set hears of it, write-behind members get it after their queued writes, and a crash in
 * the middle of one is resynced as a torn write is.
 */
class DiscardTest {

    static final int CHUNK = 64 * 1024;
    static final long SIZE = 8L << 20;

    @TempDir
    Path dir;

    /** Bits stay set for the whole test (quiet period 1 h): what a crash copy shows is what the discard marked. */
    static MirrorOptions keepBits() {
        return new MirrorOptions(Duration.ofSeconds(2), Duration.ofHours(1), 4)
                .withProbeInterval(Duration.ofHours(1), Duration.ofHours(1));
    }

    static byte[] random(int len, long seed) {
        byte[] d = new byte[len];
        new Random(seed).nextBytes(d);
        return d;
    }

    /** Fills the whole image with random data and closes cleanly (every bit clear). */
    static byte[] fill(TestArray t) throws IOException {
        byte[] model = random((int) SIZE, 1);
        try (Mirror m = t.open()) {
            m.write(ByteBuffer.wrap(model), 0);
        }
        return model;
    }

    /** Bytes member {@code i}'s file holds on disk, as du counts them. */
    static long allocated(Path p) throws IOException {
        try (FileStorage s = FileStorage.open(p)) {
            return s.allocatedBytes();
        }
    }

    @Test
    void aPunchReadsAsZerosOnEveryMemberAndFreesTheirSpace() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        byte[] model = fill(t);
        long before = allocated(t.paths.get(0));
        long off = 1_000_001; // unaligned on purpose: the ends are zeroed, the middle freed
        int len = 3 << 20;
        try (Mirror m = t.open()) {
            m.discard(off, len, false);
            Arrays.fill(model, (int) off, (int) off + len, (byte) 0);
            ByteBuffer back = ByteBuffer.allocate((int) SIZE);
            m.read(back, 0);
            assertArrayEquals(model, back.array(), "the image after the punch");
            MirrorStatus s = m.status();
            for (MirrorStatus.Member mem : s.members()) {
                assertTrue(mem.allocatedBytes() > 0 && mem.allocatedBytes() <= before - (2L << 20),
                        "member " + mem.index() + " holds " + mem.allocatedBytes() + " bytes, was " + before);
            }
            // The image's holes are the members' holes.
            long hole = m.seekHole(0);
            assertTrue(hole >= off && hole < off + 8192, "first hole at " + hole + ", punched from " + off);
            long data = m.seekData(hole);
            assertTrue(data > off + len - 8192 && data <= off + len, "data again at " + data);
        }
        assertArrayEquals(model, t.image(0));
        assertArrayEquals(model, t.image(1));
        assertEquals(2, t.fault(0).punches() + t.fault(1).punches(), "one punch per member");
    }

    @Test
    void aZeroRangeReadsAsZerosOnEveryMember() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        byte[] model = fill(t);
        try (Mirror m = t.open()) {
            m.discard(5 * CHUNK + 17, CHUNK, true);
        }
        Arrays.fill(model, 5 * CHUNK + 17, 6 * CHUNK + 17, (byte) 0);
        assertArrayEquals(model, t.image(0));
        assertArrayEquals(model, t.image(1));
    }

    @Test
    void aDiscardBeyondTheEndIsRefusedAndChangesNothing() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        byte[] model = fill(t);
        try (Mirror m = t.open()) {
            assertThrows(BeyondEndException.class, () -> m.discard(SIZE - 4096, 8192, false));
            assertEquals(0, t.fault(0).punches());
        }
        assertArrayEquals(model, t.image(0));
    }

    /**
     * A crash in the middle of a punch: the files are copied at the moment member 1 is about to be punched (member
     * 0 already is). The copy's bitmap marks exactly the punched chunks (so it was durable before any member was
     * touched: the data write before it was closed cleanly, its bits cleared), and opening the copy resyncs them,
     * the members ending identical, as after a torn write.
     */
    @Test
    void aCrashDuringAPunchIsResyncedFromTheBitmapLikeATornWrite() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        fill(t);
        Path crash = Files.createDirectory(dir.resolve("crash"));
        List<Path> crashed = List.of(crash.resolve("m0.img"), crash.resolve("m1.img"));
        int first = 20;
        int last = 27;
        AtomicReference<Throwable> hookFailure = new AtomicReference<>();
        try (Mirror m = t.open(t.paths, keepBits())) {
            t.fault(1).beforePunch(() -> {
                try {
                    long deadline = System.nanoTime() + 5_000_000_000L;
                    while (!zeros(t.paths.get(0), (long) first * CHUNK, CHUNK)) {
                        if (System.nanoTime() > deadline) {
                            throw new AssertionError("member 0 was not punched");
                        }
                        Thread.onSpinWait();
                    }
                    for (int i = 0; i < 2; i++) {
                        Files.copy(t.paths.get(i), crashed.get(i), StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (Throwable e) {
                    hookFailure.set(e);
                }
            });
            m.discard((long) first * CHUNK, (long) (last - first + 1) * CHUNK, false);
            t.fault(1).beforePunch(null);
        }
        if (hookFailure.get() != null) {
            throw new AssertionError("taking the crash copy failed", hookFailure.get());
        }
        assertTrue(zeros(crashed.get(0), (long) first * CHUNK, CHUNK), "member 0 of the copy is punched");
        assertTrue(!zeros(crashed.get(1), (long) first * CHUNK, CHUNK), "member 1 of the copy is not: torn");
        Assembly a = Assembly.read(crashed, FileStorage::open);
        RoaringBitmap dirty;
        try {
            dirty = a.dirty();
        } finally {
            a.closeAll();
        }
        assertEquals(RoaringBitmap.bitmapOfRange(first, last + 1), dirty, "bits on disk when the punch began");
        try (Mirror m = Mirror.open(crashed, TestArray.fastOptions())) {
            TestArray.awaitIdle(m);
            long resynced = m.status().members().stream().mapToLong(MirrorStatus.Member::lastResyncChunks).sum();
            assertEquals(last - first + 1, resynced, "the torn chunks are resynced, no more");
        }
        assertArrayEquals(Arrays.copyOf(Files.readAllBytes(crashed.get(0)), (int) SIZE),
                Arrays.copyOf(Files.readAllBytes(crashed.get(1)), (int) SIZE));
    }

    /**
     * A discard while member 1 is faulty goes into its missed set (exactly the punched chunks); re-added, it gets
     * them from member 0 and ends identical, with the hole.
     */
    @Test
    void aFaultyMemberMissesThePunchedChunksAndGetsTheHoleWhenReAdded() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        byte[] model = fill(t);
        int first = 16;
        int last = 47; // 2 MiB
        try (Mirror m = t.open(t.paths, keepBits())) {
            m.fail("1");
            m.discard((long) first * CHUNK, (long) (last - first + 1) * CHUNK, false);
            assertEquals(MissedSetTest.chunks(first, last), MissedSetTest.missed(m, 1));
            assertEquals(0, t.fault(1).punches(), "a faulty member is not touched");
            m.add("1", false);
            TestArray.awaitIdle(m);
            assertEquals(last - first + 1, m.status().members().get(1).lastResyncChunks());
        }
        Arrays.fill(model, first * CHUNK, (last + 1) * CHUNK, (byte) 0);
        assertArrayEquals(model, t.image(0));
        assertArrayEquals(model, t.image(1));
        try (FileStorage s = FileStorage.open(t.paths.get(1))) {
            assertEquals((long) first * CHUNK, s.seekHole(0), "member 1 has the hole where member 0 has it");
            assertEquals((long) (last + 1) * CHUNK, s.seekData((long) first * CHUNK));
        }
    }

    /** A member whose punch fails is failed and misses the chunks; the discard succeeds on the other. */
    @Test
    void aMemberWhosePunchFailsIsFailedAndMissesTheChunks() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        fill(t);
        try (Mirror m = t.open(t.paths, keepBits())) {
            // The punch itself fails (not the bitmap write before it).
            t.fault(1).beforePunch(() -> t.fault(1).failNext(1));
            m.discard(3L * CHUNK, 2L * CHUNK, false);
            t.fault(1).beforePunch(null);
            MirrorStatus.Member b = m.status().members().get(1);
            assertEquals("faulty", b.state());
            assertNotNull(b.reason());
            assertTrue(b.reason().startsWith("discard:"), b.reason());
            assertTrue(MissedSetTest.missed(m, 1).containsAll(MissedSetTest.chunks(3, 4)));
        }
    }

    /**
     * Async mode: the write-behind member is slow, a write to a range is queued to it, and the range is discarded at
     * once. The punch reaches it after the queued write, so it ends with zeros there, not the older data.
     */
    @Test
    void aWriteBehindMemberIsPunchedAfterItsQueuedWritesLand() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        byte[] model = fill(t);
        try (Mirror m = t.open(t.paths, AsyncTest.async(1000))) {
            int behind = HazardsTest.writeBehindIndex(m);
            t.fault(behind).delayWrites(300);
            m.write(ByteBuffer.wrap(random(4 * CHUNK, 2)), 8L * CHUNK);
            assertTrue(m.status().members().get(behind).lagWrites() > 0, "the write is still queued: no race");
            m.discard(8L * CHUNK, 4L * CHUNK, false);
            assertEquals(1, t.fault(behind).punches(), "the write-behind member is punched synchronously");
            t.fault(behind).delayWrites(0);
        }
        Arrays.fill(model, 8 * CHUNK, 12 * CHUNK, (byte) 0);
        assertArrayEquals(model, t.image(0));
        assertArrayEquals(model, t.image(1));
    }

    /**
     * Async mode, the write-behind member behind (its queue full, writes only recorded): the discard is recorded for
     * it too, not punched, and the catch-up brings it the zeros (as holes) with the rest; the members end identical.
     */
    @Test
    void aWriteBehindMemberThatIsBehindHasTheDiscardRecordedAndCaughtUp() {
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
            byte[] model = fill(t);
            MirrorOptions o = new MirrorOptions(Duration.ofSeconds(30), Duration.ofMillis(100), 4)
                    .withProbeInterval(Duration.ofHours(1), Duration.ofHours(1))
                    .withAsync(List.of(), 2, false);
            try (Mirror m = t.open(t.paths, o)) {
                int behind = HazardsTest.writeBehindIndex(m);
                t.fault(behind).set(fr1.io.FaultyStorage.Fault.HANG);
                byte[] d = random(3 * CHUNK, 4);
                m.write(ByteBuffer.wrap(d, 0, CHUNK), 0);            // queued, hung
                m.write(ByteBuffer.wrap(d, CHUNK, CHUNK), CHUNK);    // queued, hung: the queue is full
                m.write(ByteBuffer.wrap(d, 2 * CHUNK, CHUNK), 2L * CHUNK); // recorded
                System.arraycopy(d, 0, model, 0, 3 * CHUNK);
                assertEquals("behind", m.status().members().get(behind).lag().mode());
                m.discard(40L * CHUNK, 8L * CHUNK, false);
                Arrays.fill(model, 40 * CHUNK, 48 * CHUNK, (byte) 0);
                assertEquals(0, t.fault(behind).punches(), "a member that is behind is not punched");
                assertTrue(m.status().members().get(behind).lag().chunks() >= 9,
                        "the discard is recorded: " + m.status().members().get(behind).lag());
                t.fault(behind).set(fr1.io.FaultyStorage.Fault.NONE);
                HazardsTest.await(() -> m.status().members().get(behind).lag().current(), Duration.ofSeconds(30),
                        () -> "member " + behind + " caught up: " + m.status());
            }
            assertArrayEquals(model, t.image(0));
            assertArrayEquals(model, t.image(1));
        });
    }

    /** True if {@code len} bytes at {@code off} of {@code file} are all zero. */
    static boolean zeros(Path file, long off, int len) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(len);
            ch.read(b, off);
            for (byte x : b.array()) {
                if (x != 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
