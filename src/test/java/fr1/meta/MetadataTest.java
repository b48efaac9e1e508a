package fr1.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FileStorage;
import fr1.io.Storage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.roaringbitmap.RoaringBitmap;

class MetadataTest {

    static final Layout LAYOUT = new Layout(1 << 20, 4096, 8); // 256 chunks
    /** Small, so the checked-in corpus stays small: 4 chunks. */
    static final Layout CORPUS_LAYOUT = new Layout(16 << 10, 4096, 8);

    @TempDir
    Path dir;

    static Superblock sample(long events, int missedFrom, int missedTo) {
        return sample(LAYOUT, events, missedFrom, missedTo);
    }

    static Superblock sample(Layout layout, long events, int missedFrom, int missedTo) {
        UUID gen = new UUID(7, 8);
        List<MemberRecord> members = List.of(
                new MemberRecord(new UUID(1, 1), 0, 0, events, gen, events - 1, gen, 3, new RoaringBitmap()),
                new MemberRecord(new UUID(2, 2), 1, 1, events - 2, new UUID(9, 9), events - 3, gen, 0,
                        RoaringBitmap.bitmapOfRange(missedFrom, missedTo)));
        return new Superblock(new UUID(5, 6), 0, false, layout.size(), layout.chunkSize(), events, gen, members);
    }

    Path member() throws IOException {
        Path p = dir.resolve("m.img");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(LAYOUT.minCapacity());
        }
        try (Storage s = FileStorage.open(p)) {
            MetaStore.format(s, "m", new Anchor(new UUID(5, 6), LAYOUT), sample(10, 3, 77));
        }
        return p;
    }

    @Test
    void roundTrip() throws IOException {
        Path p = member();
        try (Storage s = FileStorage.open(p)) {
            MetaStore meta = MetaStore.open(s, "m");
            assertEquals(LAYOUT, meta.layout());
            Superblock sb = meta.readSuperblock();
            assertEquals(sample(10, 3, 77), sb);
            meta.writeSuperblock(sample(11, 0, 256));
            assertEquals(sample(11, 0, 256), MetaStore.open(s, "m").readSuperblock());
            assertTrue(meta.readWib().isEmpty());
            RoaringBitmap dirty = RoaringBitmap.bitmapOf(0, 5, 255);
            meta.writeWibPage(0, WibPages.encode(0, dirty));
            assertEquals(dirty, meta.readWib());
        }
    }

    @Test
    void worstCaseFitsItsSlot() {
        Layout big = new Layout(1L << 30, 4096, 8); // 262144 chunks
        RoaringBitmap worst = new RoaringBitmap();
        for (int i = 0; i < big.chunks(); i += 2) {
            worst.add(i);
        }
        List<MemberRecord> members = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            members.add(new MemberRecord(UUID.randomUUID(), 1, 0, 1, UUID.randomUUID(), 0, UUID.randomUUID(), 0,
                    worst));
        }
        Superblock sb = new Superblock(UUID.randomUUID(), 0, false, big.size(), 4096, 1, UUID.randomUUID(), members);
        assertTrue(sb.encode(1, big).remaining() <= big.slotSize());
    }

    /** A torn superblock update leaves the old state; the next read sees old or new, never a mix. */
    @Test
    void tornSuperblockWriteAtEveryByteLeavesOldOrNew() throws IOException {
        Path p = member();
        Superblock old;
        try (Storage s = FileStorage.open(p)) {
            old = MetaStore.open(s, "m").readSuperblock();
        }
        Superblock next = sample(11, 100, 200);
        ByteBuffer bytes = next.encode(3, LAYOUT); // sequence 3 goes to slot B (3 & 1)
        byte[] original = Files.readAllBytes(p);
        long slotB = LAYOUT.slotOffset(1);
        for (int cut = 0; cut <= bytes.remaining(); cut += (cut < 200 ? 1 : 37)) {
            byte[] torn = original.clone();
            bytes.get(0, torn, (int) slotB, cut);
            Files.write(p, torn);
            try (Storage s = FileStorage.open(p)) {
                Superblock got = MetaStore.open(s, "m").readSuperblock();
                boolean complete = cut == bytes.remaining();
                assertEquals(complete ? next : old, got, "cut at " + cut);
            }
        }
    }

    static Stream<Path> corpus() throws IOException {
        Path root = Path.of("src/test/resources/corrupt-metadata");
        return Files.list(root).filter(f -> f.toString().endsWith(".img")).sorted();
    }

    /** Checked-in damaged members (see README in that directory): each must be refused, never used. */
    @ParameterizedTest
    @MethodSource("corpus")
    void corruptCorpusIsRefused(Path sample) throws IOException {
        Path copy = dir.resolve("copy.img");
        Files.copy(sample, copy);
        try (Storage s = FileStorage.open(copy)) {
            assertThrows(CorruptMetadataException.class, () -> MetaStore.open(s, "m").readSuperblock());
        }
    }

    /** Every single-bit flip in the anchor or in both slots is detected. */
    @Test
    void bitFlipsAreDetected() throws IOException {
        Path p = member();
        byte[] good = Files.readAllBytes(p);
        long anchorAt = good.length - Layout.PAGE;
        List<Long> offsets = new ArrayList<>();
        for (long o = anchorAt; o < anchorAt + 64; o++) {
            offsets.add(o);
        }
        offsets.add(anchorAt + Layout.PAGE - 1);
        for (long o : offsets) {
            byte[] bad = good.clone();
            bad[(int) o] ^= 0x10;
            Files.write(p, bad);
            try (Storage s = FileStorage.open(p)) {
                assertThrows(CorruptMetadataException.class, () -> MetaStore.open(s, "m").readSuperblock(),
                        "flip at anchor+" + (o - anchorAt));
            }
        }
        // Damage both slots at the same payload byte: no valid superblock is left.
        for (int o = 0; o < 300; o += 7) {
            byte[] bad = good.clone();
            bad[(int) LAYOUT.slotOffset(0) + o] ^= 0x01;
            bad[(int) LAYOUT.slotOffset(1) + o] ^= 0x01;
            Files.write(p, bad);
            try (Storage s = FileStorage.open(p)) {
                assertThrows(CorruptMetadataException.class, () -> MetaStore.open(s, "m").readSuperblock(),
                        "flip at slot+" + o);
            }
        }
    }

    @Test
    void damagedBitmapPageCountsAsAllDirty() throws IOException {
        Path p = member();
        byte[] bad = Files.readAllBytes(p);
        bad[(int) LAYOUT.wibOffset() + 100] ^= 1;
        Files.write(p, bad);
        try (Storage s = FileStorage.open(p)) {
            assertEquals(LAYOUT.chunks(), MetaStore.open(s, "m").readWib().getCardinality());
        }
    }

    @Test
    void impossibleGeometryIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Layout(1 << 20, 3000, 8));
        assertThrows(IllegalArgumentException.class, () -> new Layout(1 << 20, 2048, 8));
        assertThrows(IllegalArgumentException.class, () -> new Layout(1 << 20, 128 << 20, 8));
        assertThrows(IllegalArgumentException.class, () -> new Layout(1000, 4096, 8));
        assertThrows(IllegalArgumentException.class, () -> new Layout(0, 4096, 8));
    }

    /** An image written before the bitmap chunk existed (checked in): reads as one bit per chunk, bits intact. */
    @Test
    void anImageFromBeforeTheBitmapChunkReadsAsOneBitPerChunk() throws IOException {
        Path copy = dir.resolve("old.img");
        Files.copy(Path.of("src/test/resources/old-format/v1-before-bitmap-chunk.img"), copy);
        try (Storage s = FileStorage.open(copy)) {
            MetaStore meta = MetaStore.open(s, "m");
            Layout layout = meta.layout();
            assertEquals(new Layout(64 << 10, 4096, 8), layout);
            assertEquals(1, layout.chunksPerBit());
            assertEquals(4096, layout.bitmapChunk());
            assertEquals(10, meta.readSuperblock().events());
            assertEquals(RoaringBitmap.bitmapOf(1, 5, 15), meta.readWib());
            // And this code writes the very same anchor for it (version 1, offset 48 zero).
            byte[] all = Files.readAllBytes(copy);
            assertArrayEquals(java.util.Arrays.copyOfRange(all, all.length - Layout.PAGE, all.length),
                    meta.anchor().encode());
        }
    }

    @Test
    void coarseBitsRoundTripThroughAMember() throws IOException {
        // 1 MiB of 4 KiB chunks, 64 KiB per bit: 16 bits; the bitmap area shrinks with them.
        Layout coarse = new Layout(1 << 20, 4096, 8, 64 << 10);
        assertEquals(16, coarse.chunksPerBit());
        assertEquals(16, coarse.bitmapBits());
        Path p = dir.resolve("c.img");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(coarse.minCapacity());
        }
        try (Storage s = FileStorage.open(p)) {
            MetaStore.format(s, "m", new Anchor(new UUID(5, 6), coarse), sample(coarse, 10, 3, 77));
        }
        try (Storage s = FileStorage.open(p)) {
            MetaStore meta = MetaStore.open(s, "m");
            assertEquals(coarse, meta.layout());
            assertEquals(sample(coarse, 10, 3, 77), meta.readSuperblock());
            assertTrue(meta.readWib().isEmpty());
            meta.writeWibPage(0, WibPages.encode(0, RoaringBitmap.bitmapOf(0, 2, 15)));
            RoaringBitmap want = RoaringBitmap.bitmapOfRange(0, 16);
            want.add(32L, 48L);
            want.add(240L, 256L);
            assertEquals(want, meta.readWib());
        }
        byte[] anchor = java.util.Arrays.copyOfRange(Files.readAllBytes(p), (int) coarse.minCapacity() - Layout.PAGE,
                (int) coarse.minCapacity());
        assertEquals(2, ByteBuffer.wrap(anchor).getInt(8), "a coarse bitmap needs version 2 (version 1 misreads it)");
        assertEquals(64 << 10, ByteBuffer.wrap(anchor).getInt(48));
    }

    @Test
    void badBitmapChunksAreRefused() {
        Layout coarse = new Layout(1 << 20, 4096, 8, 64 << 10);
        byte[] good = new Anchor(new UUID(1, 2), coarse).encode();
        long capacity = coarse.minCapacity();
        int[][] cases = {
            {2, 0}, // version 2 without the field
            {2, 4096 * 3}, // not a power of two
            {2, 2048}, // below the chunk size
            {2, Integer.MIN_VALUE}, // 2 GiB, a power of two as an unsigned int
            {2, -4096},
            {1, 64 << 10}, // version 1 with the field set
            {3, 64 << 10}, // newer
        };
        for (int[] c : cases) {
            byte[] bad = good.clone();
            ByteBuffer.wrap(bad).putInt(8, c[0]).putInt(48, c[1]);
            MetadataFuzzTest.resealAnchor(bad);
            CorruptMetadataException e = assertThrows(CorruptMetadataException.class,
                    () -> Anchor.decode(bad, capacity, "m"), "version " + c[0] + " bitmap chunk " + c[1]);
            assertEquals(1, e.getMessage().lines().count());
        }
        assertThrows(IllegalArgumentException.class, () -> new Layout(1 << 20, 4096, 8, 2048));
        assertThrows(IllegalArgumentException.class, () -> new Layout(1 << 20, 4096, 8, 3 << 12));
        assertEquals(1, new Layout(1 << 20, 4096, 8, 1 << 30).bitmapBits());
    }

    /** Writes the checked-in corpus; run by hand: see src/test/resources/corrupt-metadata/README.md. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "src/test/resources/corrupt-metadata");
        Files.createDirectories(out);
        Path good = out.resolve("good.bin");
        try (RandomAccessFile f = new RandomAccessFile(good.toFile(), "rw")) {
            f.setLength(CORPUS_LAYOUT.minCapacity());
        }
        try (Storage s = FileStorage.open(good)) {
            MetaStore.format(s, "m", new Anchor(new UUID(5, 6), CORPUS_LAYOUT), sample(CORPUS_LAYOUT, 10, 1, 3));
        }
        byte[] g = Files.readAllBytes(good);
        Files.delete(good);
        int anchor = g.length - Layout.PAGE;
        int a = (int) CORPUS_LAYOUT.slotOffset(0);
        int b = (int) CORPUS_LAYOUT.slotOffset(1);
        write(out, "no-anchor", g, x -> java.util.Arrays.fill(x, anchor, x.length, (byte) 0));
        write(out, "anchor-crc", g, x -> x[anchor + 40] ^= 1);
        write(out, "anchor-newer-version", g, x -> {
            ByteBuffer.wrap(x).putInt(anchor + 8, 3);
            fixAnchorCrc(x, anchor);
        });
        write(out, "anchor-v1-with-bitmap-chunk", g, x -> {
            ByteBuffer.wrap(x).putInt(anchor + 48, 8192);
            fixAnchorCrc(x, anchor);
        });
        write(out, "anchor-v2-bitmap-chunk-not-power-of-two", g, x -> {
            ByteBuffer.wrap(x).putInt(anchor + 8, 2).putInt(anchor + 48, 12288);
            fixAnchorCrc(x, anchor);
        });
        write(out, "anchor-v2-bitmap-chunk-zero", g, x -> {
            ByteBuffer.wrap(x).putInt(anchor + 8, 2);
            fixAnchorCrc(x, anchor);
        });
        write(out, "anchor-chunk-not-power-of-two", g, x -> {
            ByteBuffer.wrap(x).putInt(anchor + 40, 5000);
            fixAnchorCrc(x, anchor);
        });
        write(out, "anchor-bigger-than-member", g, x -> {
            ByteBuffer.wrap(x).putLong(anchor + 32, 1L << 40);
            fixAnchorCrc(x, anchor);
        });
        write(out, "both-slots-zeroed", g, x -> {
            java.util.Arrays.fill(x, a, a + 4096, (byte) 0);
            java.util.Arrays.fill(x, b, b + 4096, (byte) 0);
        });
        write(out, "both-slots-torn", g, x -> {
            java.util.Arrays.fill(x, a + 100, a + 4096, (byte) 0);
            java.util.Arrays.fill(x, b + 100, b + 4096, (byte) 0);
        });
        write(out, "both-slots-bitflip", g, x -> {
            x[a + 70] ^= 4;
            x[b + 70] ^= 4;
        });
        write(out, "both-slots-huge-length", g, x -> {
            ByteBuffer.wrap(x).putInt(a + 12, Integer.MAX_VALUE);
            ByteBuffer.wrap(x).putInt(b + 12, -5);
        });
        write(out, "both-slots-newer-version", g, x -> {
            ByteBuffer.wrap(x).putInt(a + 8, 9);
            ByteBuffer.wrap(x).putInt(b + 8, 9);
        });
        write(out, "truncated", g, null);
    }

    private static void fixAnchorCrc(byte[] x, int anchor) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(x, anchor, Layout.PAGE - 4);
        ByteBuffer.wrap(x).putInt(anchor + Layout.PAGE - 4, (int) crc.getValue());
    }

    private static void write(Path out, String name, byte[] good, java.util.function.Consumer<byte[]> damage)
            throws IOException {
        byte[] x = good.clone();
        if (damage == null) {
            x = java.util.Arrays.copyOf(x, x.length / 2);
        } else {
            damage.accept(x);
        }
        Files.write(out.resolve(name + ".img"), x);
    }
}
