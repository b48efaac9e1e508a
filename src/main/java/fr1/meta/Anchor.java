package fr1.meta;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The last 4 KiB of a member: the geometry needed to find everything else. Written when the member is made and
 * never changed after, so it cannot be torn by an update. Byte layout in docs/FORMAT.md.
 *
 * <p>Version 1 has one write-intent bit per data chunk. Version 2 adds the bitmap chunk (bytes per bit, at offset
 * 48), and is written only when a bit covers more than one chunk: a reader of version 1 would take such a bitmap's
 * bits for single chunks and resync too little after a crash, so it must refuse the member, and does (newer
 * version). A version 1 anchor (offset 48 reserved, 0) reads as one bit per chunk.
 */
public record Anchor(UUID arrayUuid, Layout layout) {

    static final long MAGIC = 0x4652314e43484f52L; // "FR1NCHOR"
    /** Highest version this code reads; it writes 1 when a bit covers one chunk, 2 otherwise. */
    public static final int VERSION = 2;
    static final int BITMAP_CHUNK_AT = 48;
    private static final int CRC_AT = Layout.PAGE - 4;

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(Layout.PAGE).order(ByteOrder.BIG_ENDIAN);
        b.putLong(MAGIC);
        b.putInt(layout.chunksPerBit() == 1 ? 1 : 2);
        b.putInt(0);
        b.putLong(arrayUuid.getMostSignificantBits()).putLong(arrayUuid.getLeastSignificantBits());
        b.putLong(layout.size());
        b.putInt(layout.chunkSize());
        b.putInt(layout.maxMembers());
        b.putInt(layout.chunksPerBit() == 1 ? 0 : layout.bitmapChunk());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, CRC_AT);
        b.putInt(CRC_AT, (int) crc.getValue());
        return b.array();
    }

    /**
     * Parses and checks an anchor read from the end of a member of {@code capacity} bytes.
     *
     * @throws CorruptMetadataException with a one-line reason when it is absent, damaged, newer or impossible
     */
    public static Anchor decode(byte[] page, long capacity, String where) throws CorruptMetadataException {
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.BIG_ENDIAN);
        if (page.length != Layout.PAGE || b.getLong(0) != MAGIC) {
            throw new NoMetadataException(where + ": no fr1 metadata (no anchor in its last 4 KiB)");
        }
        CRC32C crc = new CRC32C();
        crc.update(page, 0, CRC_AT);
        if ((int) crc.getValue() != b.getInt(CRC_AT)) {
            throw new CorruptMetadataException(where + ": fr1 anchor checksum mismatch (corrupt metadata)");
        }
        int version = b.getInt(8);
        if (version > VERSION) {
            throw new CorruptMetadataException(where + ": metadata format version " + version
                    + " is newer than this fr1 supports (" + VERSION + ")");
        }
        if (version < 1) {
            throw new CorruptMetadataException(where + ": invalid metadata format version " + version);
        }
        UUID uuid = new UUID(b.getLong(16), b.getLong(24));
        long size = b.getLong(32);
        int chunk = b.getInt(40);
        int maxMembers = b.getInt(44);
        int bitmapChunk = b.getInt(BITMAP_CHUNK_AT);
        if (version == 1 && bitmapChunk != 0) {
            // Reserved in version 1: a writer of version 1 put 0 there, so anything else is damage.
            throw new CorruptMetadataException(where + ": version 1 anchor with a bitmap chunk (corrupt metadata)");
        }
        if (version == 2 && bitmapChunk == 0) {
            throw new CorruptMetadataException(where + ": version 2 anchor without a bitmap chunk (corrupt metadata)");
        }
        Layout layout;
        try {
            Layout.validate(size, chunk, maxMembers);
            layout = new Layout(size, chunk, maxMembers, bitmapChunk == 0 ? chunk : bitmapChunk);
        } catch (IllegalArgumentException e) {
            throw new CorruptMetadataException(where + ": impossible geometry in anchor: " + e.getMessage());
        }
        if (layout.minCapacity() > capacity) {
            throw new CorruptMetadataException(where + ": anchor describes " + layout.minCapacity()
                    + " bytes but the member has only " + capacity);
        }
        return new Anchor(uuid, layout);
    }
}
