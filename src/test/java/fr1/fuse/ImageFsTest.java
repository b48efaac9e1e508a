package fr1.fuse;

import fr1.engine.BeyondEndException;
import fr1.engine.Volume;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The binding-neutral file system, without mounting: attributes, directory, and what is refused with which errno. */
class ImageFsTest {

    private static final long SIZE = 1 << 20;
    private static final Instant T = Instant.parse("2025-01-01T00:00:00Z");

    /** Heap volume that serves reads in pieces of at most 1000 bytes, to check that read() keeps going. */
    private static final class HeapVolume implements Volume {
        final byte[] data = new byte[(int) SIZE];
        int flushes;

        @Override
        public long size() {
            return SIZE;
        }

        @Override
        public int read(ByteBuffer dst, long offset) {
            if (offset >= SIZE) {
                return 0;
            }
            int n = (int) Math.min(Math.min(dst.remaining(), 1000), SIZE - offset);
            dst.put(data, (int) offset, n);
            return n;
        }

        @Override
        public void write(ByteBuffer src, long offset) throws IOException {
            if (offset + src.remaining() > SIZE) {
                throw new BeyondEndException(offset, src.remaining(), SIZE);
            }
            src.get(data, (int) offset, src.remaining());
        }

        @Override
        public void flush() {
            flushes++;
        }
    }

    private final HeapVolume volume = new HeapVolume();
    private final ImageFs fs = new ImageFs(volume, new FuseOptions("jfuse", "disk.img", false, 1000, 100, 0640), T);

    private record Attr(int mode, int nlink, int uid, int gid, long size, Instant time) {
    }

    private Attr attr(String path, int expectedResult) {
        Attr[] got = new Attr[1];
        assertEquals(expectedResult, fs.getattr(path, (m, n, u, g, s, t) -> got[0] = new Attr(m, n, u, g, s, t)));
        return got[0];
    }

    @Test
    void attributes() {
        assertEquals(new Attr(0100640, 1, 1000, 100, SIZE, T), attr("/disk.img", 0));
        assertEquals(new Attr(0040755, 2, 1000, 100, 0, T), attr("/", 0));
        assertEquals(null, attr("/other", -ErrnoMapper.ENOENT));
        assertEquals(null, attr("/disk.img/x", -ErrnoMapper.ENOENT));
    }

    @Test
    void directoryHoldsOnlyTheImage() {
        List<String> names = new ArrayList<>();
        assertEquals(0, fs.readdir("/", names::add));
        assertEquals(List.of(".", "..", "disk.img"), names);
        assertEquals(-ErrnoMapper.ENOTDIR, fs.readdir("/disk.img", names::add));
        assertEquals(-ErrnoMapper.ENOENT, fs.readdir("/nope", names::add));
    }

    @Test
    void readsUntilFullOrEnd() throws IOException {
        for (int i = 0; i < SIZE; i++) {
            volume.data[i] = (byte) (i * 31);
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(4096);
        assertEquals(4096, fs.read("/disk.img", buf, 12345));
        byte[] got = new byte[4096];
        buf.flip().get(got);
        byte[] want = new byte[4096];
        System.arraycopy(volume.data, 12345, want, 0, 4096);
        assertArrayEquals(want, got);
        assertEquals(100, fs.read("/disk.img", ByteBuffer.allocate(4096), SIZE - 100));
        assertEquals(0, fs.read("/disk.img", ByteBuffer.allocate(4096), SIZE));
        assertEquals(-ErrnoMapper.ENOENT, fs.read("/x", ByteBuffer.allocate(1), 0));
    }

    @Test
    void writesAndBeyondEndIsEfbig() throws IOException {
        assertEquals(3, fs.write("/disk.img", ByteBuffer.wrap(new byte[] {1, 2, 3}), SIZE - 3));
        assertEquals(3, volume.data[(int) SIZE - 1]);
        try {
            fs.write("/disk.img", ByteBuffer.wrap(new byte[4]), SIZE - 3);
        } catch (IOException e) {
            assertEquals(-ErrnoMapper.EFBIG, fs.failed("write", "/disk.img", SIZE - 3, 4, e));
            return;
        }
        throw new AssertionError("write beyond the end was accepted");
    }

    @Test
    void flushReachesTheVolume() throws IOException {
        assertEquals(0, fs.flush("/disk.img"));
        assertEquals(0, fs.flush("/"));
        assertEquals(2, volume.flushes);
        assertEquals(0, fs.close("/disk.img"));
        assertEquals(2, volume.flushes, "close is not fsync");
    }

    @Test
    void openRefusesTruncation() {
        assertEquals(0, fs.open("/disk.img", 02)); // O_RDWR
        assertEquals(0, fs.open("/disk.img", 02 | 040000)); // O_RDWR|O_DIRECT
        assertEquals(-ErrnoMapper.EPERM, fs.open("/disk.img", 01 | ImageFs.O_TRUNC));
        assertEquals(-ErrnoMapper.EISDIR, fs.open("/", 0));
        assertEquals(-ErrnoMapper.ENOENT, fs.open("/x", 0));
    }

    @Test
    void shapeChangesAreRefusedWithEpermButNoOpsSucceed() {
        assertEquals(-ErrnoMapper.EPERM, fs.truncate("/disk.img", 0));
        assertEquals(-ErrnoMapper.EPERM, fs.truncate("/disk.img", SIZE + 1));
        assertEquals(0, fs.truncate("/disk.img", SIZE));
        assertEquals(-ErrnoMapper.EPERM, fs.chmod("/disk.img", 0100666));
        assertEquals(0, fs.chmod("/disk.img", 0100640));
        assertEquals(0, fs.chmod("/", 0755));
        assertEquals(-ErrnoMapper.EPERM, fs.chown("/disk.img", 0, 0));
        assertEquals(0, fs.chown("/disk.img", 1000, -1));
        assertEquals(0, fs.chown("/disk.img", 0xFFFF_FFFFL, 100));
        assertEquals(-ErrnoMapper.EPERM, fs.utimens("/disk.img"));
        for (String op : List.of("create", "mknod", "mkdir", "rmdir", "unlink", "rename", "link", "symlink")) {
            assertEquals(-ErrnoMapper.EPERM, fs.changeNamespace(op, "/new"), op);
        }
    }

    @Test
    void statfsReportsTheImageInFourKiBBlocks() {
        long[] got = new long[4];
        assertEquals(0, fs.statfs((bs, blocks, free, nameMax) -> {
            got[0] = bs;
            got[1] = blocks;
            got[2] = free;
            got[3] = nameMax;
        }));
        assertArrayEquals(new long[] {4096, SIZE / 4096, 0, 255}, got);
    }

    @Test
    void failedNeverThrowsAndMapsUnknownToEio() {
        assertEquals(-ErrnoMapper.EIO, fs.failed("read", "/disk.img", 0, 1, new IllegalStateException("bug")));
        assertEquals(-ErrnoMapper.EIO, fs.failed("read", null, -1, -1, null));
    }

    /** fallocate: punch-hole (with keep-size) and zero-range are discards; keep-size allocation a no-op; else refused. */
    @Test
    void fallocateDiscardsAndRefusesWhatWouldChangeTheShape() throws IOException {
        java.util.Arrays.fill(volume.data, (byte) 7);
        int keep = ImageFs.FALLOC_FL_KEEP_SIZE;
        int punch = ImageFs.FALLOC_FL_PUNCH_HOLE;
        int zero = ImageFs.FALLOC_FL_ZERO_RANGE;
        assertEquals(0, fs.fallocate("/disk.img", punch | keep, 100, 50));
        assertEquals(0, fs.fallocate("/disk.img", zero, 1000, 10));
        assertEquals(0, fs.fallocate("/disk.img", zero | keep, SIZE - 10, 100), "cut at the end");
        assertEquals(0, fs.fallocate("/disk.img", keep, 0, 2 * SIZE), "keep-size allocation: nothing to do");
        assertEquals(0, fs.fallocate("/disk.img", 0, 0, SIZE), "allocation inside the image: nothing to do");
        byte[] expected = new byte[(int) SIZE];
        java.util.Arrays.fill(expected, (byte) 7);
        java.util.Arrays.fill(expected, 100, 150, (byte) 0);
        java.util.Arrays.fill(expected, 1000, 1010, (byte) 0);
        java.util.Arrays.fill(expected, (int) SIZE - 10, (int) SIZE, (byte) 0);
        assertArrayEquals(expected, volume.data);
        assertEquals(-ErrnoMapper.EOPNOTSUPP, fs.fallocate("/disk.img", 0, SIZE - 1, 2), "would grow the image");
        assertEquals(-ErrnoMapper.EOPNOTSUPP, fs.fallocate("/disk.img", zero, SIZE - 1, 2), "would grow the image");
        assertEquals(-ErrnoMapper.EOPNOTSUPP, fs.fallocate("/disk.img", punch, 0, 2), "punch needs keep-size");
        assertEquals(-ErrnoMapper.EOPNOTSUPP, fs.fallocate("/disk.img", 0x08, 0, 4096), "collapse-range");
        assertEquals(-ErrnoMapper.EOPNOTSUPP, fs.fallocate("/disk.img", 0x20 | keep, 0, 4096), "insert-range");
        assertEquals(-ErrnoMapper.EINVAL, fs.fallocate("/disk.img", punch | keep, 0, 0));
        assertEquals(-ErrnoMapper.EISDIR, fs.fallocate("/", punch | keep, 0, 1));
        assertArrayEquals(expected, volume.data, "refusals change nothing");
    }

    /** lseek SEEK_DATA/SEEK_HOLE from the volume; a volume that cannot tell is all data. */
    @Test
    void lseekAnswersFromTheVolume() throws IOException {
        assertEquals(0, fs.lseek("/disk.img", 0, ImageFs.SEEK_DATA));
        assertEquals(SIZE, fs.lseek("/disk.img", 5, ImageFs.SEEK_HOLE));
        assertEquals(-ErrnoMapper.ENXIO, fs.lseek("/disk.img", SIZE, ImageFs.SEEK_DATA));
        assertEquals(-ErrnoMapper.EINVAL, fs.lseek("/disk.img", 0, 0));
        assertEquals(-ErrnoMapper.ENOENT, fs.lseek("/x", 0, ImageFs.SEEK_DATA));
    }
}
