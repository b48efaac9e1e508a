package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.meta.Layout;
import fr1.meta.WibPages;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.RoaringBitmap;

class WriteIntentTest {

    /** A sink that keeps the last bytes written per page: the bitmap "on disk". */
    static final class Disk implements WriteIntent.PageSink {
        final Map<Integer, byte[]> pages = new HashMap<>();
        long writes;
        volatile CountDownLatch gate;
        volatile CountDownLatch entered;
        volatile boolean fail;

        @Override
        public void writePages(int[] pages, byte[][] contents) throws IOException {
            CountDownLatch in = entered;
            if (in != null) {
                in.countDown();
            }
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            if (fail) {
                throw new IOException("injected");
            }
            synchronized (this) {
                for (int i = 0; i < pages.length; i++) {
                    this.pages.put(pages[i], contents[i].clone());
                }
                writes++;
            }
        }

        /** Data chunks the disk marks dirty, decoded as recovery would. */
        synchronized RoaringBitmap dirty(int chunks, int chunksPerBit) {
            Layout layout = new Layout((long) chunks * 4096, 4096, 8, 4096 * chunksPerBit);
            RoaringBitmap out = new RoaringBitmap();
            for (Map.Entry<Integer, byte[]> e : pages.entrySet()) {
                assertTrue(WibPages.decodeInto(e.getKey(), e.getValue(), layout, out), "page written with a bad CRC");
            }
            return out;
        }

        synchronized long writes() {
            return writes;
        }
    }

    static WriteIntent intent(Disk disk, int chunks, int perBit, int quiet) {
        return new WriteIntent(disk, chunks, perBit, quiet, new RoaringBitmap(), false);
    }

    @Test
    void aMarkIsOnDiskBeforeMarkDirtyReturnsAndASecondMarkWritesNothing() throws IOException {
        Disk disk = new Disk();
        WriteIntent wi = intent(disk, 1000, 1, 2);
        wi.markDirty(5, 7);
        assertEquals(RoaringBitmap.bitmapOfRange(5, 8), disk.dirty(1000, 1));
        long writes = disk.writes();
        wi.markDirty(6, 6);
        wi.markDirty(5, 7);
        assertEquals(writes, disk.writes(), "marking durable chunks again wrote the bitmap");
        wi.markDirty(7, 8);
        assertEquals(writes + 1, disk.writes());
        assertEquals(RoaringBitmap.bitmapOfRange(5, 9), disk.dirty(1000, 1));
    }

    @Test
    void theFastPathTakesNoLock() throws Exception {
        Disk disk = new Disk();
        WriteIntent wi = intent(disk, 1000, 1, 2);
        wi.markDirty(3, 3);
        java.lang.reflect.Field f = WriteIntent.class.getDeclaredField("lock");
        f.setAccessible(true);
        ReentrantLock lock = (ReentrantLock) f.get(wi);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            lock.lock();
            try {
                held.countDown();
                release.await();
            } catch (InterruptedException ignored) {
                // Test over.
            } finally {
                lock.unlock();
            }
        });
        held.await();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> wi.markDirty(3, 3),
                    "a write to a durable chunk waited for the bitmap's lock");
        } finally {
            release.countDown();
            holder.join();
        }
    }

    @Test
    void theFastPathAllocatesNothing() throws IOException {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Disk disk = new Disk();
        WriteIntent wi = intent(disk, 1 << 16, 4, 2);
        wi.markDirty(0, (1 << 16) - 1);
        int[] targets = new int[4096];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < targets.length; i++) {
            targets[i] = r.nextInt(1 << 16);
        }
        for (int i = 0; i < 200_000; i++) { // warm up (the interpreter allocates nothing either)
            wi.markDirty(targets[i & 4095], targets[i & 4095]);
        }
        long tid = Thread.currentThread().threadId();
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 1_000_000; i++) {
            int c = targets[i & 4095];
            wi.markDirty(c, Math.min((1 << 16) - 1, c + (i & 7)));
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        // The measurement itself may allocate a little; a million calls allocating even 8 bytes each would be 8 MB.
        assertTrue(allocated < 64 << 10, "a million fast-path marks allocated " + allocated + " bytes");
    }

    /** A second write to a chunk whose mark is being committed must wait for that commit, not take the fast path. */
    @Test
    void aBitIsDurableOnlyAfterItsCommitReturned() throws Exception {
        Disk disk = new Disk();
        WriteIntent wi = intent(disk, 1000, 1, 2);
        disk.gate = new CountDownLatch(1);
        disk.entered = new CountDownLatch(1);
        AtomicBoolean commitReturned = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread first = Thread.ofPlatform().start(() -> {
            try {
                wi.markDirty(9, 9);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        disk.entered.await();
        AtomicBoolean secondSawCommit = new AtomicBoolean();
        Thread second = Thread.ofPlatform().start(() -> {
            try {
                wi.markDirty(9, 9);
                secondSawCommit.set(commitReturned.get());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (second.getState() != Thread.State.WAITING && second.isAlive() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        commitReturned.set(true);
        disk.gate.countDown();
        first.join();
        second.join();
        assertEquals(null, failure.get());
        assertTrue(secondSawCommit.get(), "a write skipped the commit of a bit that was not on disk yet");
    }

    @Test
    void aFailedCommitFailsTheWriteAndTheNextMarkWritesAgain() throws IOException {
        Disk disk = new Disk();
        WriteIntent wi = intent(disk, 1000, 1, 2);
        disk.fail = true;
        assertThrows(NoCurrentMemberException.class, () -> wi.markDirty(4, 4));
        assertThrows(NoCurrentMemberException.class, () -> wi.markDirty(4, 4), "a failed mark was taken as durable");
        disk.fail = false;
        wi.markDirty(4, 4);
        assertEquals(RoaringBitmap.bitmapOf(4), disk.dirty(1000, 1));
    }

    /** The clearing rule: a bit marked during period p is cleared by the sweep that ends period p + N. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void aBitIsClearedAfterNQuietSweepPeriods(int quiet) throws IOException {
        Disk disk = new Disk();
        WriteIntent wi = intent(disk, 1000, 1, quiet);
        wi.sweep((a, b) -> false); // ends period 1
        wi.markDirty(10, 10); // period 2
        wi.sweep((a, b) -> false); // ends period 2
        for (int s = 1; s < quiet; s++) {
            wi.sweep((a, b) -> false); // ends period 2 + s, the s-th quiet one
            assertTrue(wi.snapshot().contains(10), "cleared after " + s + " quiet periods, want " + quiet);
        }
        assertTrue(disk.dirty(1000, 1).contains(10));
        wi.sweep((a, b) -> false); // ends period 2 + quiet
        assertFalse(wi.snapshot().contains(10), "still set after " + quiet + " quiet periods");
        assertTrue(disk.dirty(1000, 1).isEmpty(), "the clear was not written");
        // A mark in between starts the count again.
        wi.markDirty(20, 20);
        for (int s = 0; s < quiet; s++) {
            wi.sweep((a, b) -> false);
            wi.markDirty(20, 20);
        }
        for (int s = 0; s < quiet; s++) {
            wi.sweep((a, b) -> false);
            assertTrue(wi.snapshot().contains(20), "cleared early");
        }
        wi.sweep((a, b) -> false);
        assertFalse(wi.snapshot().contains(20));
    }

    @Test
    void bitsFoundDirtyOnDiskCountAsMarkedAtConstruction() throws IOException {
        Disk disk = new Disk();
        WriteIntent wi = new WriteIntent(disk, 1000, 1, 2, RoaringBitmap.bitmapOf(7, 999), false);
        wi.markDirty(7, 7);
        assertEquals(0, disk.writes(), "a chunk dirty on disk was written again");
        wi.sweep((a, b) -> false);
        wi.sweep((a, b) -> false);
        assertEquals(RoaringBitmap.bitmapOf(7, 999), wi.snapshot());
        wi.sweep((a, b) -> false);
        assertTrue(wi.snapshot().isEmpty());
    }

    @Test
    void aCoarseBitAsksOnceForItsWholeRangeAndStaysWhileInFlight() throws IOException {
        Disk disk = new Disk();
        WriteIntent wi = intent(disk, 10, 4, 1); // bits: 0..3, 4..7, 8..9
        wi.markDirty(5, 5);
        wi.markDirty(9, 9);
        assertEquals(RoaringBitmap.bitmapOfRange(4, 10), wi.snapshot());
        assertEquals(RoaringBitmap.bitmapOfRange(4, 10), wi.atRisk());
        assertEquals(RoaringBitmap.bitmapOfRange(4, 10), disk.dirty(10, 4));
        wi.sweep((a, b) -> false); // ends the period of the marks
        List<String> asked = new ArrayList<>();
        wi.sweep((a, b) -> {
            asked.add(a + ".." + b);
            return a == 4;
        });
        assertEquals(List.of("4..7", "8..9"), asked);
        assertEquals(RoaringBitmap.bitmapOfRange(4, 8), wi.snapshot());
        assertEquals(RoaringBitmap.bitmapOfRange(4, 8), disk.dirty(10, 4));
        assertEquals(1, wi.sweepKept());
        long writes = disk.writes();
        wi.markDirty(6, 7); // still durable: no write
        assertEquals(writes, disk.writes());
    }

    @Test
    void marksAcrossPagesAndWordsSetExactlyTheirBits() throws IOException {
        int chunks = 3 * WibPages.BITS_PER_PAGE + 100;
        Disk disk = new Disk();
        WriteIntent wi = intent(disk, chunks, 1, 1);
        RoaringBitmap want = new RoaringBitmap();
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 200; i++) {
            int a = r.nextInt(chunks);
            int b = Math.min(chunks - 1, a + r.nextInt(i % 10 == 0 ? 70_000 : 130));
            wi.markDirty(a, b);
            want.add((long) a, (long) b + 1);
        }
        assertEquals(want, wi.snapshot());
        assertEquals(want, disk.dirty(chunks, 1));
        for (int p = 0; p < 4; p++) {
            assertArrayEquals(WibPages.encode(p, want), wi.encodedPage(p), "page " + p);
        }
        wi.clearAll(chunks);
        assertTrue(wi.snapshot().isEmpty());
        assertTrue(disk.dirty(chunks, 1).isEmpty());
    }

    @Test
    void encodedPageDecodesToTheSnapshotWithCoarseBits() throws IOException {
        Disk disk = new Disk();
        int chunks = 5000;
        WriteIntent wi = intent(disk, chunks, 8, 2);
        wi.markDirty(17, 17);
        wi.markDirty(4990, 4999);
        Layout layout = new Layout((long) chunks * 4096, 4096, 8, 8 * 4096);
        RoaringBitmap decoded = new RoaringBitmap();
        assertTrue(WibPages.decodeInto(0, wi.encodedPage(0), layout, decoded));
        assertEquals(wi.snapshot(), decoded);
        RoaringBitmap want = RoaringBitmap.bitmapOfRange(16, 24);
        want.add(4984L, 5000L);
        assertEquals(want, decoded);
    }

    @Test
    void theBenchSwitchMarksNothing() throws IOException {
        Disk disk = new Disk();
        WriteIntent off = new WriteIntent(disk, 1000, 1, 2, new RoaringBitmap(), true);
        off.markDirty(1, 500);
        off.sweep((a, b) -> {
            throw new AssertionError("asked");
        });
        assertEquals(0, disk.writes());
        assertTrue(off.snapshot().isEmpty());
        String before = System.getProperty(WriteIntent.NO_BITMAP_PROPERTY);
        System.setProperty(WriteIntent.NO_BITMAP_PROPERTY, "true");
        try {
            WriteIntent viaProperty = new WriteIntent(disk, new Layout(1 << 20, 4096, 8), new RoaringBitmap());
            viaProperty.markDirty(0, 3);
            assertEquals(0, disk.writes());
        } finally {
            if (before == null) {
                System.clearProperty(WriteIntent.NO_BITMAP_PROPERTY);
            } else {
                System.setProperty(WriteIntent.NO_BITMAP_PROPERTY, before);
            }
        }
        WriteIntent on = new WriteIntent(disk, new Layout(1 << 20, 4096, 8), new RoaringBitmap());
        on.markDirty(0, 3);
        assertEquals(1, disk.writes());
    }

    /**
     * The interleaving that matters, made deterministic: a write takes its chunk's lock right after the sweep asked
     * about that chunk (and heard "not in flight"), and marks it before the sweep's clear is written. It must not
     * take the fast path on the bit being cleared: once its markDirty returned, the bit must be on disk.
     */
    @Test
    void aWriteArrivingJustAfterTheSweepAskedIsNotLost() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Disk disk = new Disk();
            WriteIntent wi = intent(disk, 16, 4, 1);
            wi.markDirty(5, 5);
            wi.sweep((a, b) -> false); // ends the period of the mark
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean returned = new AtomicBoolean();
            AtomicReference<Thread> writer = new AtomicReference<>();
            AtomicBoolean returnedWhileAsked = new AtomicBoolean();
            wi.sweep((a, b) -> {
                Thread w = Thread.ofPlatform().start(() -> {
                    try {
                        wi.markDirty(6, 6);
                        returned.set(true);
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                writer.set(w);
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (!returned.get() && w.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                // Sampled here, with the sweep still holding its lock: once the sweep returns, the writer may
                // rightly have committed and returned.
                returnedWhileAsked.set(returned.get());
                return false; // it was not in flight when asked
            });
            boolean tookFastPath = returnedWhileAsked.get();
            writer.get().join();
            assertEquals(null, failure.get());
            assertFalse(tookFastPath, "the write skipped the commit of a bit the sweep was clearing");
            assertTrue(disk.dirty(16, 4).contains(6), "a write returned from markDirty with its bit cleared on disk");
        });
    }

    /**
     * Writers hold a chunk's lock around markDirty and the data write, as Mirror does; a sweeper sweeps without
     * pause. While a writer holds its lock after markDirty returned, the chunk must be dirty on disk. Runs until the
     * race happened: a sweep cleared the durable bit of a chunk a writer held, found it in flight, and kept it.
     */
    @Test
    void aSweepRacingWritesNeverClearsABitUnderAWrite() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            int chunks = 16;
            int perBit = 4;
            Disk disk = new Disk();
            WriteIntent wi = intent(disk, chunks, perBit, 1);
            ReentrantLock[] locks = new ReentrantLock[chunks];
            for (int i = 0; i < chunks; i++) {
                locks[i] = new ReentrantLock();
            }
            WriteIntent.RangeInFlight inFlight = (a, b) -> {
                for (int c = a; c <= b; c++) {
                    if (!locks[c].tryLock()) {
                        return true;
                    }
                    locks[c].unlock();
                }
                return false;
            };
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong marks = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int seed = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    try {
                        while (!stop.get()) {
                            int c = r.nextInt(chunks);
                            locks[c].lock();
                            try {
                                wi.markDirty(c, c);
                                marks.incrementAndGet();
                                assertTrue(disk.dirty(chunks, perBit).contains(c), "chunk " + c + " not on disk");
                                for (int spin = r.nextInt(2000); spin > 0; spin--) {
                                    Thread.onSpinWait(); // the data write
                                }
                                assertTrue(disk.dirty(chunks, perBit).contains(c),
                                        "chunk " + c + " cleared on disk under a write");
                            } finally {
                                locks[c].unlock();
                            }
                            for (int spin = r.nextInt(2000); spin > 0; spin--) {
                                Thread.onSpinWait(); // quiet, so that sweeps find bits to clear
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            long sweeps = 0;
            long deadline = System.nanoTime() + 100_000_000_000L;
            long cleared = 0;
            try {
                while (failure.get() == null && System.nanoTime() < deadline
                        && (sweeps < 100_000 || wi.sweepKept() < 200 || cleared < 200
                        || marks.get() <= disk.writes())) {
                    long w = disk.writes();
                    wi.sweep(inFlight);
                    if (disk.writes() > w) {
                        cleared++;
                    }
                    sweeps++;
                }
            } finally {
                stop.set(true);
                for (Thread t : threads) {
                    t.join();
                }
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertTrue(wi.sweepKept() >= 200, "the race did not happen: kept " + wi.sweepKept() + " in " + sweeps
                    + " sweeps");
            assertTrue(cleared >= 200, "sweeps cleared too little: " + cleared);
            assertTrue(marks.get() > disk.writes(), "no mark took the fast path: " + marks.get() + " marks, "
                    + disk.writes() + " commits");
        });
    }
}
