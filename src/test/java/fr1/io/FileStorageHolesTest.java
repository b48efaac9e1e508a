package fr1.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member file's holes through libc (FFM): punch-hole frees space, zero-range zeroes, SEEK_DATA/SEEK_HOLE find
 * them, and storage that has no holes gets zeros instead, ending byte-identical.
 */
class FileStorageHolesTest {

    static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    Path file;
    byte[] model;

    @BeforeEach
    void fourMebibytesOfData() throws IOException {
        assertTrue(NativeFile.available(), "libc's fallocate and lseek could not be linked");
        file = dir.resolve("m.img");
        model = new byte[4 * MIB];
        new Random(3).nextBytes(model);
        Files.write(file, model);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.getFD().sync();
        }
    }

    byte[] read(Storage s) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(model.length);
        s.readFully(b, 0);
        return b.array();
    }

    @Test
    void aPunchedRangeReadsAsZerosIsAHoleAndIsFreed() throws IOException {
        try (FileStorage s = FileStorage.open(file)) {
            long before = s.allocatedBytes();
            assertTrue(before >= model.length, "allocated " + before);
            s.punchHole(MIB, 2 * MIB);
            Arrays.fill(model, MIB, 3 * MIB, (byte) 0);
            assertArrayEquals(model, read(s));
            assertTrue(s.allocatedBytes() <= before - 2 * MIB, "allocated after punch " + s.allocatedBytes());
            assertEquals(MIB, s.seekHole(0));
            assertEquals(3 * MIB, s.seekData(MIB));
            assertEquals(2 * MIB, s.seekHole(2 * MIB));
            assertEquals(4 * MIB, s.seekHole(3 * MIB), "the end counts as a hole");
            assertEquals(-1, s.seekData(4 * MIB), "no data after the end");
        }
    }

    @Test
    void anUnalignedPunchZeroesExactlyItsBytes() throws IOException {
        try (FileStorage s = FileStorage.open(file)) {
            s.punchHole(12345, 100_000);
            Arrays.fill(model, 12345, 112345, (byte) 0);
            assertArrayEquals(model, read(s));
        }
    }

    @Test
    void aZeroRangeReadsAsZeros() throws IOException {
        try (FileStorage s = FileStorage.open(file)) {
            s.zeroRange(777, 3 * MIB);
            Arrays.fill(model, 777, 777 + 3 * MIB, (byte) 0);
            assertArrayEquals(model, read(s));
        }
    }

    /** A member on a file system without holes: the default writes zeros, byte-identical, and says all is data. */
    @Test
    void storageWithoutHolesGetsZerosAndIsAllData() throws IOException {
        try (FileStorage inner = FileStorage.open(file)) {
            Storage plain = new Storage() {
                public int read(ByteBuffer dst, long position) throws IOException {
                    return inner.read(dst, position);
                }

                public int write(ByteBuffer src, long position) throws IOException {
                    return inner.write(src, position);
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
            long before = inner.allocatedBytes();
            plain.punchHole(100, 3 * MIB);
            Arrays.fill(model, 100, 100 + 3 * MIB, (byte) 0);
            assertArrayEquals(model, read(plain));
            assertTrue(inner.allocatedBytes() >= before, "zeros were written, not punched");
            assertEquals(100, plain.seekData(100));
            assertEquals(Long.MAX_VALUE, plain.seekHole(100));
            assertEquals(-1, plain.allocatedBytes());
        }
    }
}
