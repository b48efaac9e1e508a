package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FaultyStorage;
import fr1.io.FaultyStorage.Fault;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Async mode's pull-ahead (issue 10): a write-behind member that cannot keep up goes behind instead of making
 * writers wait, is copied what it lacks, and never serves or receives stale data.
 */
class CatchUpTest {

    static final int CHUNK = 4096;
    static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    private final List<EventListener.MirrorEvent> events = Collections.synchronizedList(new ArrayList<>());

    /** Async, write-behind-max {@code max}, a long io-timeout so a hung member is not failed during the test. */
    private MirrorOptions async(int max, Duration ioTimeout) {
        return new MirrorOptions(ioTimeout, Duration.ofMillis(100), 4)
                .withProbeInterval(Duration.ofHours(1), Duration.ofHours(1))
                .withEvents(events::add)
                .withAsync(List.of(), max, false);
    }

    private long count(String name) {
        synchronized (events) {
            return events.stream().filter(e -> e.name().equals(name)).count();
        }
    }

    private static void awaitStreaming(Mirror m, int i) throws InterruptedException {
        HazardsTest.await(() -> m.status().members().get(i).lag().equals(new MirrorStatus.Lag("streaming", 0, 0, 0, 0)),
                Duration.ofSeconds(30), () -> "member " + i + " caught up: " + m.status());
    }

    /**
     * The member hangs: a writer that waited for it would wait for the io-timeout (30 s) on every write once the
     * queue is full. 300 writes finish (the test's 60 s bound), the member is behind, once it answers it catches
     * up, and it went behind once and caught up once (no flapping).
     */
    @Test
    void writersNeverWaitForAMemberThatCannotKeepUp() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
            byte[] model = new byte[(int) SIZE];
            Random r = new Random(7);
            int behind;
            try (Mirror m = t.open(t.paths, async(4, Duration.ofSeconds(30)))) {
                behind = HazardsTest.writeBehindIndex(m);
                t.fault(behind).set(Fault.HANG);
                for (int i = 0; i < 300; i++) {
                    int len = 1 + r.nextInt(3 * CHUNK);
                    long off = r.nextLong(SIZE - len);
                    byte[] d = new byte[len];
                    r.nextBytes(d);
                    m.write(ByteBuffer.wrap(d), off);
                    System.arraycopy(d, 0, model, (int) off, len);
                }
                MirrorStatus.Lag lag = m.status().members().get(behind).lag();
                assertEquals("behind", lag.mode());
                assertTrue(lag.chunks() > 100, "writes past the queue are recorded: " + lag);
                assertEquals(4, m.status().members().get(behind).lagWrites());
                byte[] all = new byte[(int) SIZE];
                m.read(ByteBuffer.wrap(all), 0);
                assertArrayEquals(model, all, "reads come from the member that has every write");
                t.fault(behind).set(Fault.NONE);
                awaitStreaming(m, behind);
                assertEquals(1, count("behind"), "went behind once: " + events);
                assertEquals(1, count("caught-up"), "caught up once: " + events);
            }
            assertArrayEquals(model, t.image(0));
            assertArrayEquals(model, t.image(1));
        });
    }

    /** A chunk rewritten 20 times while the member is behind reaches it once, in its last state. */
    @Test
    void rewrittenChunksAreCopiedOnceInTheirLastState() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
            int behind;
            long hot = 40L * CHUNK;
            try (Mirror m = t.open(t.paths, async(2, Duration.ofSeconds(30)))) {
                behind = HazardsTest.writeBehindIndex(m);
                t.fault(behind).set(Fault.HANG);
                m.write(ByteBuffer.wrap(HazardsTest.fill(1)), 0);
                m.write(ByteBuffer.wrap(HazardsTest.fill(2)), CHUNK);
                for (int i = 0; i < 20; i++) {
                    m.write(ByteBuffer.wrap(HazardsTest.fill(10 + i)), hot);
                }
                assertEquals(1, m.status().members().get(behind).lag().chunks());
                t.fault(behind).set(Fault.NONE);
                awaitStreaming(m, behind);
                long writesToHot = t.fault(behind).writeLog().stream()
                        .filter(w -> w[0] <= hot && w[0] + w[1] > hot).count();
                assertEquals(1, writesToHot, "the hot chunk reached the member once");
            }
            assertArrayEquals(t.image(0), t.image(1));
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            try (var ch = java.nio.channels.FileChannel.open(t.paths.get(behind))) {
                ch.read(b, hot);
            }
            assertArrayEquals(HazardsTest.fill(29), b.array(), "in its last state");
        });
    }

    /**
     * Ordering: a write queued to the member before it went behind (data A) is slow; the same chunk is written again
     * while behind (data B, recorded). The copy of B must land after A, or the member keeps A while nothing says it
     * lacks the chunk. The race is checked to have happened: the catch-up was running while A was in flight.
     */
    @Test
    void aCopyNeverLandsBeforeAnEarlierQueuedWriteToTheSameChunk() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
            int behind;
            long c5 = 5L * CHUNK;
            try (Mirror m = t.open(t.paths, async(2, Duration.ofSeconds(30)))) {
                behind = HazardsTest.writeBehindIndex(m);
                FaultyStorage f = t.fault(behind);
                f.set(Fault.HANG);
                f.delayNextWriteAt(c5, 1500);
                m.write(ByteBuffer.wrap(HazardsTest.fill(0xA)), c5);        // queued, will be slow
                m.write(ByteBuffer.wrap(HazardsTest.fill(2)), 9L * CHUNK);  // queued: the queue is full
                m.write(ByteBuffer.wrap(HazardsTest.fill(0xB)), c5);        // recorded: behind
                assertEquals("behind", m.status().members().get(behind).lag().mode());
                f.set(Fault.NONE);
                // While A is in flight (1.5 s), the queue is below its low-water mark: the catch-up starts.
                boolean raced = false;
                long end = System.nanoTime() + 1_400_000_000L;
                while (System.nanoTime() < end && !raced) {
                    raced = m.catchUp().busy(behind) && inFlightAt(f, c5);
                    Thread.sleep(5);
                }
                assertTrue(raced, "the catch-up ran while the earlier write to the chunk was in flight");
                awaitStreaming(m, behind);
                List<long[]> toC5 = f.writeLog().stream().filter(w -> w[0] == c5).toList();
                assertEquals(2, toC5.size(), "the queued write, then the copy");
                assertTrue(toC5.get(1)[2] >= toC5.get(0)[3], "the copy started after the queued write ended");
            }
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            try (var ch = java.nio.channels.FileChannel.open(t.paths.get(behind))) {
                ch.read(b, c5);
            }
            assertArrayEquals(HazardsTest.fill(0xB), b.array(), "the member holds the newest data");
            assertArrayEquals(t.image(0), t.image(1));
        });
    }

    private static boolean inFlightAt(FaultyStorage f, long pos) {
        return f.writeLog().stream().anyMatch(w -> w[0] == pos && w[3] == 0);
    }

    /**
     * Every synchronous member fails while the write-behind member lacks a chunk: that chunk is unavailable (reads
     * and partial writes fail, never stale data), other chunks are served, a whole-chunk write makes it available;
     * when the failed member comes back it is the source of what the other lacks, and all ends identical.
     */
    @Test
    void chunksOnlyAFailedMemberHeldAreUnavailableNeverStale() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
            try (Mirror m = t.open(t.paths, async(2, Duration.ofSeconds(5)))) {
                int behind = HazardsTest.writeBehindIndex(m);
                int sync = 1 - behind;
                FaultyStorage f = t.fault(behind);
                m.write(ByteBuffer.wrap(HazardsTest.fill(0x77)), 7L * CHUNK); // both members have it
                m.write(ByteBuffer.wrap(HazardsTest.fill(0x88)), 8L * CHUNK);
                awaitStreaming(m, behind);
                m.catchUp().hold(true); // so the lacking chunk is still lacking when the synchronous member fails
                f.delayWritesIn(0, 2L * CHUNK, 1500);
                m.write(ByteBuffer.wrap(HazardsTest.fill(1)), 0);           // queued, slow
                m.write(ByteBuffer.wrap(HazardsTest.fill(2)), CHUNK);       // queued, slow: the queue is full
                m.write(ByteBuffer.wrap(HazardsTest.fill(0x7A)), 7L * CHUNK); // recorded: the member lacks it
                assertEquals("behind", m.status().members().get(behind).lag().mode());
                m.down(String.valueOf(sync));                               // waits for the queue, then fails
                f.delayWritesIn(0, 0, 0);
                MirrorStatus s = m.status();
                assertEquals("faulty", s.members().get(sync).state());
                assertEquals(new MirrorStatus.Unavailable(1, sync), s.unavailable());
                assertTrue(count("chunks-unavailable") == 1, "an event says so: " + events);
                ByteBuffer seven = ByteBuffer.allocate(CHUNK);
                assertThrows(IOException.class, () -> m.read(seven, 7L * CHUNK), "never the old 0x77");
                ByteBuffer eight = ByteBuffer.allocate(CHUNK);
                m.read(eight, 8L * CHUNK);
                assertArrayEquals(HazardsTest.fill(0x88), eight.array());
                ByteBuffer one = ByteBuffer.allocate(CHUNK);
                m.read(one, 0);
                assertArrayEquals(HazardsTest.fill(1), one.array(), "queued writes reached it before the failure");
                m.catchUp().hold(false);
                assertThrows(IOException.class, () -> m.write(ByteBuffer.wrap(new byte[100]), 7L * CHUNK + 10),
                        "a partial write of an unavailable chunk cannot be made whole");
                // The member with the current data comes back: it is where the chunk is copied from.
                m.add(String.valueOf(sync), false);
                TestArray.awaitIdle(m);
                HazardsTest.await(() -> m.status().unavailable().chunks() == 0, Duration.ofSeconds(20),
                        () -> "chunk 7 copied back from member " + sync + ": " + m.status());
                m.read(seven.clear(), 7L * CHUNK);
                assertArrayEquals(HazardsTest.fill(0x7A), seven.array(), "the acknowledged data, not the old");
            }
            assertArrayEquals(t.image(0), t.image(1));
        });
    }

    /**
     * A copy that began while the member was behind runs without its stripes. If the synchronous member fails
     * meanwhile, the write-behind member takes writes synchronously: a write to the chunk being copied must land
     * after that copy (older data), or the member would serve the copy's stale data. The race is checked to happen.
     */
    @Test
    void aWriteToAPromotedMemberLandsAfterACopyInFlightToTheSameChunk() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
            long c7 = 7L * CHUNK;
            int behind;
            try (Mirror m = t.open(t.paths, async(2, Duration.ofSeconds(5)))) {
                behind = HazardsTest.writeBehindIndex(m);
                int sync = 1 - behind;
                FaultyStorage f = t.fault(behind);
                m.catchUp().hold(true);
                f.set(Fault.HANG);
                m.write(ByteBuffer.wrap(HazardsTest.fill(1)), 0);
                m.write(ByteBuffer.wrap(HazardsTest.fill(2)), CHUNK);
                m.write(ByteBuffer.wrap(HazardsTest.fill(0x7A)), c7);
                for (int i = 0; i < 100; i++) { // enough that the member stays behind while copying
                    m.write(ByteBuffer.wrap(HazardsTest.fill(i)), (200L + 2 * i) * CHUNK);
                }
                f.delayNextWriteAt(c7, 1500);
                f.set(Fault.NONE);
                m.catchUp().hold(false);
                HazardsTest.await(() -> inFlightAt(f, c7), Duration.ofSeconds(20),
                        () -> "the copy of chunk 7 on its way: " + m.status());
                m.down(String.valueOf(sync));
                boolean raced = inFlightAt(f, c7);
                m.write(ByteBuffer.wrap(HazardsTest.fill(0x7C)), c7);
                assertTrue(raced, "the copy was still in flight when the synchronous member failed");
                ByteBuffer back = ByteBuffer.allocate(CHUNK);
                m.read(back, c7);
                assertArrayEquals(HazardsTest.fill(0x7C), back.array(), "the write, not the copy's older data");
            }
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            try (var ch = java.nio.channels.FileChannel.open(t.paths.get(behind))) {
                ch.read(b, c7);
            }
            assertArrayEquals(HazardsTest.fill(0x7C), b.array(), "the member holds the write");
        });
    }

    /** A whole-chunk write makes an unavailable chunk available again. */
    @Test
    void aWholeChunkWriteMakesAnUnavailableChunkAvailable() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
            try (Mirror m = t.open(t.paths, async(1, Duration.ofSeconds(5)))) {
                int behind = HazardsTest.writeBehindIndex(m);
                int sync = 1 - behind;
                FaultyStorage f = t.fault(behind);
                m.catchUp().hold(true);
                f.delayWritesIn(0, CHUNK, 1500);
                m.write(ByteBuffer.wrap(HazardsTest.fill(1)), 0);            // queued, slow: the queue is full
                m.write(ByteBuffer.wrap(HazardsTest.fill(0x7A)), 7L * CHUNK); // recorded
                ArrayException refused = assertThrows(ArrayException.class, () -> m.fail(String.valueOf(sync)));
                assertTrue(refused.getMessage().contains("holds the only current copy of 1 chunks"),
                        refused.getMessage());
                m.down(String.valueOf(sync)); // an agent says it is gone: then the chunk is unavailable
                f.delayWritesIn(0, 0, 0);
                assertEquals(1, m.status().unavailable().chunks());
                m.write(ByteBuffer.wrap(HazardsTest.fill(0x7B)), 7L * CHUNK);
                assertEquals(0, m.status().unavailable().chunks());
                ByteBuffer seven = ByteBuffer.allocate(CHUNK);
                m.read(seven, 7L * CHUNK);
                assertArrayEquals(HazardsTest.fill(0x7B), seven.array());
            }
        });
    }

    /** max-lag: the delay grows while the recovery point is past 80 % of the bound, shrinks to 0 under 50 %. */
    @Test
    void maxLagSlowsWritesJustEnoughAndNeverStopsThem() throws Exception {
        FakeClock clock = new FakeClock();
        LagLimit l = new LagLimit(1_000_000_000L, clock);
        long start = clock.nanoTime();
        l.pace();
        assertEquals(start, clock.nanoTime(), "no delay while within the bound");
        l.adjust(700_000_000L);
        assertEquals(0, l.delayNanos(), "below 80 %: not slowed");
        l.adjust(900_000_000L);
        long d1 = l.delayNanos();
        assertTrue(d1 > 0, "past 80 %: slowed");
        l.adjust(950_000_000L);
        assertTrue(l.delayNanos() > d1, "still past: slowed more");
        for (int i = 0; i < 100; i++) {
            l.adjust(5_000_000_000L);
        }
        assertEquals(LagLimit.MAX_DELAY_NANOS, l.delayNanos(), "bounded: writes go on");
        long before = clock.nanoTime();
        l.pace();
        assertEquals(LagLimit.MAX_DELAY_NANOS, clock.nanoTime() - before, "a write waits the delay on the clock");
        l.adjust(600_000_000L);
        assertEquals(LagLimit.MAX_DELAY_NANOS, l.delayNanos(), "between 50 and 80 %: held");
        for (int i = 0; i < 20; i++) {
            l.adjust(100_000_000L);
        }
        assertEquals(0, l.delayNanos(), "under 50 %: back to full speed");
    }
}
