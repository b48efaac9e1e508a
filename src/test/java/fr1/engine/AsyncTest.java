package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FaultyStorage.Fault;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Async mode: acknowledged at the fast member's pace, write-behind members catch up, nothing stale, nothing lost. */
class AsyncTest {

    static final int CHUNK = 4096;
    static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    static MirrorOptions async(int max) {
        return TestArray.fastOptions().withAsync(List.of(), max, false);
    }

    @Test
    void writesAreAcknowledgedAtTheFastMembersPaceAndConverge() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        byte[] model = new byte[(int) SIZE];
        Random r = new Random(1);
        try (Mirror m = t.open(t.paths, async(1000))) {
            t.fault(behindIndex(t)).delayWrites(20);
            long start = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                int len = 1 + r.nextInt(2 * CHUNK);
                long off = r.nextLong(SIZE - len);
                byte[] d = new byte[len];
                r.nextBytes(d);
                m.write(ByteBuffer.wrap(d), off);
                System.arraycopy(d, 0, model, (int) off, len);
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            // 100 writes at 20 ms each would take 2 s synchronously.
            assertTrue(ms < 1500, "async writes took " + ms + " ms");
        }
        assertArrayEquals(model, t.image(0));
        assertArrayEquals(model, t.image(1));
    }

    @Test
    void readsNeverComeFromAMemberThatStillLagsOnThoseChunks() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        Random r = new Random(2);
        try (Mirror m = t.open(t.paths, async(1000))) {
            // Member 0 is made slow after the mount measured it fast: it is the write-behind one only if measured
            // slow, so force the question by slowing whichever lags and checking reads on every write.
            t.fault(0).delayWrites(5);
            t.fault(1).delayWrites(5);
            for (int i = 0; i < 60; i++) {
                byte[] d = new byte[CHUNK];
                r.nextBytes(d);
                long off = (long) r.nextInt(8) * CHUNK;
                m.write(ByteBuffer.wrap(d), off);
                ByteBuffer back = ByteBuffer.allocate(CHUNK);
                m.read(back, off);
                assertArrayEquals(d, back.array(), "stale read at write " + i);
            }
        }
        assertArrayEquals(t.image(0), t.image(1));
    }

    /**
     * write-behind-max = 2 (the high-water mark): with the write-behind member hung, two writes are queued to it; the
     * third does not wait for it (pull-ahead): it is acknowledged at once and recorded for the member, which is now
     * behind. Once the member answers again its queue drains, the recorded chunk is copied, and it streams again.
     */
    @Test
    void pastTheHighWaterMarkWritesGoOnWithoutTheMember() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
            // io-timeout 10 s: the hung member must not be failed (2x io-timeout) while the test holds it.
            MirrorOptions o = new MirrorOptions(Duration.ofSeconds(10), Duration.ofMillis(100), 4)
                    .withProbeInterval(Duration.ofHours(1), Duration.ofHours(1))
                    .withAsync(List.of(), 2, false);
            try (Mirror m = t.open(t.paths, o)) {
                int behind = HazardsTest.writeBehindIndex(m);
                t.fault(behind).set(Fault.HANG);
                m.write(ByteBuffer.wrap(HazardsTest.fill(1)), 0);
                m.write(ByteBuffer.wrap(HazardsTest.fill(2)), CHUNK);
                assertEquals(2, m.status().members().get(behind).lagWrites());
                CompletableFuture<Long> third = HazardsTest.timed(
                        () -> m.write(ByteBuffer.wrap(HazardsTest.fill(3)), 2L * CHUNK));
                third.get(5, TimeUnit.SECONDS);
                MirrorStatus.Lag lag = m.status().members().get(behind).lag();
                assertEquals("behind", lag.mode(), "the member went behind: " + lag);
                assertEquals(1, lag.chunks(), "the third write is recorded for it, not queued: " + lag);
                assertEquals(2, m.status().members().get(behind).lagWrites());
                assertEquals(3, lag.writes());
                ByteBuffer back = ByteBuffer.allocate(CHUNK);
                m.read(back, 2L * CHUNK);
                assertArrayEquals(HazardsTest.fill(3), back.array(), "read from the member that has it");
                t.fault(behind).set(Fault.NONE);
                HazardsTest.await(() -> m.status().members().get(behind).lag().equals(
                                new MirrorStatus.Lag("streaming", 0, 0, 0, 0)), Duration.ofSeconds(20),
                        () -> "caught up and streaming again: " + m.status());
                assertEquals("in_sync", m.status().members().get(behind).state());
            }
            assertArrayEquals(t.image(0), t.image(1));
        });
    }

    @Test
    void writeBehindMemberFailingWhileLaggingKeepsEveryChunkItMissed() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
            Random r = new Random(3);
            try (Mirror m = t.open(t.paths, async(1000))) {
                int behind = behindIndex(t);
                t.fault(behind).delayWrites(50);
                for (int i = 0; i < 20; i++) {
                    byte[] d = new byte[CHUNK];
                    r.nextBytes(d);
                    m.write(ByteBuffer.wrap(d), (long) i * 3 * CHUNK);
                }
                t.fault(behind).set(Fault.EIO);
                long end = System.nanoTime() + 10_000_000_000L;
                while (!m.status().members().get(behind).state().equals("faulty") && System.nanoTime() < end) {
                    Thread.sleep(20);
                }
                assertEquals("faulty", m.status().members().get(behind).state());
                t.fault(behind).set(Fault.NONE);
                t.fault(behind).delayWrites(0);
                m.add(String.valueOf(behind), false);
                TestArray.awaitIdle(m);
            }
            assertArrayEquals(t.image(0), t.image(1));
        });
    }

    /** The write-behind member chosen at mount: the metadata records it (flag bit 0). */
    private static int behindIndex(TestArray t) throws Exception {
        try (var s = fr1.io.FileStorage.open(t.paths.get(0))) {
            var members = fr1.meta.MetaStore.open(s, "m").readSuperblock().members();
            for (int i = 0; i < members.size(); i++) {
                if ((members.get(i).flags() & 1) != 0) {
                    return i;
                }
            }
        }
        throw new AssertionError("no write-behind member recorded");
    }

    /**
     * A crash while write-behind writes are queued: the files are copied with the lagging member not yet written.
     * The next open resyncs from the member that is not write-behind; every acknowledged write is there.
     */
    @Test
    void crashWithQueuedWriteBehindWritesLosesNothing() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        Path crash = Files.createDirectory(dir.resolve("crash"));
        byte[] model = new byte[(int) SIZE];
        Random r = new Random(4);
        try (Mirror m = t.open(t.paths, async(1000))) {
            int behind = behindIndex(t);
            t.fault(behind).set(Fault.HANG); // the lagging member gets nothing until the crash
            for (int i = 0; i < 30; i++) {
                byte[] d = new byte[CHUNK];
                r.nextBytes(d);
                long off = (long) r.nextInt(64) * CHUNK;
                m.write(ByteBuffer.wrap(d), off);
                System.arraycopy(d, 0, model, (int) off, CHUNK);
            }
            m.flush();
            for (int i = 0; i < 2; i++) {
                Files.copy(t.paths.get(i), crash.resolve("m" + i + ".img"));
            }
            t.fault(behind).set(Fault.NONE);
        }
        List<Path> crashed = List.of(crash.resolve("m0.img"), crash.resolve("m1.img"));
        try (Mirror m = Mirror.open(crashed, TestArray.fastOptions())) {
            TestArray.awaitIdle(m);
            ByteBuffer all = ByteBuffer.allocate((int) SIZE);
            m.read(all, 0);
            assertArrayEquals(model, all.array());
        }
        byte[] a = java.util.Arrays.copyOf(Files.readAllBytes(crashed.get(0)), (int) SIZE);
        byte[] b = java.util.Arrays.copyOf(Files.readAllBytes(crashed.get(1)), (int) SIZE);
        assertArrayEquals(model, a);
        assertArrayEquals(model, b);
    }
}
