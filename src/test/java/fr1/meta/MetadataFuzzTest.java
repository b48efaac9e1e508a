package fr1.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

/**
 * Seeded property-based fuzzing of the metadata parsers: random bytes, and valid anchors, superblocks and bitmap
 * pages with fields replaced by hostile values, bits flipped and lengths cut, usually with the CRC fixed up afterwards
 * so the parser gets past the checksum and meets the damage itself. The only failure allowed is
 * {@link CorruptMetadataException}; what is accepted must be consistent with the geometry; every case must finish
 * quickly and without exhausting memory (the JVM's heap is the bound: an OutOfMemoryError fails the test).
 * {@code -Dfr1.fuzz.seed=N} replays, {@code -Dfr1.fuzz.cases=N} runs more.
 */
class MetadataFuzzTest {

    static final long SEED = Long.getLong("fr1.fuzz.seed", System.nanoTime());
    static final int CASES = Integer.getInteger("fr1.fuzz.cases", 4000);
    static final Layout LAYOUT = new Layout(1 << 20, 4096, 8); // 256 chunks
    static final long[] HOSTILE = {0, 1, -1, 2, 3, 255, 256, 4095, 4096, 4097, 65536, Integer.MAX_VALUE,
        Integer.MIN_VALUE, Integer.MAX_VALUE + 1L, 0xFFFFFFFFL, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 1L << 62};

    /** A member held in memory. */
    static final class MemStorage implements Storage {
        final byte[] bytes;

        MemStorage(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read(ByteBuffer dst, long position) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), bytes.length - position);
            dst.put(bytes, (int) position, n);
            return n;
        }

        @Override
        public int write(ByteBuffer src, long position) {
            int n = src.remaining();
            src.get(bytes, (int) position, n);
            return n;
        }

        @Override
        public void force() {
        }

        @Override
        public long capacity() {
            return bytes.length;
        }

        @Override
        public void close() {
        }
    }

    interface Case {
        void run() throws IOException;
    }

    private static void expectOnlyCorrupt(String what, long seed, int i, Case c) {
        try {
            c.run();
        } catch (CorruptMetadataException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), what + ": refusal without a message");
            assertTrue(e.getMessage().lines().count() == 1, what + ": a multi-line message: " + e.getMessage());
        } catch (Throwable t) {
            throw new AssertionError(what + " case " + i + " (seed " + seed + "): threw " + t, t);
        }
    }

    static Superblock sample(Random r, Layout layout) {
        int n = 1 + r.nextInt(layout.maxMembers());
        List<MemberRecord> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RoaringBitmap missed = new RoaringBitmap();
            int kind = r.nextInt(4);
            if (kind == 1) {
                missed.add(0L, layout.chunks());
            } else if (kind == 2) {
                for (int k = 0; k < 20; k++) {
                    missed.add(r.nextInt(layout.chunks()));
                }
            } else if (kind == 3) {
                long from = r.nextInt(layout.chunks());
                missed.add(from, from + 1 + r.nextInt((int) (layout.chunks() - from)));
            }
            members.add(new MemberRecord(new UUID(r.nextLong(), r.nextLong()), r.nextInt(5), r.nextInt(2),
                    r.nextInt(1000), UUID.randomUUID(), r.nextInt(1000), UUID.randomUUID(), r.nextInt(100), missed));
        }
        return new Superblock(new UUID(5, 6), r.nextInt(n), r.nextBoolean(), layout.size(), layout.chunkSize(),
                r.nextInt(1_000_000), UUID.randomUUID(), members);
    }

    /** Replaces a 1, 2, 4 or 8-byte big-endian field at a random offset with a hostile or random value. */
    static void smash(Random r, byte[] b, int from, int to) {
        if (to - from < 8) {
            return;
        }
        ByteBuffer w = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
        int at = from + r.nextInt(to - from - 8 + 1);
        long v = r.nextInt(3) == 0 ? r.nextLong() : HOSTILE[r.nextInt(HOSTILE.length)];
        switch (r.nextInt(4)) {
            case 0 -> w.put(at, (byte) v);
            case 1 -> w.putShort(at, (short) v);
            case 2 -> w.putInt(at, (int) v);
            default -> w.putLong(at, v);
        }
    }

    static void flipBits(Random r, byte[] b, int from, int to, int n) {
        for (int i = 0; i < n; i++) {
            int at = from + r.nextInt(to - from);
            b[at] ^= (byte) (1 << r.nextInt(8));
        }
    }

    /** Re-seals a superblock slot (header + payload) as the writer would: the CRC is right, the content is not. */
    static void resealSlot(byte[] slot) {
        ByteBuffer b = ByteBuffer.wrap(slot).order(ByteOrder.BIG_ENDIAN);
        int payload = b.getInt(12);
        if (payload < 0 || Superblock.HEADER + (long) payload > slot.length) {
            return;
        }
        CRC32C crc = new CRC32C();
        crc.update(slot, 0, Superblock.HEADER - 4);
        crc.update(slot, Superblock.HEADER, payload);
        b.putInt(Superblock.HEADER - 4, (int) crc.getValue());
    }

    static void resealAnchor(byte[] page) {
        CRC32C crc = new CRC32C();
        crc.update(page, 0, Layout.PAGE - 4);
        ByteBuffer.wrap(page).order(ByteOrder.BIG_ENDIAN).putInt(Layout.PAGE - 4, (int) crc.getValue());
    }

    @Test
    void anchors() {
        System.out.println("MetadataFuzzTest seed=" + SEED);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(SEED);
            for (int i = 0; i < CASES; i++) {
                byte[] page;
                long capacity = r.nextInt(4) == 0 ? HOSTILE[r.nextInt(HOSTILE.length)] & Long.MAX_VALUE
                        : LAYOUT.minCapacity() + r.nextInt(1 << 20);
                if (r.nextInt(5) == 0) {
                    page = new byte[r.nextInt(3) == 0 ? r.nextInt(8192) : Layout.PAGE];
                    r.nextBytes(page);
                    if (page.length >= 8 && r.nextBoolean()) {
                        ByteBuffer.wrap(page).putLong(0, Anchor.MAGIC);
                    }
                } else {
                    Layout layout = r.nextBoolean() ? LAYOUT
                            : new Layout(LAYOUT.size(), LAYOUT.chunkSize(), 8, LAYOUT.chunkSize() << (1 + r.nextInt(8)));
                    page = new Anchor(new UUID(r.nextLong(), r.nextLong()), layout).encode();
                    int edits = 1 + r.nextInt(3);
                    for (int e = 0; e < edits; e++) {
                        if (r.nextBoolean()) {
                            smash(r, page, 8, 64);
                        } else {
                            flipBits(r, page, 0, Layout.PAGE, 1);
                        }
                    }
                    if (r.nextInt(4) != 0) {
                        resealAnchor(page);
                    }
                }
                byte[] in = page;
                expectOnlyCorrupt("Anchor.decode", SEED, i, () -> {
                    Anchor a = Anchor.decode(in, capacity, "m");
                    assertTrue(a.layout().minCapacity() <= capacity, "accepted a layout bigger than the member");
                    int k = a.layout().chunksPerBit();
                    assertTrue(k >= 1 && Integer.bitCount(k) == 1, "accepted " + k + " chunks per bit");
                    assertTrue(k == 1 || ByteBuffer.wrap(in).getInt(8) >= 2, "a coarse bitmap in a version 1 anchor");
                });
            }
        });
    }

    @Test
    void superblockSlots() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(SEED + 1);
            int slotSize = (int) LAYOUT.slotSize();
            for (int i = 0; i < CASES; i++) {
                byte[] slot;
                if (r.nextInt(6) == 0) {
                    slot = new byte[r.nextInt(slotSize + 1)];
                    r.nextBytes(slot);
                    if (slot.length >= 16 && r.nextBoolean()) {
                        ByteBuffer.wrap(slot).putLong(0, Superblock.MAGIC).putInt(8, 1)
                                .putInt(12, r.nextInt(slot.length));
                        resealSlot(slot);
                    }
                } else {
                    ByteBuffer enc = sample(r, LAYOUT).encode(1 + r.nextInt(1000), LAYOUT);
                    slot = new byte[enc.remaining()];
                    enc.get(slot);
                    int edits = 1 + r.nextInt(4);
                    for (int e = 0; e < edits; e++) {
                        switch (r.nextInt(4)) {
                            case 0 -> smash(r, slot, 0, slot.length);
                            case 1 -> smash(r, slot, Superblock.HEADER, Math.min(slot.length, Superblock.HEADER + 200));
                            case 2 -> flipBits(r, slot, Superblock.HEADER, slot.length, 1 + r.nextInt(3));
                            default -> {
                                // Cut or extend: a torn or padded slot.
                                slot = java.util.Arrays.copyOf(slot, Math.max(0, slot.length + r.nextInt(64) - 48));
                            }
                        }
                    }
                    if (r.nextInt(5) != 0) {
                        resealSlot(slot);
                    }
                }
                byte[] in = slot;
                expectOnlyCorrupt("Superblock.decode", SEED + 1, i, () -> {
                    Superblock sb = Superblock.decode(in, LAYOUT, "m").superblock();
                    assertEquals(LAYOUT.size(), sb.size());
                    assertEquals(LAYOUT.chunkSize(), sb.chunkSize());
                    assertTrue(sb.memberIndex() >= 0 && sb.memberIndex() < sb.members().size());
                    assertTrue(sb.members().size() <= LAYOUT.maxMembers());
                    for (MemberRecord m : sb.members()) {
                        assertTrue(m.state() >= 0 && m.state() < 8, "state " + m.state());
                        assertTrue(m.missed().isEmpty() || Integer.toUnsignedLong(m.missed().last()) < LAYOUT.chunks(),
                                "missed set beyond the image");
                    }
                    // What is accepted must encode again (a later write of this state must not fail).
                    sb.encode(2, LAYOUT);
                });
            }
        });
    }

    @Test
    void bitmapPages() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(SEED + 2);
            for (int i = 0; i < CASES; i++) {
                int page = r.nextInt(4);
                int shift = r.nextInt(3) == 0 ? r.nextInt(6) : 0;
                int chunks = 1 + r.nextInt(4 * WibPages.BITS_PER_PAGE << shift);
                RoaringBitmap dirty = new RoaringBitmap();
                for (int k = r.nextInt(50); k > 0; k--) {
                    dirty.add(r.nextInt(4 * WibPages.BITS_PER_PAGE));
                }
                byte[] bytes = WibPages.encode(page, dirty);
                boolean damaged = r.nextBoolean();
                if (damaged) {
                    if (r.nextBoolean()) {
                        flipBits(r, bytes, 0, bytes.length, 1 + r.nextInt(4));
                    } else {
                        smash(r, bytes, 0, 16);
                    }
                }
                if (r.nextInt(10) == 0) {
                    bytes = java.util.Arrays.copyOf(bytes, r.nextInt(2 * Layout.PAGE));
                }
                RoaringBitmap into = new RoaringBitmap();
                byte[] in = bytes;
                boolean valid;
                try {
                    if (shift == 0 && r.nextBoolean()) {
                        valid = WibPages.decodeInto(page, in, chunks, into);
                    } else {
                        Layout layout = new Layout((long) chunks * 4096, 4096, 8, 4096 << shift);
                        valid = WibPages.decodeInto(page, in, layout, into);
                    }
                } catch (Throwable t) {
                    throw new AssertionError("WibPages.decodeInto case " + i + " (seed " + (SEED + 2) + "): " + t, t);
                }
                long from = (long) WibPages.firstChunk(page) << shift;
                long to = Math.min(chunks, from + ((long) WibPages.BITS_PER_PAGE << shift));
                if (valid) {
                    // Each bit of the page stands for 2^shift chunks; bits at or past the last chunk mean nothing.
                    RoaringBitmap want = new RoaringBitmap();
                    int firstBit = WibPages.firstChunk(page);
                    dirty.forEachInRange(firstBit, WibPages.BITS_PER_PAGE,
                            b -> want.add(Math.min(to, (long) b << shift), Math.min(to, ((long) b + 1) << shift)));
                    assertEquals(want, into, "a valid page decodes to exactly its bits below " + chunks);
                } else {
                    // Never trusted: every chunk of the page counts as dirty.
                    assertEquals(Math.max(0, to - from), into.getLongCardinality(), "a damaged page is all dirty");
                }
            }
        });
    }

    /**
     * Found by {@link #superblockSlots}: a missed set whose serialization loads but holds an empty run container
     * (header says 100 chunks, the container has no runs) made {@code last()} throw NoSuchElementException, which
     * escaped the parser (mount: "internal error", exit 1). Now refused as unreadable. The corpus has it as a whole
     * member: {@code missed-set-empty-container.img}.
     */
    @Test
    void aMissedSetWithAnEmptyContainerIsRefused() throws Exception {
        byte[] slot = slotWithEmptyContainer(LAYOUT);
        CorruptMetadataException e = org.junit.jupiter.api.Assertions.assertThrows(CorruptMetadataException.class,
                () -> Superblock.decode(slot, LAYOUT, "m"));
        assertTrue(e.getMessage().contains("missed set unreadable"), e.getMessage());
    }

    /** A sealed slot (CRC right) whose member 1 missed set is a run container with its run count zeroed. */
    static byte[] slotWithEmptyContainer(Layout layout) {
        RoaringBitmap range = RoaringBitmap.bitmapOfRange(0, 100);
        range.runOptimize();
        byte[] ser = new byte[range.serializedSizeInBytes()];
        range.serialize(ByteBuffer.wrap(ser));
        UUID gen = new UUID(7, 8);
        Superblock sb = new Superblock(new UUID(5, 6), 0, false, layout.size(), layout.chunkSize(), 10, gen, List.of(
                new MemberRecord(new UUID(1, 1), 0, 0, 10, gen, 9, gen, 0, new RoaringBitmap()),
                new MemberRecord(new UUID(2, 2), 1, 0, 8, gen, 7, gen, 0, range)));
        ByteBuffer enc = sb.encode(3, layout);
        byte[] slot = new byte[enc.remaining()];
        enc.get(slot);
        int at = -1;
        for (int i = 0; i + ser.length <= slot.length && at < 0; i++) {
            if (java.util.Arrays.equals(slot, i, i + ser.length, ser, 0, ser.length)) {
                at = i;
            }
        }
        assertTrue(at > 0, "serialized missed set not found in the slot");
        // Portable format with runs: cookie (4), run flags (1), key and cardinality-1 (4), then the run count (2).
        slot[at + 9] = 0;
        slot[at + 10] = 0;
        resealSlot(slot);
        return slot;
    }

    /** Whole members: an anchor and two slots, mutated, read as fr1 does at mount. */
    @Test
    void wholeMembers() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(SEED + 3);
            Layout small = new Layout(16 << 10, 4096, 8);
            for (int i = 0; i < CASES / 4; i++) {
                MemStorage s = new MemStorage(new byte[(int) small.minCapacity()]);
                MetaStore.format(s, "m", new Anchor(new UUID(5, 6), small), sample(r, small));
                int edits = 1 + r.nextInt(6);
                long area = small.wibOffset();
                for (int e = 0; e < edits; e++) {
                    int kind = r.nextInt(3);
                    if (kind == 0) {
                        flipBits(r, s.bytes, (int) area, s.bytes.length, 1);
                    } else {
                        smash(r, s.bytes, (int) area, s.bytes.length);
                    }
                }
                if (r.nextBoolean()) {
                    for (int slot = 0; slot < 2; slot++) {
                        int off = (int) small.slotOffset(slot);
                        byte[] sl = java.util.Arrays.copyOfRange(s.bytes, off, off + (int) small.slotSize());
                        resealSlot(sl);
                        System.arraycopy(sl, 0, s.bytes, off, sl.length);
                    }
                    byte[] anchor = java.util.Arrays.copyOfRange(s.bytes, s.bytes.length - Layout.PAGE, s.bytes.length);
                    resealAnchor(anchor);
                    System.arraycopy(anchor, 0, s.bytes, s.bytes.length - Layout.PAGE, Layout.PAGE);
                }
                MemStorage member = r.nextInt(10) == 0
                        ? new MemStorage(java.util.Arrays.copyOf(s.bytes, r.nextInt(s.bytes.length))) : s;
                expectOnlyCorrupt("MetaStore", SEED + 3, i, () -> {
                    MetaStore meta = MetaStore.open(member, "m");
                    Superblock sb = meta.readSuperblock();
                    assertEquals(meta.anchor().arrayUuid(), sb.arrayUuid());
                    RoaringBitmap dirty = meta.readWib();
                    assertTrue(dirty.isEmpty() || Integer.toUnsignedLong(dirty.last()) < meta.layout().chunks());
                });
            }
        });
    }
}
