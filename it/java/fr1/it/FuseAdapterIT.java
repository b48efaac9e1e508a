package fr1.it;

import com.sun.nio.file.ExtendedOpenOption;
import fr1.fuse.FuseMounter;
import fr1.fuse.FuseOptions;
import fr1.fuse.ImageMount;
import fr1.it.fuse.FileVolume;
import fr1.it.fuse.MountTable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real mounts of the FUSE adapter, in this JVM, on both bindings, over a file-backed volume. Needs /dev/fuse,
 * fusermount3 and fio: a machine without them fails these tests, it never skips them.
 */
class FuseAdapterIT {

    private static final long SIZE = 64L << 20;
    private static final int MIB = 1 << 20;
    private static final String OPERATION_NOT_PERMITTED = "Operation not permitted";

    @TempDir
    Path tmp;

    private Path mnt;
    private Path image;
    private Path backing;
    private FileVolume volume;
    private ImageMount mount;

    @BeforeAll
    static void fuseIsAvailable() throws Exception {
        assertTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is missing: FUSE integration tests cannot run");
        assertEquals(0, MountTable.run(List.of("fusermount3", "-V"), null, 10), "fusermount3 is missing");
        assertEquals(0, MountTable.run(List.of("fio", "--version"), null, 10), "fio is missing");
    }

    /** Mounts a fresh 64 MiB volume with {@code binding}; {@code prepare} may fill the backing file first. */
    private void mount(String binding, Consumer<FileChannel> prepare) throws IOException {
        Path shm = Path.of("/dev/shm");
        Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "fr1-it") : tmp;
        backing = dir.resolve("volume.bin");
        volume = FileVolume.create(backing, SIZE);
        if (prepare != null) {
            try (FileChannel ch = FileChannel.open(backing, StandardOpenOption.WRITE)) {
                prepare.accept(ch);
            }
        }
        mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        image = mnt.resolve("disk.img");
        FuseOptions defaults = FuseOptions.defaults();
        mount = FuseMounter.mount(volume, mnt, new FuseOptions(binding, "disk.img", false, defaults.uid(), defaults.gid(), 0600));
    }

    @AfterEach
    void unmountAlways() throws IOException {
        try {
            if (mount != null) {
                mount.close();
            }
        } finally {
            if (mnt != null) {
                MountTable.forceUnmount(mnt);
            }
            if (volume != null) {
                volume.close();
            }
            if (backing != null && backing.getParent().startsWith("/dev/shm")) {
                Files.deleteIfExists(backing);
                Files.deleteIfExists(backing.getParent());
            }
        }
        assertFalse(mnt != null && MountTable.isFuseMounted(mnt), "left mounted: " + mnt);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    void statAndReaddirShowOneImage(String binding) throws Exception {
        mount(binding, null);
        assertEquals(mnt, mount.mountpoint());
        assertEquals(SIZE, Files.size(image));
        assertTrue(Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(image)));
        Map<String, Object> attrs = Files.readAttributes(image, "unix:uid,gid,nlink");
        assertEquals(FuseOptions.defaults().uid(), attrs.get("uid"));
        assertEquals(FuseOptions.defaults().gid(), attrs.get("gid"));
        assertEquals(1, attrs.get("nlink"));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(mnt)));
        try (Stream<Path> entries = Files.list(mnt)) {
            assertEquals(List.of(image), entries.toList());
        }
        assertThrows(NoSuchFileException.class, () -> Files.size(mnt.resolve("other")));
        assertEquals(SIZE / 4096 * 4096, Files.getFileStore(image).getTotalSpace());
        assertTrue(MountTable.isFuseMounted(mnt));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    void oddSizesAndAlignmentsRoundTrip(String binding) throws Exception {
        byte[] original = new byte[(int) SIZE];
        new Random(42).nextBytes(original);
        mount(binding, ch -> {
            try {
                ch.write(ByteBuffer.wrap(original), 0);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Random random = new Random(7);
        int[] lengths = {1, 7, 511, 513, 4095, 4097, 65_537, 131_073, MIB + 3, 3 * MIB - 1};
        try (FileChannel viaMount = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileChannel viaBacking = FileChannel.open(backing, StandardOpenOption.READ)) {
            for (int length : lengths) {
                long offset = 1 + random.nextLong(SIZE - length - 1);
                // Read what was written behind the mount before it started.
                assertArrayEquals(slice(original, offset, length), readFully(viaMount, offset, length), "read " + length + " at " + offset);
                // Write through the mount; the volume must hold it when write() returns (no writeback cache).
                byte[] data = new byte[length];
                random.nextBytes(data);
                writeFully(viaMount, data, offset);
                assertArrayEquals(data, readFully(viaBacking, offset, length), "backing after write " + length + " at " + offset);
                assertArrayEquals(data, readFully(viaMount, offset, length), "mount after write " + length + " at " + offset);
            }
            // The last bytes of the image, and a read that crosses the end is short.
            byte[] tail = {1, 2, 3};
            writeFully(viaMount, tail, SIZE - 3);
            ByteBuffer crossing = ByteBuffer.allocate(10);
            assertEquals(3, viaMount.read(crossing, SIZE - 3));
            assertEquals(-1, viaMount.read(ByteBuffer.allocate(10), SIZE));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    void writesBeyondTheEndFailWithEfbig(String binding) throws Exception {
        mount(binding, null);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            // A buffered write that crosses the end is short (the kernel sends it page by page), as on a file
            // that hits its size limit; the rest then fails with EFBIG.
            assertEquals(4, ch.write(ByteBuffer.wrap(new byte[8]), SIZE - 4));
            IOException atEnd = assertThrows(IOException.class, () -> ch.write(ByteBuffer.wrap(new byte[4]), SIZE));
            assertEquals("File too large", atEnd.getMessage());
            IOException after = assertThrows(IOException.class, () -> ch.write(ByteBuffer.wrap(new byte[1]), SIZE + 4096));
            assertEquals("File too large", after.getMessage());
        }
        try (FileChannel direct = FileChannel.open(image, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)) {
            // One direct request across the end is refused whole.
            ByteBuffer buf = ByteBuffer.allocateDirect(4 * 4096).alignedSlice(4096);
            buf.limit(2 * 4096);
            IOException crossing = assertThrows(IOException.class, () -> direct.write(buf, SIZE - 4096));
            assertEquals("File too large", crossing.getMessage());
        }
        assertEquals(SIZE, Files.size(image));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    void shapeChangesAreRefused(String binding) throws Exception {
        mount(binding, null);
        assertNotPermitted(() -> Files.createFile(mnt.resolve("new")));
        assertNotPermitted(() -> Files.createDirectory(mnt.resolve("dir")));
        assertNotPermitted(() -> Files.delete(image));
        assertNotPermitted(() -> Files.move(image, mnt.resolve("moved")));
        assertNotPermitted(() -> Files.createSymbolicLink(mnt.resolve("link"), image));
        assertNotPermitted(() -> Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-rw-rw-")));
        assertNotPermitted(() -> Files.newByteChannel(image, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING).close());
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            IOException e = assertThrows(IOException.class, () -> ch.truncate(4096));
            assertEquals(OPERATION_NOT_PERMITTED, e.getMessage());
        }
        StringBuilder out = new StringBuilder();
        assertEquals(1, MountTable.run(List.of("truncate", "-s", "0", image.toString()), out, 10));
        assertTrue(out.toString().contains(OPERATION_NOT_PERMITTED), out.toString());
        // What is already so may be asked for again.
        Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-------"));
        assertEquals(0, MountTable.run(List.of("truncate", "-s", Long.toString(SIZE), image.toString()), null, 10));
        try (Stream<Path> entries = Files.list(mnt)) {
            assertEquals(List.of(image), entries.toList());
        }
        assertEquals(SIZE, Files.size(image));
    }

    private static void assertNotPermitted(ThrowingRunnable action) {
        FileSystemException e = assertThrows(FileSystemException.class, action::run);
        assertEquals(OPERATION_NOT_PERMITTED, e.getReason(), e.toString());
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    void bigRequestsArriveUnsplit(String binding) throws Exception {
        mount(binding, null);
        int expected = binding.equals("jfuse") ? MIB : 128 * 1024;
        ByteBuffer buf = ByteBuffer.allocateDirect(2 * MIB).alignedSlice(4096);
        buf.limit(MIB);
        new Random(1).ints(MIB / 4).forEach(i -> {
            if (buf.remaining() >= 4) {
                buf.putInt(i);
            }
        });
        buf.flip();
        volume.resetCounters();
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)) {
            assertEquals(MIB, ch.write(buf, 4 * MIB));
            buf.clear().limit(MIB);
            assertEquals(MIB, ch.read(buf, 4 * MIB));
            assertEquals(0, volume.flushes(), "close, not fsync, is what flushes nothing");
            ch.force(false);
        }
        System.out.printf("%s: largest write %d, largest read %d bytes%n", binding, volume.maxWriteSeen(), volume.maxReadSeen());
        assertTrue(volume.maxWriteSeen() >= expected, "largest write " + volume.maxWriteSeen() + " < " + expected);
        assertTrue(volume.maxReadSeen() >= expected, "largest read " + volume.maxReadSeen() + " < " + expected);
        assertTrue(volume.flushes() >= 1, "fsync of the file must flush the volume");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    void requestsAreServedConcurrently(String binding) throws Exception {
        mount(binding, null);
        volume.setReadDelayMillis(20);
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long offset = (long) t * MIB;
                done.add(pool.submit(() -> {
                    start.await();
                    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
                        ByteBuffer b = ByteBuffer.allocateDirect(8192).alignedSlice(4096);
                        for (int i = 0; i < 10; i++) {
                            b.clear();
                            ch.read(b, offset + i * 4096L);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(volume.maxReadsInFlight() >= 2, "reads never overlapped: " + volume.maxReadsInFlight());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    void fioVerifiesRandomReadWrite(String binding) throws Exception {
        mount(binding, null);
        StringBuilder out = new StringBuilder();
        int status = MountTable.run(List.of("fio", "--name=v", "--filename=" + image, "--rw=randrw", "--bs=4k",
                "--size=16m", "--verify=crc32c", "--direct=1"), out, 300);
        assertEquals(0, status, out.toString());
        assertFalse(out.toString().contains("verify: bad"), out.toString());
        assertTrue(out.toString().contains("err= 0"), out.toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    void unmountFromOutsideReleasesAwaitUnmounted(String binding) throws Exception {
        mount(binding, null);
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                mount.awaitUnmounted();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(waiter.isAlive());
        assertEquals(0, MountTable.run(List.of("fusermount3", "-u", mnt.toString()), null, 30));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> waiter.join());
        assertFalse(MountTable.isFuseMounted(mnt));
        mount.close();
        mount.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    void closeUnmountsCleanlyIsIdempotentAndRefusesABusyMount(String binding) throws Exception {
        mount(binding, null);
        try (FileChannel open = FileChannel.open(image, StandardOpenOption.READ)) {
            IOException busy = assertThrows(IOException.class, mount::close);
            assertTrue(busy.getMessage().startsWith("cannot unmount " + mnt), busy.getMessage());
            assertTrue(MountTable.isFuseMounted(mnt), "a busy mount must stay mounted");
            assertEquals(1, open.read(ByteBuffer.allocate(1), 0), "and keep working");
        }
        mount.close();
        assertFalse(MountTable.isFuseMounted(mnt));
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> mount.awaitUnmounted());
        mount.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    void mountFailsWithOneClearLine(String binding) throws Exception {
        Path notEmpty = Files.createDirectory(tmp.resolve("full")).toRealPath();
        Files.writeString(notEmpty.resolve("x"), "x");
        FuseOptions options = new FuseOptions(binding, "disk.img", false, 0, 0, 0600);
        try (FileVolume v = FileVolume.create(tmp.resolve("v.bin"), MIB)) {
            IOException e = assertThrows(IOException.class, () -> FuseMounter.mount(v, notEmpty, options));
            assertEquals("mountpoint " + notEmpty + " is not an empty directory", e.getMessage());
            IOException missing = assertThrows(IOException.class, () -> FuseMounter.mount(v, tmp.resolve("none"), options));
            assertEquals("mountpoint " + tmp.toAbsolutePath().normalize().resolve("none") + " does not exist", missing.getMessage());
        }
        assertFalse(MountTable.isFuseMounted(notEmpty));
    }

    private static byte[] slice(byte[] data, long offset, int length) {
        byte[] out = new byte[length];
        System.arraycopy(data, (int) offset, out, 0, length);
        return out;
    }

    private static byte[] readFully(FileChannel ch, long offset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (ch.read(buf, offset + buf.position()) < 0) {
                break;
            }
        }
        return buf.array();
    }

    private static void writeFully(FileChannel ch, byte[] data, long offset) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(data);
        while (buf.hasRemaining()) {
            ch.write(buf, offset + buf.position());
        }
    }
}
