package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FileStorage;
import fr1.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that acknowledges writes before they are durable (SSHFS, NFS: write back, error at fsync) and loses them
 * when its link drops. Found with FaultsIT (SSHFS, nft cut): the members differed after the automatic resync in about
 * one run of three, because only chunks written after the failure were counted as missed. Every chunk written since
 * the member's last successful force must be resynced too.
 */
class WriteBackLossTest {

    static final int CHUNK = 4096;
    static final long SIZE = 1L << 20; // 256 chunks

    @TempDir
    Path dir;

    /** Writes are kept in memory until force(); while the link is cut, force() fails and they are lost. */
    static final class WriteBackStorage implements Storage {
        private record Pending(long pos, byte[] data) { }

        private final Storage inner;
        private final AtomicBoolean cut;
        private final List<Pending> pending = new ArrayList<>();
        /** Writes to the image region (not fr1's metadata) acknowledged and then lost at a failed force. */
        final java.util.concurrent.atomic.AtomicInteger lost = new java.util.concurrent.atomic.AtomicInteger();

        WriteBackStorage(Storage inner, AtomicBoolean cut) {
            this.inner = inner;
            this.cut = cut;
        }

        @Override
        public synchronized int read(ByteBuffer dst, long position) throws IOException {
            if (cut.get()) {
                throw new IOException("Input/output error (link dropped)");
            }
            int start = dst.position();
            int n = inner.read(dst, position);
            if (n > 0) {
                for (Pending p : pending) { // newest data wins: apply pending writes in order
                    long from = Math.max(position, p.pos());
                    long to = Math.min(position + n, p.pos() + p.data().length);
                    for (long x = from; x < to; x++) {
                        dst.put(start + (int) (x - position), p.data()[(int) (x - p.pos())]);
                    }
                }
            }
            return n;
        }

        @Override
        public synchronized int write(ByteBuffer src, long position) {
            byte[] b = new byte[src.remaining()];
            src.get(b);
            pending.add(new Pending(position, b));
            return b.length;
        }

        @Override
        public synchronized void force() throws IOException {
            if (cut.get()) {
                lost.addAndGet((int) pending.stream().filter(p -> p.pos() < SIZE).count());
                pending.clear();
                throw new IOException("Input/output error (link dropped; unflushed writes lost)");
            }
            for (Pending p : pending) {
                inner.writeFully(ByteBuffer.wrap(p.data()), p.pos());
            }
            pending.clear();
            inner.force();
        }

        @Override
        public long capacity() throws IOException {
            return inner.capacity();
        }

        @Override
        public synchronized void close() throws IOException {
            pending.clear(); // closed without fsync: what was not forced is gone, as on a dead SSHFS
            inner.close();
        }
    }

    private final AtomicBoolean cut = new AtomicBoolean();
    private final List<WriteBackStorage> opened = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Mirror open(TestArray t) throws IOException {
        Path writeBack = t.paths.get(1);
        return Mirror.open(t.paths, TestArray.fastOptions(), p -> {
            if (!p.equals(writeBack)) {
                return FileStorage.open(p);
            }
            if (cut.get()) {
                throw new IOException("Input/output error (link dropped)");
            }
            WriteBackStorage w = new WriteBackStorage(FileStorage.open(p), cut);
            opened.add(w);
            return w;
        });
    }

    private static ByteBuffer filled(int value) {
        byte[] b = new byte[CHUNK];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    private static void awaitFaulty(Mirror m, int member) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!m.status().members().get(member).state().equals("faulty")) {
            if (System.nanoTime() > end) {
                throw new AssertionError("member " + member + " never failed: " + m.status());
            }
            Thread.sleep(10);
        }
    }

    @Test
    void writesAcknowledgedButLostAtAFailedFsyncAreResynced() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        try (Mirror m = open(t)) {
            m.write(filled(1), 10L * CHUNK);
            m.flush(); // durable on both
            m.write(filled(2), 10L * CHUNK); // acknowledged by member 1, not durable there
            m.write(filled(3), 20L * CHUNK);
            cut.set(true);
            m.flush(); // member 0 takes it; member 1 fails and has lost both writes
            assertEquals("faulty", m.status().members().get(1).state());
            assertTrue(m.status().members().get(1).missedChunks() >= 2,
                    "chunks 10 and 20 were lost on member 1 but not counted as missed: " + m.status());
            cut.set(false);
            m.add("1", false);
            TestArray.awaitIdle(m);
        }
        assertArrayEquals(t.image(0), t.image(1), "member 1 still lacks writes it lost when its link dropped");
    }

    @Test
    void writesLostWhenTheBitmapSweepsForceFailsAreResynced() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        try (Mirror m = open(t)) {
            m.write(filled(7), 30L * CHUNK); // its bit is committed (and member 1 forced) before the data is sent
            cut.set(true);
            // No fsync from the user: the next force on member 1 is the one of the housekeeper's sweep, which has
            // already dropped chunk 30's bit when that force fails.
            awaitFaulty(m, 1);
            // The background flush may have made the write durable before the cut (then nothing was lost, and
            // nothing is missed); if it did not, the lost chunk must be counted.
            int lost = opened.getFirst().lost.get();
            assertTrue(lost == 0 || m.status().members().get(1).missedChunks() >= 1,
                    "chunk 30 was lost on member 1 but not counted as missed: " + m.status());
            cut.set(false);
            m.add("1", false);
            TestArray.awaitIdle(m);
        }
        assertArrayEquals(t.image(0), t.image(1), "member 1 still lacks the write it lost when its link dropped");
    }
}
