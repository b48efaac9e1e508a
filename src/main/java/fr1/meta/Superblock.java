package fr1.meta;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.roaringbitmap.RoaringBitmap;

/**
 * The array's state as one member holds it: written to slot A or B in turn (the newer valid one wins), each
 * slot checksummed with CRC32C, so a torn update leaves the previous state readable. Byte layout in
 * docs/FORMAT.md.
 *
 * @param arrayUuid   the array
 * @param memberIndex which member of {@link #members} this copy belongs to
 * @param clean       true after a clean shutdown: the write-intent bitmap is empty and need not be read
 * @param size        image size in bytes (must match the anchor)
 * @param chunkSize   chunk size in bytes (must match the anchor)
 * @param events      event counter: raised on every state change; the member with the highest is freshest
 * @param generation  replaced whenever the array runs degraded (tells split brain from missed updates)
 * @param members     every member slot, by index
 */
public record Superblock(UUID arrayUuid, int memberIndex, boolean clean, long size, int chunkSize, long events,
                         UUID generation, List<MemberRecord> members) {

    static final long MAGIC = 0x4652315355504552L; // "FR1SUPER"
    public static final int VERSION = 1;
    static final int HEADER = 64;
    private static final int STATE_CODES = 6;

    public Superblock {
        members = List.copyOf(members);
    }

    public MemberRecord self() {
        return members.get(memberIndex);
    }

    /** Encodes header and payload, with the slot sequence number, into one buffer ready to write. */
    public ByteBuffer encode(long sequence, Layout layout) {
        int cap = 128;
        List<byte[]> missed = new ArrayList<>(members.size());
        for (MemberRecord m : members) {
            RoaringBitmap bm = m.missed().clone();
            bm.runOptimize();
            byte[] bytes = new byte[bm.serializedSizeInBytes()];
            bm.serialize(ByteBuffer.wrap(bytes));
            missed.add(bytes);
            cap += Layout.MEMBER_FIXED + bytes.length;
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + cap).order(ByteOrder.BIG_ENDIAN);
        b.position(HEADER);
        putUuid(b, arrayUuid);
        b.putInt(memberIndex);
        b.putInt(clean ? 1 : 0);
        b.putLong(size);
        b.putInt(chunkSize);
        b.putLong(events);
        putUuid(b, generation);
        b.putInt(members.size());
        for (int i = 0; i < members.size(); i++) {
            MemberRecord m = members.get(i);
            putUuid(b, m.uuid());
            b.put((byte) m.state());
            b.put((byte) m.flags());
            b.putShort((short) 0);
            b.putLong(m.lastEvents());
            putUuid(b, m.generation());
            b.putLong(m.prevEvents());
            putUuid(b, m.prevGeneration());
            b.putLong(m.lastResyncChunks());
            b.putInt(missed.get(i).length);
            b.put(missed.get(i));
        }
        int payload = b.position() - HEADER;
        if (HEADER + (long) payload > layout.slotSize()) {
            throw new IllegalStateException("superblock of " + (HEADER + payload) + " bytes exceeds its slot of "
                    + layout.slotSize());
        }
        b.putLong(0, MAGIC);
        b.putInt(8, VERSION);
        b.putInt(12, payload);
        b.putLong(16, sequence);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER - 4);
        crc.update(b.array(), HEADER, payload);
        b.putInt(HEADER - 4, (int) crc.getValue());
        b.flip();
        return b;
    }

    /** A decoded slot: the superblock and the sequence number it was written with. */
    public record Slot(Superblock superblock, long sequence) {
    }

    /** Length of the payload that follows a header, or -1 if the header is not a superblock header. */
    static int payloadLength(ByteBuffer header) {
        if (header.getLong(0) != MAGIC) {
            return -1;
        }
        return header.getInt(12);
    }

    /**
     * Parses and fully checks one slot ({@code HEADER} bytes followed by the payload).
     *
     * @throws CorruptMetadataException naming what is wrong
     */
    public static Slot decode(byte[] slot, Layout layout, String where) throws CorruptMetadataException {
        if (slot.length < HEADER) {
            throw new CorruptMetadataException(where + ": superblock truncated");
        }
        ByteBuffer b = ByteBuffer.wrap(slot).order(ByteOrder.BIG_ENDIAN);
        if (b.getLong(0) != MAGIC) {
            throw new CorruptMetadataException(where + ": superblock magic missing");
        }
        int version = b.getInt(8);
        if (version > VERSION) {
            throw new CorruptMetadataException(where + ": metadata format version " + version
                    + " is newer than this fr1 supports (" + VERSION + ")");
        }
        int payload = b.getInt(12);
        if (version < 1 || payload < 0 || HEADER + (long) payload > Math.min(slot.length, layout.slotSize())) {
            throw new CorruptMetadataException(where + ": superblock header damaged");
        }
        CRC32C crc = new CRC32C();
        crc.update(slot, 0, HEADER - 4);
        crc.update(slot, HEADER, payload);
        if ((int) crc.getValue() != b.getInt(HEADER - 4)) {
            throw new CorruptMetadataException(where + ": superblock checksum mismatch (torn or corrupt)");
        }
        long sequence = b.getLong(16);
        b.position(HEADER).limit(HEADER + payload);
        try {
            Superblock sb = parsePayload(b, layout, where);
            if (b.hasRemaining()) {
                throw new CorruptMetadataException(where + ": superblock has trailing bytes");
            }
            return new Slot(sb, sequence);
        } catch (BufferUnderflowException e) {
            throw new CorruptMetadataException(where + ": superblock payload truncated");
        }
    }

    private static Superblock parsePayload(ByteBuffer b, Layout layout, String where) throws CorruptMetadataException {
        UUID array = getUuid(b);
        int index = b.getInt();
        int flags = b.getInt();
        long size = b.getLong();
        int chunk = b.getInt();
        long events = b.getLong();
        UUID generation = getUuid(b);
        int count = b.getInt();
        if (size != layout.size() || chunk != layout.chunkSize()) {
            throw new CorruptMetadataException(where + ": superblock geometry (" + size + "/" + chunk
                    + ") disagrees with the anchor (" + layout.size() + "/" + layout.chunkSize() + ")");
        }
        if (count < 1 || count > layout.maxMembers() || index < 0 || index >= count || (flags & ~1) != 0
                || events < 0) {
            throw new CorruptMetadataException(where + ": superblock fields out of range");
        }
        List<MemberRecord> members = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            UUID uuid = getUuid(b);
            int state = b.get() & 0xff;
            int mflags = b.get() & 0xff;
            b.getShort();
            long lastEvents = b.getLong();
            UUID gen = getUuid(b);
            long prevEvents = b.getLong();
            UUID prevGen = getUuid(b);
            long lastResync = b.getLong();
            int len = b.getInt();
            if (state >= STATE_CODES || len < 0 || len > b.remaining() || lastResync < 0) {
                throw new CorruptMetadataException(where + ": member " + i + " record out of range");
            }
            ByteBuffer bits = b.slice(b.position(), len).order(ByteOrder.LITTLE_ENDIAN);
            b.position(b.position() + len);
            RoaringBitmap missed = new RoaringBitmap();
            boolean readable;
            try {
                missed.deserialize(bits);
                // A serialization can be well-formed enough to load and still hold empty or unsorted containers,
                // on which last() and friends throw: never trusted either.
                readable = missed.validate();
            } catch (java.io.IOException | RuntimeException e) {
                readable = false;
            }
            if (!readable) {
                throw new CorruptMetadataException(where + ": member " + i + " missed set unreadable");
            }
            if (!missed.isEmpty() && Integer.toUnsignedLong(missed.last()) >= layout.chunks()) {
                throw new CorruptMetadataException(where + ": member " + i + " missed set beyond the image");
            }
            members.add(new MemberRecord(uuid, state, mflags, lastEvents, gen, prevEvents, prevGen, lastResync, missed));
        }
        return new Superblock(array, index, flags == 1, size, chunk, events, generation, members);
    }

    private static void putUuid(ByteBuffer b, UUID u) {
        b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
    }

    private static UUID getUuid(ByteBuffer b) {
        return new UUID(b.getLong(), b.getLong());
    }
}
