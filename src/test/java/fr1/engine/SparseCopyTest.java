package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FileStorage;
import fr1.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copies move only data (issue 11): a run copied with {@link SparseCopy} reads only the source's data extents,
 * writes only non-zero pages, punches the rest on the target (which may hold old data), and the target ends
 * byte-identical and about as large on disk as the data. A full resync of a new member does the same.
 */
class SparseCopyTest {

    static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    /** 8 MiB: 1 MiB of data at 2 MiB, a page of data at 5 MiB + 4 KiB, a MiB of written zeros at 6 MiB; holes elsewhere. */
    Path sparseSource() throws IOException {
        Path p = dir.resolve("src.img");
        try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            byte[] d = new byte[MIB];
            new Random(5).nextBytes(d);
            ch.write(ByteBuffer.wrap(d), 2 * MIB);
            ch.write(ByteBuffer.wrap(d, 0, 4096), 5 * MIB + 4096);
            ch.write(ByteBuffer.allocate(MIB), 6 * MIB);
            ch.truncate(8 * MIB);
            if (ch.size() < 8 * MIB) {
                ch.write(ByteBuffer.allocate(1), 8 * MIB - 1);
            }
        }
        return p;
    }

    Path garbageTarget() throws IOException {
        Path p = dir.resolve("dst.img");
        byte[] g = new byte[8 * MIB];
        new Random(6).nextBytes(g);
        Files.write(p, g);
        return p;
    }

    @Test
    void onlyDataMovesAndTheTargetEndsIdenticalAndThin() throws IOException {
        Path src = sparseSource();
        Path dst = garbageTarget();
        try (FileStorage s = FileStorage.open(src); FileStorage t = FileStorage.open(dst)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(4 * MIB);
            long moved = 0;
            for (long off = 0; off < 8 * MIB; off += 4 * MIB) {
                SparseCopy c = new SparseCopy(buf.clear(), off);
                c.read(s);
                c.write(t);
                moved += c.dataBytes();
            }
            assertEquals(MIB + 4096, moved, "only the data pages move (the written zeros count as a hole)");
            t.force();
            assertTrue(t.allocatedBytes() <= MIB + 64 * 1024, "target holds " + t.allocatedBytes() + " bytes");
            assertEquals(0, t.seekHole(0));
            assertEquals(2 * MIB, t.seekData(0));
        }
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(dst));
    }

    /** A source that cannot say where its holes are: its pages of zeros still become holes on the target. */
    @Test
    void zerosReadFromASourceWithoutHolesBecomeHoles() throws IOException {
        Path src = sparseSource();
        Path dst = garbageTarget();
        try (FileStorage inner = FileStorage.open(src); FileStorage t = FileStorage.open(dst)) {
            Storage noSeek = new Storage() {
                public int read(ByteBuffer b, long p) throws IOException {
                    return inner.read(b, p);
                }

                public int write(ByteBuffer b, long p) throws IOException {
                    return inner.write(b, p);
                }

                public void force() throws IOException {
                    inner.force();
                }

                public long capacity() throws IOException {
                    return inner.capacity();
                }

                public void close() {
                }
            };
            SparseCopy c = new SparseCopy(ByteBuffer.allocate(8 * MIB), 0);
            c.read(noSeek);
            c.write(t);
            assertEquals(MIB + 4096, c.dataBytes());
            assertTrue(t.allocatedBytes() <= MIB + 64 * 1024, "target holds " + t.allocatedBytes() + " bytes");
        }
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(dst));
    }

    /** To a slow member a short hole between data goes along as zeros: one write instead of two and a punch. */
    @Test
    void aBridgeWritesShortHolesAsZerosInOneCall() throws IOException {
        Path src = sparseSource(); // data at 2 MiB (1 MiB) and at 5 MiB + 4 KiB (a page): 2 MiB - 4 KiB apart
        Path dst = garbageTarget();
        try (FileStorage s = FileStorage.open(src); FileStorage t = FileStorage.open(dst)) {
            int[] calls = new int[2]; // writes, punches
            Storage counting = new Storage() {
                public int read(ByteBuffer b, long p) throws IOException {
                    return t.read(b, p);
                }

                public int write(ByteBuffer b, long p) throws IOException {
                    calls[0]++;
                    return t.write(b, p);
                }

                public void punchHole(long p, long l) throws IOException {
                    calls[1]++;
                    t.punchHole(p, l);
                }

                public void force() throws IOException {
                    t.force();
                }

                public long capacity() throws IOException {
                    return t.capacity();
                }

                public void close() {
                }
            };
            SparseCopy c = new SparseCopy(ByteBuffer.allocate(8 * MIB), 0);
            c.read(s);
            c.write(counting, 0);
            assertEquals(2, calls[0], "without a bridge: each piece of data written alone");
            assertEquals(3, calls[1], "and the holes around them punched");
            calls[0] = 0;
            calls[1] = 0;
            c.write(counting, 4 * MIB);
            assertEquals(1, calls[0], "with a bridge: one write over the hole between them");
            assertEquals(2, calls[1], "only the holes before and after punched");
        }
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(dst));
    }

    /** add --full of a new member to an image holding 10 % data: it ends within 10 % of the source's size on disk. */
    @Test
    void aFullResyncOfANewMemberCopiesOnlyTheData() throws Exception {
        long size = 32L * MIB;
        int chunk = 64 * 1024;
        TestArray t = new TestArray(dir, 1, size, chunk);
        Path fresh = dir.resolve("new.img");
        Random r = new Random(9);
        try (Mirror m = t.open()) {
            for (int i = 0; i < 32; i++) { // 32 scattered 100 KiB writes: ~10 % of the image
                byte[] d = new byte[100 * 1024];
                r.nextBytes(d);
                m.write(ByteBuffer.wrap(d), (long) i * MIB + r.nextInt(MIB - d.length));
            }
            m.flush();
            Files.createFile(fresh);
            m.add(fresh.toString(), true);
            TestArray.awaitIdle(m);
            MirrorStatus s = m.status();
            long a = s.members().get(0).allocatedBytes();
            long b = s.members().get(1).allocatedBytes();
            assertEquals("in_sync", s.members().get(1).state());
            assertTrue(Math.abs(b - a) <= a / 10, "new member holds " + b + " bytes, the source " + a);
        }
        try (FileStorage x = FileStorage.open(t.paths.get(0)); FileStorage y = FileStorage.open(fresh)) {
            ByteBuffer p = ByteBuffer.allocate((int) size);
            ByteBuffer q = ByteBuffer.allocate((int) size);
            x.readFully(p, 0);
            y.readFully(q, 0);
            assertArrayEquals(p.array(), q.array());
        }
    }
}
