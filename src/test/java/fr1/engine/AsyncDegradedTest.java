package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Async mode when the member that is not write-behind fails: the write-behind member is then all the array has,
 * and must take writes, bitmap updates and fsyncs itself. (Found by CrashIT: after 'fr1 fail' of the fast member
 * every write and fsync failed with EIO, because the bitmap and fsync only counted members that are not
 * write-behind.)
 */
class AsyncDegradedTest {

    static final int CHUNK = 4096;
    static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    @Test
    void writeBehindMemberAloneTakesWritesBitmapAndFsync() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        byte[] model = new byte[(int) SIZE];
        Random r = new Random(11);
        try (Mirror m = t.open(t.paths, TestArray.fastOptions().withAsync(List.of(), 100, false))) {
            int sync = m.status().members().get(0).writeBehind() ? 1 : 0;
            int behind = 1 - sync;
            writeSome(m, r, model, 20);
            m.fail(String.valueOf(sync));
            assertEquals("faulty", m.status().members().get(sync).state());
            writeSome(m, r, model, 40);
            m.flush();
            m.add(String.valueOf(sync), false);
            TestArray.awaitIdle(m);
            writeSome(m, r, model, 10);
            m.flush();
            assertEquals("in_sync", m.status().members().get(behind).state());
        }
        assertArrayEquals(model, t.image(0));
        assertArrayEquals(model, t.image(1));
    }

    /**
     * The synchronous member fails while the write-behind member still has acknowledged writes queued: the failure
     * is recorded only after the queue drained, so a crash right after it recovers every acknowledged write.
     */
    @Test
    void failingTheLastSynchronousMemberFirstDrainsTheQueue() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        byte[] model = new byte[(int) SIZE];
        Random r = new Random(13);
        Path crash = Files.createDirectory(dir.resolve("drained"));
        try (Mirror m = t.open(t.paths, TestArray.fastOptions().withAsync(List.of(), 1000, false))) {
            int sync = m.status().members().get(0).writeBehind() ? 1 : 0;
            int behind = 1 - sync;
            t.fault(behind).delayWrites(20);
            writeSome(m, r, model, 30);
            m.fail(String.valueOf(sync));
            assertEquals(0, m.status().members().get(behind).lagWrites());
            for (int i = 0; i < 2; i++) {
                Files.copy(t.paths.get(i), crash.resolve("m" + i + ".img"));
            }
            t.fault(behind).delayWrites(0);
        }
        // The crash copy: only the write-behind member is in sync there; it must hold every acknowledged write.
        try (Mirror m = Mirror.open(List.of(crash.resolve("m0.img"), crash.resolve("m1.img")),
                TestArray.fastOptions())) {
            TestArray.awaitIdle(m);
            ByteBuffer all = ByteBuffer.allocate((int) SIZE);
            m.read(all, 0);
            assertArrayEquals(model, all.array());
        }
    }

    @Test
    void crashWhileOnlyTheWriteBehindMemberIsInSyncLosesNoFsyncedWrite() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        byte[] model = new byte[(int) SIZE];
        Random r = new Random(12);
        Path crash = Files.createDirectory(dir.resolve("crash"));
        try (Mirror m = t.open(t.paths, TestArray.fastOptions().withAsync(List.of(), 100, false))) {
            int sync = m.status().members().get(0).writeBehind() ? 1 : 0;
            writeSome(m, r, model, 20);
            m.fail(String.valueOf(sync));
            writeSome(m, r, model, 40);
            m.flush();
            for (int i = 0; i < 2; i++) {
                Files.copy(t.paths.get(i), crash.resolve("m" + i + ".img"));
            }
        }
        List<Path> crashed = List.of(crash.resolve("m0.img"), crash.resolve("m1.img"));
        try (Mirror m = Mirror.open(crashed, TestArray.fastOptions())) {
            // The failed member only missed updates: assembly re-adds it and copies what it missed.
            TestArray.awaitIdle(m);
            assertEquals("in_sync", m.status().members().get(0).state(), m.status().toString());
            assertEquals("in_sync", m.status().members().get(1).state(), m.status().toString());
            ByteBuffer all = ByteBuffer.allocate((int) SIZE);
            m.read(all, 0);
            assertArrayEquals(model, all.array());
        }
        assertArrayEquals(model, java.util.Arrays.copyOf(Files.readAllBytes(crashed.get(0)), (int) SIZE));
        assertArrayEquals(model, java.util.Arrays.copyOf(Files.readAllBytes(crashed.get(1)), (int) SIZE));
    }

    /** Writes and fsyncs in flight at the moment the synchronous member fails still succeed. */
    @Test
    void writesInFlightWhenTheSynchronousMemberFailsSucceed() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        for (int round = 0; round < 5; round++) {
            try (Mirror m = t.open(t.paths, TestArray.fastOptions().withAsync(List.of(), 100, false))) {
                int sync = m.status().members().get(0).writeBehind() ? 1 : 0;
                java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.ConcurrentLinkedQueue<Throwable> errors =
                        new java.util.concurrent.ConcurrentLinkedQueue<>();
                List<Thread> writers = new java.util.ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    long base = (long) w * (SIZE / 4);
                    writers.add(Thread.ofPlatform().start(() -> {
                        Random r = new Random(base);
                        try {
                            while (!stop.get()) {
                                byte[] d = new byte[CHUNK];
                                r.nextBytes(d);
                                m.write(ByteBuffer.wrap(d), base + (long) r.nextInt((int) (SIZE / 4 / CHUNK)) * CHUNK);
                                m.flush();
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }));
                }
                Thread.sleep(100);
                m.fail(String.valueOf(sync));
                Thread.sleep(100);
                stop.set(true);
                for (Thread w : writers) {
                    w.join();
                }
                assertEquals(List.of(), List.copyOf(errors), "round " + round);
                m.add(String.valueOf(sync), false);
                TestArray.awaitIdle(m);
            }
            assertArrayEquals(t.image(0), t.image(1), "round " + round);
        }
    }

    private static void writeSome(Mirror m, Random r, byte[] model, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            int len = 1 + r.nextInt(3 * CHUNK);
            long off = r.nextLong(SIZE - len);
            byte[] d = new byte[len];
            r.nextBytes(d);
            m.write(ByteBuffer.wrap(d), off);
            System.arraycopy(d, 0, model, (int) off, len);
        }
    }
}
