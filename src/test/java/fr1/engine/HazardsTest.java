package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FaultyStorage.Fault;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hazards a review of the engine found (issue 9, point 5), one test each. Each drives the public API of
 * {@link Mirror} with fault-injecting members and watches what a user would see: states, latencies, threads.
 */
class HazardsTest {

    static final int CHUNK = 4096;
    static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    /** Short probe intervals: the prober is on and quick. */
    static MirrorOptions probing(Duration ioTimeout) {
        return new MirrorOptions(ioTimeout, Duration.ofMillis(100), 4)
                .withProbeInterval(Duration.ofMillis(50), Duration.ofMillis(200));
    }

    /** Polls until {@code done} or the deadline; the message says what was awaited and what was seen. */
    static void await(BooleanSupplier done, Duration deadline, Supplier<String> what) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + deadline.toMillis() + " ms: " + what.get());
            }
            Thread.sleep(10);
        }
    }

    static String state(Mirror m, int i) {
        return m.status().members().get(i).state();
    }

    static void awaitState(Mirror m, int i, String want, Duration deadline) throws InterruptedException {
        await(() -> state(m, i).equals(want), deadline, () -> "member " + i + " " + want + "; " + m.status());
    }

    // ------------------------------------------------------------------------------------------------ down

    /**
     * {@code down} of the last in-sync member is refused and changes nothing: when that member later fails for
     * real and comes back, the prober re-adds it as any other. (The bug: down set the member "manual" before
     * refusing, and the prober skips manual members forever.)
     */
    @Test
    void refusedDownOfTheLastInSyncMemberLeavesItToTheProber() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        try (Mirror m = t.open(t.paths, probing(Duration.ofSeconds(2)))) {
            t.fault(1).set(Fault.EIO);
            m.write(ByteBuffer.wrap(new byte[] {1}), 0);
            assertEquals("faulty", state(m, 1));

            ArrayException refused = assertThrows(ArrayException.class, () -> m.down("0"));
            assertTrue(refused.getMessage().contains("last in-sync"), refused.getMessage());
            assertEquals("in_sync", state(m, 0));

            t.fault(1).set(Fault.NONE);
            awaitState(m, 1, "in_sync", Duration.ofSeconds(20));

            // Now member 0 fails for real, and its path heals: the prober must bring it back.
            t.fault(0).set(Fault.EIO);
            m.write(ByteBuffer.wrap(new byte[] {2}), 5L * CHUNK);
            assertEquals("faulty", state(m, 0));
            t.fault(0).set(Fault.NONE);
            awaitState(m, 0, "in_sync", Duration.ofSeconds(20));
        }
        assertArrayEquals(t.image(0), t.image(1));
    }

    // ------------------------------------------------------------------------------------------------ probe threads

    /**
     * A faulty member whose path hangs at open (a dead NFS server): each back-off round used to start another
     * open on a new thread while the earlier ones stayed stuck. At most one thread may be stuck in an open of a
     * member's path at any time, however long the hang lasts; once the hang ends the member comes back.
     *
     * <p>Observed over about 6 back-off rounds (io-timeout 300 ms, probes every 50..200 ms) by sampling the threads
     * inside the hanging open, on real time: the end-to-end view. ProberClockTest.aHungProbeIsNeverStartedTwice
     * drives the same rule through 20 back-off rounds on a fake clock.
     */
    @Test
    void hungOpenInAProbeHoldsAtMostOneThreadPerMember() throws Exception {
        TestArray t = new TestArray(dir, 3, SIZE, CHUNK);
        try (Mirror m = t.open(t.paths, probing(Duration.ofMillis(300)))) {
            t.hangOpens(1);
            t.hangOpens(2);
            try {
                t.fault(1).set(Fault.EIO);
                t.fault(2).set(Fault.EIO);
                m.write(ByteBuffer.wrap(new byte[] {1}), 0);
                assertEquals("faulty", state(m, 1));
                assertEquals("faulty", state(m, 2));
                t.fault(1).set(Fault.NONE);
                t.fault(2).set(Fault.NONE);

                int max1 = 0;
                int max2 = 0;
                long end = System.nanoTime() + 3_000_000_000L;
                while (System.nanoTime() < end) {
                    max1 = Math.max(max1, t.blockedOpens(1));
                    max2 = Math.max(max2, t.blockedOpens(2));
                    Thread.sleep(5);
                }
                // The probes did reach the hanging open (else this proves nothing) ...
                assertTrue(max1 >= 1 && max2 >= 1, "no probe reached the hanging open: " + max1 + ", " + max2);
                // ... and never more than one per member was stuck there.
                assertEquals(1, max1, "threads stuck opening member 1");
                assertEquals(1, max2, "threads stuck opening member 2");
                assertEquals("faulty", state(m, 1));
            } finally {
                t.releaseOpens(1);
                t.releaseOpens(2);
            }
            awaitState(m, 1, "in_sync", Duration.ofSeconds(20));
            awaitState(m, 2, "in_sync", Duration.ofSeconds(20));
        }
        assertArrayEquals(t.image(0), t.image(1));
        assertArrayEquals(t.image(0), t.image(2));
    }

    // ------------------------------------------------------------------------------------------------ close

    /** Every live thread named fr1-... . */
    static Set<Thread> engineThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(th -> th.getName().startsWith("fr1-") && th.isAlive())
                .collect(Collectors.toSet());
    }

    /**
     * After close returns, no thread the array started is alive. Threads of pools that were shut down and awaited
     * may take a moment to leave their run method, so 100 ms are allowed for that, no more.
     */
    static void assertNoEngineThreadLeft(Set<Thread> before) throws InterruptedException {
        long end = System.nanoTime() + 100_000_000L;
        Set<Thread> left = new HashSet<>();
        do {
            left = engineThreads();
            left.removeAll(before);
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(5);
        } while (System.nanoTime() < end);
        throw new AssertionError("alive after close: " + left.stream()
                .map(th -> th.getName() + " " + Arrays.toString(Arrays.copyOf(th.getStackTrace(), 4)))
                .toList());
    }

    @Test
    void closeJoinsEveryThreadOfAHealthyArray() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        Set<Thread> before = engineThreads();
        Mirror m = t.open(t.paths, probing(Duration.ofSeconds(2)));
        m.write(ByteBuffer.allocate(8 * CHUNK), 0);
        m.flush();
        ByteBuffer b = ByteBuffer.allocate(CHUNK);
        m.read(b, 0);
        m.close();
        assertNoEngineThreadLeft(before);
    }

    /** A scrub still running (paced slowly) when the array is closed: close stops it and joins its thread. */
    @Test
    void closeJoinsARunningCheck() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        Set<Thread> before = engineThreads();
        // 4 MiB image, 2 members, 1 MiB/s: the check takes about 8 s; it is closed well before.
        Mirror m = t.open(t.paths, probing(Duration.ofSeconds(2)).withResyncSpeed(1 << 20, 1 << 20));
        m.write(ByteBuffer.allocate(8 * CHUNK), 0);
        m.check(false, null);
        await(() -> m.status().check().doneChunks() > 0, Duration.ofSeconds(10), () -> "check progress");
        assertTrue(m.status().check().active(), "the check must still run when close is called");
        m.close();
        assertNoEngineThreadLeft(before);
    }

    /** A member failed, came back by the prober, resynced: close joins resync, prober and probe threads. */
    @Test
    void closeJoinsEveryThreadAfterAProbeAndAResync() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        Set<Thread> before = engineThreads();
        Mirror m = t.open(t.paths, probing(Duration.ofSeconds(2)));
        t.fault(1).set(Fault.EIO);
        m.write(ByteBuffer.allocate(8 * CHUNK), 0);
        assertEquals("faulty", state(m, 1));
        t.fault(1).set(Fault.NONE);
        awaitState(m, 1, "in_sync", Duration.ofSeconds(20));
        assertTrue(m.status().members().get(1).lastResyncChunks() > 0, "a resync ran");
        m.close();
        assertNoEngineThreadLeft(before);
    }

    // ------------------------------------------------------------------------------------------------ resync + scrub

    /**
     * A resync and a scrub at the same time each make progress and each keeps to the speed limit: they used to share
     * one Throttle (documented single-threaded), so together they got one limit between them.
     *
     * <p>Rates are measured over a 2.5 s window while both run. Resync is counted in bytes copied; scrub in image
     * bytes compared, which reads two members: its lower bound assumes the limit counts bytes read (half the limit
     * in image bytes), its upper bound that it counts image bytes.
     */
    @Test
    void resyncAndScrubTogetherEachKeepToTheirOwnLimit() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            int chunk = 64 * 1024;
            long size = 64L << 20;
            long limit = 8L << 20;
            TestArray t = new TestArray(dir, 3, size, chunk);
            MirrorOptions o = probing(Duration.ofSeconds(5)).withProbeInterval(Duration.ofHours(1),
                    Duration.ofHours(1)).withResyncSpeed(limit, limit);
            try (Mirror m = t.open(t.paths, o)) {
                m.fail("2");
                // Every other chunk: the resync copies one-chunk runs, so its progress is fine-grained.
                ByteBuffer data = ByteBuffer.allocate(chunk);
                for (long c = 0; c < size / chunk; c += 2) {
                    m.write(data.clear(), c * chunk);
                }
                m.add("2", false);
                m.check(false, null);
                await(() -> {
                    MirrorStatus s = m.status();
                    return s.resync().doneChunks() > 0 && s.check().doneChunks() > 0;
                }, Duration.ofSeconds(20), () -> "both started: " + m.status());
                MirrorStatus s0 = m.status();
                long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < 2_500_000_000L) {
                    Thread.sleep(50);
                }
                MirrorStatus s1 = m.status();
                double secs = (System.nanoTime() - t0) / 1e9;
                assertTrue(s1.resync().active() && s1.check().active(), "both must still run: " + s1);
                double resync = (s1.resync().doneChunks() - s0.resync().doneChunks()) * (double) chunk / secs;
                double scrub = (s1.check().doneChunks() - s0.check().doneChunks()) * (double) chunk / secs;
                String rates = String.format("resync %.1f MiB/s, scrub %.1f MiB/s of image, limit %d MiB/s",
                        resync / (1 << 20), scrub / (1 << 20), limit >> 20);
                assertTrue(resync >= 0.6 * limit && resync <= 1.4 * limit, rates);
                assertTrue(scrub >= 0.6 * limit / 2 && scrub <= 1.4 * limit, rates);
                TestArray.awaitIdle(m);
                assertTrue(m.awaitCheckIdle(Duration.ofSeconds(60)));
                assertEquals(0, m.status().check().mismatches());
            }
            assertArrayEquals(t.image(0), t.image(2));
        });
    }

    // ------------------------------------------------------------------------------------------------ failure in a write

    /**
     * Sync mode: member 1's write errs, and the failure is handled inside that write (the metadata write recording
     * it, made slow here: 2 s on the survivor's metadata area). Meanwhile a write to the same chunk and a write to
     * another chunk are issued. Every write that went on without member 1 is acknowledged only once the survivor
     * records member 1 as faulty (else a crash could take member 1 as the source of recovery and undo it), so all
     * three take about 2 s; what must not happen is that the others wait for the failing write's chunk locks. So
     * the test watches member 0's file: the same-chunk and other-chunk data must land there while the failing
     * write's failure handling is still going on.
     *
     * @return {same chunk landed, other chunk landed} while the failing write was still pending
     */
    private boolean[] writesDuringSlowFailureHandling() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        MirrorOptions o = new MirrorOptions(Duration.ofSeconds(4), Duration.ofHours(1), 4)
                .withProbeInterval(Duration.ofHours(1), Duration.ofHours(1));
        long a = 3L * CHUNK;
        long c = 200L * CHUNK;
        try (Mirror m = t.open(t.paths, o)) {
            m.write(ByteBuffer.allocate(CHUNK), a);
            m.write(ByteBuffer.allocate(CHUNK), c);
            m.flush();
            t.fault(0).delayWritesIn(SIZE, Long.MAX_VALUE, 2000);
            t.fault(1).failNext(1);
            CompletableFuture<Long> failing = timed(() -> m.write(ByteBuffer.wrap(fill(1)), a));
            await(() -> t.fault(1).errors() > 0, Duration.ofSeconds(5), () -> "member 1's write erred");
            CompletableFuture<Long> same = timed(() -> m.write(ByteBuffer.wrap(fill(2)), a));
            CompletableFuture<Long> other = timed(() -> m.write(ByteBuffer.wrap(fill(3)), c));
            boolean[] landed = new boolean[2];
            long end = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < end && !(landed[0] && landed[1])) {
                landed[0] |= Arrays.equals(fill(2), onMember(t, 0, a)) && !failing.isDone();
                landed[1] |= Arrays.equals(fill(3), onMember(t, 0, c)) && !failing.isDone();
                Thread.sleep(5);
            }
            failing.get(30, TimeUnit.SECONDS);
            same.get(30, TimeUnit.SECONDS);
            other.get(30, TimeUnit.SECONDS);
            t.fault(0).delayWritesIn(0, 0, 0);
            assertEquals("faulty", state(m, 1));
            ByteBuffer back = ByteBuffer.allocate(CHUNK);
            m.read(back, a);
            assertArrayEquals(fill(2), back.array());
            back.clear();
            m.read(back, c);
            assertArrayEquals(fill(3), back.array());
            return landed;
        }
    }

    /** One chunk of member {@code i}'s image region, read from its file. */
    private static byte[] onMember(TestArray t, int i, long offset) throws java.io.IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(t.paths.get(i))) {
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            ch.read(b, offset);
            return b.array();
        }
    }

    /** Sync mode: a write to another chunk does not wait for the failure handling of a write that erred. */
    @Test
    void failureHandlingInAWriteDoesNotBlockOtherChunksInSyncMode() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            boolean[] landed = writesDuringSlowFailureHandling();
            assertTrue(landed[1], "the other chunk's write did not reach member 0 while the failure was handled");
        });
    }

    /**
     * Sync mode: nor does a write to the same chunk: the failing write's chunk locks are not held across its failure
     * handling.
     */
    @Test
    void failureHandlingInAWriteDoesNotHoldItsChunksInSyncMode() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            boolean[] landed = writesDuringSlowFailureHandling();
            assertTrue(landed[0], "the same chunk's write waited for the failing write's failure handling");
        });
    }

    /**
     * Async mode: the synchronous member errs while the write-behind member still drains a backlog (three writes of
     * 3 s each in a slow region). The failing write waits for that drain (the synchronous member must stay the
     * recorded source until the lagging one holds every acknowledged write), but a write to the same chunk must not
     * wait with it: it used to, up to 2x io-timeout, because the failing write held its chunk locks. The chunk
     * written is outside the slow region, so the write-behind member takes it at once.
     */
    @Test
    void failureHandlingInAnAsyncWriteDoesNotHoldItsChunksForTheDrain() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
            Duration io = Duration.ofSeconds(2);
            MirrorOptions o = new MirrorOptions(io, Duration.ofHours(1), 8)
                    .withProbeInterval(Duration.ofHours(1), Duration.ofHours(1))
                    .withAsync(List.of(), 64, false);
            long a = 3L * CHUNK;
            long c = 9L * CHUNK;
            long slow = 512L * CHUNK;
            try (Mirror m = t.open(t.paths, o)) {
                int behind = writeBehindIndex(m);
                int sync = 1 - behind;
                m.write(ByteBuffer.allocate(CHUNK), a);
                m.write(ByteBuffer.allocate(CHUNK), c);
                for (int i = 0; i < 3; i++) {
                    m.write(ByteBuffer.allocate(CHUNK), slow + i * 7L * CHUNK);
                }
                m.flush();
                await(() -> m.status().members().get(behind).lagWrites() == 0, Duration.ofSeconds(10),
                        () -> "write-behind idle");
                // 3 s per write in the slow region: less than the 2x io-timeout that fails a lagging member.
                t.fault(behind).delayWritesIn(slow, slow + 64L * CHUNK, 3000);
                for (int i = 0; i < 3; i++) {
                    m.write(ByteBuffer.allocate(CHUNK), slow + i * 7L * CHUNK);
                }
                assertEquals(3, m.status().members().get(behind).lagWrites());
                t.fault(sync).failNext(1);
                CompletableFuture<Long> failing = timed(() -> m.write(ByteBuffer.wrap(fill(1)), a));
                await(() -> t.fault(sync).errors() > 0, Duration.ofSeconds(5), () -> "the synchronous write erred");
                CompletableFuture<Long> same = timed(() -> m.write(ByteBuffer.wrap(fill(2)), a));
                CompletableFuture<Long> other = timed(() -> m.write(ByteBuffer.wrap(fill(3)), c));
                long otherMs = other.get(30, TimeUnit.SECONDS);
                long sameMs = same.get(30, TimeUnit.SECONDS);
                long failingMs = failing.get(30, TimeUnit.SECONDS);
                String lat = "failing write " + failingMs + " ms, same chunk " + sameMs + " ms, other chunk "
                        + otherMs + " ms; io-timeout " + io.toMillis() + " ms";
                assertTrue(otherMs < io.toMillis(), lat);
                assertTrue(sameMs < io.toMillis(), lat);
                t.fault(behind).delayWritesIn(0, 0, 0);
                ByteBuffer back = ByteBuffer.allocate(CHUNK);
                m.read(back, a);
                assertArrayEquals(fill(2), back.array());
            }
        });
    }

    @FunctionalInterface
    interface Io {
        void run() throws Exception;
    }

    /** Runs {@code io} on its own thread; completes with its duration in ms. */
    static CompletableFuture<Long> timed(Io io) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        Thread.ofPlatform().name("test-io").start(() -> {
            long t0 = System.nanoTime();
            try {
                io.run();
                f.complete((System.nanoTime() - t0) / 1_000_000);
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    static byte[] fill(int v) {
        byte[] b = new byte[CHUNK];
        Arrays.fill(b, (byte) v);
        return b;
    }

    static int writeBehindIndex(Mirror m) {
        List<MirrorStatus.Member> ms = m.status().members();
        for (int i = 0; i < ms.size(); i++) {
            if (ms.get(i).writeBehind()) {
                return i;
            }
        }
        throw new AssertionError("no write-behind member: " + m.status());
    }

}
