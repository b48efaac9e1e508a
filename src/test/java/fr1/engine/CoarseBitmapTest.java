package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FileStorage;
import fr1.io.Storage;
import fr1.meta.Layout;
import fr1.meta.MetaStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write-intent bit covering several chunks: recorded by create, and a crash resyncs the bit's whole range. */
class CoarseBitmapTest {

    static final int CHUNK = 4096;
    static final long SIZE = 8L << 20;

    @TempDir
    Path dir;

    @Test
    void createRecordsTheBitmapChunkAndDefaultsTo16M() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Mirror.create(new CreateSpec(SIZE, CHUNK, List.of(a, b), false, null, List.of(), 32 << 10));
        try (Storage s = FileStorage.open(a)) {
            assertEquals(32 << 10, MetaStore.open(s, "a").layout().bitmapChunk());
        }
        Path c = dir.resolve("c");
        Path d = dir.resolve("d");
        Mirror.create(new CreateSpec(SIZE, CHUNK, List.of(c, d), false, null));
        try (Storage s = FileStorage.open(c)) {
            Layout layout = MetaStore.open(s, "c").layout();
            assertEquals(16 << 20, layout.bitmapChunk());
            assertEquals(1, layout.bitmapBits());
        }
        Path e = dir.resolve("e");
        assertThrows(ArrayException.class, () -> Mirror.create(new CreateSpec(SIZE, 64 << 10, List.of(e, d), true,
                null, List.of(), 32 << 10)), "a bitmap chunk below the chunk size");
        assertThrows(ArrayException.class, () -> Mirror.create(new CreateSpec(SIZE, CHUNK, List.of(e, d), true,
                null, List.of(), 48 << 10)), "a bitmap chunk that is not a power of two");
        assertTrue(Files.notExists(e));
    }

    /** As ConcurrencyTest.uncleanShutdownResyncsTheWriteIntentChunks, with 4 chunks per bit: all 4 are resynced. */
    @Test
    void uncleanShutdownResyncsTheWholeBitmapChunk() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK, 4 * CHUNK);
        Path crash = Files.createDirectory(dir.resolve("crash"));
        byte[] data = new byte[CHUNK];
        new Random(7).nextBytes(data);
        MirrorOptions keepBits = new MirrorOptions(Duration.ofSeconds(2), Duration.ofHours(1), 4)
                .withProbeInterval(Duration.ofHours(1), Duration.ofHours(1));
        try (Mirror m = t.open(t.paths, keepBits)) {
            m.write(ByteBuffer.wrap(data), 9L * CHUNK); // bit 2: chunks 8..11
            m.flush();
            for (int i = 0; i < 2; i++) {
                Files.copy(t.paths.get(i), crash.resolve("m" + i + ".img"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (var ch = java.nio.channels.FileChannel.open(crash.resolve("m1.img"),
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(CHUNK), 9L * CHUNK);
        }
        List<Path> crashed = List.of(crash.resolve("m0.img"), crash.resolve("m1.img"));
        try (Mirror m = Mirror.open(crashed, TestArray.fastOptions())) {
            TestArray.awaitIdle(m);
            MirrorStatus s = m.status();
            assertEquals("in_sync", s.members().get(1).state());
            assertEquals(4, s.members().get(1).lastResyncChunks());
        }
        assertArrayEquals(java.util.Arrays.copyOf(Files.readAllBytes(crashed.get(0)), (int) SIZE),
                java.util.Arrays.copyOf(Files.readAllBytes(crashed.get(1)), (int) SIZE));
    }
}
