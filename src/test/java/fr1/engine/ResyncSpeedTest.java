package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FileStorage;
import fr1.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resync copies several runs at once, merges runs for a member whose calls are slow, and never lets a copy land
 * after a newer write to the same chunk.
 */
class ResyncSpeedTest {

    static final int CHUNK = 64 * 1024;

    @TempDir
    Path dir;

    /**
     * What the tests set and count for one member path (shared by every storage opened on it: a failed member is
     * reopened when it is added back). Counts the resync's writes (calls made from {@link Resync}'s code, inline or
     * on the member's pool) in flight at once, may delay them, or run a hook before one.
     */
    static final class Knobs {
        volatile boolean local;
        /** Every resync write takes this long first. */
        volatile long copyDelayMillis;
        /** Every write takes this long first (to make a member look slow to the read path's choice). */
        volatile long writeDelayMillis;
        /** Run before a resync write is made. */
        volatile Hook hook;
        volatile boolean failReads;
        /** Every read by a check takes this long first. */
        volatile long checkReadDelayMillis;
        final AtomicInteger checkReadsInFlight = new AtomicInteger();
        final AtomicInteger maxCheckReadsInFlight = new AtomicInteger();
        final AtomicInteger failedReads = new AtomicInteger();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final AtomicInteger copyWrites = new AtomicInteger();
        final AtomicInteger largestCopy = new AtomicInteger();

        interface Hook {
            void beforeCopyWrite(long position, int length) throws IOException;
        }
    }

    /** A member's storage as the tests see it, per its {@link Knobs}. */
    static final class Gauged implements Storage {
        private final Storage inner;
        private final Knobs k;

        Gauged(Storage inner, Knobs k) {
            this.inner = inner;
            this.k = k;
        }

        private static boolean by(Class<?> c) {
            return StackWalker.getInstance().walk(f -> f.anyMatch(x -> x.getClassName().equals(c.getName())));
        }

        private static void sleep(long ms) throws IOException {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            if (k.failReads) {
                k.failedReads.incrementAndGet();
                throw new IOException("Input/output error (injected on read)");
            }
            if (k.checkReadDelayMillis == 0 || !by(Scrub.class)) {
                return inner.read(dst, position);
            }
            k.maxCheckReadsInFlight.accumulateAndGet(k.checkReadsInFlight.incrementAndGet(), Math::max);
            try {
                sleep(k.checkReadDelayMillis);
                return inner.read(dst, position);
            } finally {
                k.checkReadsInFlight.decrementAndGet();
            }
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            if (k.writeDelayMillis > 0) {
                sleep(k.writeDelayMillis);
            }
            if (!by(Resync.class)) {
                return inner.write(src, position);
            }
            int now = k.inFlight.incrementAndGet();
            k.maxInFlight.accumulateAndGet(now, Math::max);
            try {
                k.copyWrites.incrementAndGet();
                k.largestCopy.accumulateAndGet(src.remaining(), Math::max);
                Knobs.Hook h = k.hook;
                if (h != null) {
                    h.beforeCopyWrite(position, src.remaining());
                }
                if (k.copyDelayMillis > 0) {
                    sleep(k.copyDelayMillis);
                }
                return inner.write(src, position);
            } finally {
                k.inFlight.decrementAndGet();
            }
        }

        @Override
        public void force() throws IOException {
            inner.force();
        }

        @Override
        public boolean local() {
            return k.local;
        }

        @Override
        public long capacity() throws IOException {
            return inner.capacity();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }

    private final List<Path> paths = new ArrayList<>();
    private final Map<Path, Knobs> knobs = new ConcurrentHashMap<>();

    private Mirror create(int n, long size, int ioThreads) throws IOException {
        for (int i = 0; i < n; i++) {
            paths.add(dir.resolve("m" + i + ".img"));
        }
        Mirror.create(new CreateSpec(size, CHUNK, paths, false, null, List.of(), CHUNK));
        MirrorOptions o = new MirrorOptions(Duration.ofSeconds(5), Duration.ofMillis(100), ioThreads)
                .withProbeInterval(Duration.ofHours(1), Duration.ofHours(1));
        for (Path p : paths) {
            knobs.put(p.toAbsolutePath().normalize(), new Knobs());
        }
        return Mirror.open(paths, o, p -> new Gauged(FileStorage.open(p), knobs.get(p.toAbsolutePath().normalize())));
    }

    private Knobs gauge(int i) {
        return knobs.get(paths.get(i).toAbsolutePath().normalize());
    }

    private byte[] image(int i, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(paths.get(i), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
                // read on
            }
            return b.array();
        }
    }

    private static ByteBuffer chunkOf(int c, int salt) {
        byte[] d = new byte[CHUNK];
        Arrays.fill(d, (byte) (c * 31 + salt));
        d[0] = (byte) salt;
        return ByteBuffer.wrap(d);
    }

    /** Fails member {@code i} and writes every {@code step}-th chunk: those are its missed set. */
    private static int degrade(Mirror m, int i, long size, int step) throws IOException {
        m.fail(String.valueOf(i));
        int n = 0;
        for (int c = 0; c < size / CHUNK; c += step) {
            m.write(chunkOf(c, 1), (long) c * CHUNK);
            n++;
        }
        assertEquals(n, m.status().members().get(i).missedChunks());
        return n;
    }

    @Test
    void localMemberGetsSeveralCopiesInFlight() throws Exception {
        long size = 16L << 20; // 256 chunks
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Mirror m = create(2, size, 4)) {
                gauge(1).local = true;
                int missed = degrade(m, 1, size, 2);
                gauge(1).copyDelayMillis = 2; // every run is one chunk, and each takes 2 ms: copies overlap
                m.add("1", false);
                TestArray.awaitIdle(m);
                assertEquals("in_sync", m.status().members().get(1).state());
                assertEquals(missed, m.status().members().get(1).lastResyncChunks());
                assertTrue(gauge(1).maxInFlight.get() > 1,
                        "copies in flight at once: " + gauge(1).maxInFlight.get());
            }
            assertArrayEquals(image(0, size), image(1, size));
        });
    }

    /** A paused resync starts no copy (its copiers wait), and copies everything once resumed. */
    @Test
    void pausedResyncCopiesNothingUntilResumed() throws Exception {
        long size = 4L << 20;
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Mirror m = create(2, size, 4)) {
                int missed = degrade(m, 1, size, 2);
                m.pauseResync();
                m.add("1", false);
                // Every copier started is waiting for a run (none holds a stripe, so none waits for one).
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (true) {
                    List<Thread> copiers = Thread.getAllStackTraces().keySet().stream()
                            .filter(c -> c.getName().startsWith("fr1-resync-1-")).toList();
                    if (!copiers.isEmpty() && copiers.stream().allMatch(c -> c.getState() == Thread.State.WAITING)) {
                        break;
                    }
                    assertTrue(System.nanoTime() < end, "copiers not waiting: " + m.status());
                    Thread.onSpinWait();
                }
                assertTrue(m.status().resync().active() && m.status().resync().paused(), m.status().toString());
                assertEquals(0, gauge(1).copyWrites.get(), "copied while paused");
                assertEquals(missed, m.status().members().get(1).missedChunks());
                m.resumeResync();
                TestArray.awaitIdle(m);
                assertEquals("in_sync", m.status().members().get(1).state());
                assertEquals(missed, m.status().members().get(1).lastResyncChunks());
                assertTrue(gauge(1).copyWrites.get() > 0);
            }
            assertArrayEquals(image(0, size), image(1, size));
        });
    }

    /**
     * A member whose every call takes 20 ms: many copies in flight at once, and runs separated by chunks that are
     * not missed are merged, so far fewer calls than missed runs.
     */
    @Test
    void slowMemberIsFedManyCopiesMergedIntoLargeRuns() throws Exception {
        long size = 64L << 20; // 1024 chunks
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Mirror m = create(2, size, 16)) {
                int missed = degrade(m, 1, size, 4); // 256 runs of one chunk, three chunks apart
                gauge(1).copyDelayMillis = 20;
                m.add("1", false);
                TestArray.awaitIdle(m);
                MirrorStatus.Member b = m.status().members().get(1);
                assertEquals("in_sync", b.state());
                assertEquals(missed, b.lastResyncChunks(), "progress counts missed chunks only");
                Knobs g = gauge(1);
                assertTrue(g.maxInFlight.get() >= 8, "copies in flight at once: " + g.maxInFlight);
                assertTrue(g.copyWrites.get() < missed / 4, g.copyWrites + " writes for " + missed + " runs");
                assertTrue(g.largestCopy.get() >= 1 << 20, "largest write " + g.largestCopy);
            }
            assertArrayEquals(image(0, size), image(1, size));
        });
    }

    /**
     * A foreground write to a chunk whose copy is in flight (read from the source, not yet written to the target)
     * waits for the copy, then lands on both members: the stale copy never lands after it. Fails if the resync does
     * not lock the run's stripes (member 1 keeps the copied, older data).
     */
    @Test
    void foregroundWriteRacingACopyOfTheSameChunkWins() throws Exception {
        long size = 4L << 20; // 64 chunks
        int raced = 10;
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Mirror m = create(2, size, 4)) {
                degrade(m, 1, size, 1);
                AtomicReference<Thread> writer = new AtomicReference<>();
                AtomicReference<String> seen = new AtomicReference<>();
                AtomicReference<Throwable> writeError = new AtomicReference<>();
                gauge(1).hook = (position, length) -> {
                    if (position > (long) raced * CHUNK || position + length <= (long) raced * CHUNK
                            || writer.get() != null) {
                        return;
                    }
                    // The copy of chunk `raced` has read the source and is about to write the target: write it now.
                    Thread w = Thread.ofPlatform().name("foreground").start(() -> {
                        try {
                            m.write(chunkOf(raced, 2), (long) raced * CHUNK);
                        } catch (Throwable e) {
                            writeError.set(e);
                        }
                    });
                    writer.set(w);
                    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                    while (System.nanoTime() < end) {
                        if (!w.isAlive()) {
                            seen.set("written");
                            return;
                        }
                        if (LockSupport.getBlocker(w) instanceof AbstractQueuedSynchronizer) {
                            seen.set("waiting");
                            return;
                        }
                        Thread.onSpinWait();
                    }
                    seen.set("neither");
                };
                m.add("1", false);
                TestArray.awaitIdle(m);
                assertTrue(writer.get() != null, "the copy of chunk " + raced + " was never seen");
                writer.get().join();
                assertEquals(null, writeError.get());
                assertEquals("waiting", seen.get(), "the foreground write did not wait for the copy in flight");
                assertEquals("in_sync", m.status().members().get(1).state());
            }
            byte[] want = chunkOf(raced, 2).array();
            byte[] a = image(0, size);
            byte[] b = image(1, size);
            assertArrayEquals(want, Arrays.copyOfRange(a, raced * CHUNK, (raced + 1) * CHUNK));
            assertArrayEquals(want, Arrays.copyOfRange(b, raced * CHUNK, (raced + 1) * CHUNK),
                    "member 1 holds the older copy: it landed after the newer write");
            assertArrayEquals(a, b);
        });
    }

    /** A source whose read fails is failed, and the run is copied from another in-sync member. */
    @Test
    void sourceFailingItsReadIsFailedAndTheRunCopiedFromAnother() throws Exception {
        long size = 4L << 20;
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Mirror m = create(3, size, 4)) {
                // Member 1 looks slow to the read path, so member 0 is read first; its reads fail.
                gauge(1).writeDelayMillis = 3;
                int missed = degrade(m, 2, size, 2);
                gauge(1).writeDelayMillis = 0;
                gauge(0).failReads = true;
                m.add("2", false);
                TestArray.awaitIdle(m);
                MirrorStatus s = m.status();
                assertTrue(gauge(0).failedReads.get() > 0, "member 0 was never read: " + s);
                assertEquals("faulty", s.members().get(0).state());
                assertEquals("in_sync", s.members().get(1).state());
                assertEquals("in_sync", s.members().get(2).state());
                assertEquals(missed, s.members().get(2).lastResyncChunks());
            }
            assertArrayEquals(image(1, size), image(2, size));
        });
    }

    /** A check of remote members compares several runs at once: their reads overlap. */
    @Test
    void checkComparesSeveralRunsAtOnce() throws Exception {
        long size = 16L << 20; // 16 runs of 1 MiB
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Mirror m = create(2, size, 4)) {
                for (int c = 0; c < size / CHUNK; c++) {
                    m.write(chunkOf(c, 3), (long) c * CHUNK);
                }
                gauge(1).checkReadDelayMillis = 5;
                m.check(false, null);
                assertTrue(m.awaitCheckIdle(Duration.ofSeconds(30)), "check did not finish: " + m.status());
                MirrorStatus.Check c = m.status().check();
                assertEquals(size / CHUNK, c.doneChunks());
                assertEquals(0, c.mismatches());
                assertTrue(gauge(1).maxCheckReadsInFlight.get() > 1,
                        "check reads in flight at once: " + gauge(1).maxCheckReadsInFlight.get());
            }
        });
    }
}
