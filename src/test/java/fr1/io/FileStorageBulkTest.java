package fr1.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bulk writes (resync and catch-up copies) to a member that is not local go through O_DIRECT where aligned. */
class FileStorageBulkTest {

    @TempDir
    Path dir;

    @Test
    void alignedAndUnalignedBulkWritesLandAndPlainReadsSeeThem() throws Exception {
        Path p = dir.resolve("m.img");
        Files.write(p, new byte[1 << 20]);
        Random r = new Random(1);
        try (FileStorage s = FileStorage.openRemote(p)) {
            // A plain read first, so the page cache holds the old (zero) pages the bulk write must invalidate.
            s.readFully(ByteBuffer.allocate(1 << 20), 0);
            byte[] a = new byte[256 << 10];
            r.nextBytes(a);
            ByteBuffer aligned = ByteBuffer.allocateDirect(a.length + 4096).alignedSlice(4096);
            aligned.put(a).flip();
            s.writeBulk(aligned, 64 << 10);
            org.junit.jupiter.api.Assertions.assertTrue(s.directInUse(), "the aligned copy went through O_DIRECT");
            byte[] b = new byte[1000];
            r.nextBytes(b);
            s.writeBulk(ByteBuffer.wrap(b), 3); // unaligned: the plain path
            ByteBuffer back = ByteBuffer.allocate(a.length);
            s.readFully(back, 64 << 10);
            assertArrayEquals(a, back.array(), "plain read after an O_DIRECT write: no stale cached page");
            ByteBuffer back2 = ByteBuffer.allocate(b.length);
            s.readFully(back2, 3);
            assertArrayEquals(b, back2.array());
        }
    }
}
