package fr1.meta;

import fr1.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.roaringbitmap.RoaringBitmap;

/**
 * Reads and writes one member's metadata area through its {@link Storage}. Not thread-safe: the engine
 * serializes superblock writes and bitmap page writes per member.
 */
public final class MetaStore {

    private final Storage storage;
    private final String where;
    private final Anchor anchor;
    private final long anchorOffset;
    /** Sequence number of the newest slot on disk; the next write goes to the other slot. */
    private long sequence;

    private MetaStore(Storage storage, String where, Anchor anchor, long anchorOffset, long sequence) {
        this.storage = storage;
        this.where = where;
        this.anchor = anchor;
        this.anchorOffset = anchorOffset;
        this.sequence = sequence;
    }

    /** Reads the anchor of an existing member; throws {@link NoMetadataException} if it has none. */
    public static MetaStore open(Storage storage, String where) throws IOException {
        long capacity = storage.capacity();
        if (capacity < Layout.PAGE) {
            throw new NoMetadataException(where + ": no fr1 metadata (only " + capacity + " bytes)");
        }
        byte[] page = new byte[Layout.PAGE];
        storage.readFully(ByteBuffer.wrap(page), capacity - Layout.PAGE);
        Anchor anchor = Anchor.decode(page, capacity, where);
        return new MetaStore(storage, where, anchor, capacity - Layout.PAGE, 0);
    }

    /**
     * Lays out fresh metadata on a member: a clean bitmap, both superblock slots, then the anchor last, so a member
     * whose creation was cut short has no anchor and is not taken for a member.
     */
    public static MetaStore format(Storage storage, String where, Anchor anchor, Superblock first) throws IOException {
        Layout layout = anchor.layout();
        long capacity = storage.capacity();
        if (capacity < layout.minCapacity()) {
            throw new IOException(where + ": has " + capacity + " bytes, needs " + layout.minCapacity());
        }
        MetaStore store = new MetaStore(storage, where, anchor, capacity - Layout.PAGE, 0);
        RoaringBitmap none = new RoaringBitmap();
        for (int p = 0; p < layout.wibPages(); p++) {
            store.writeWibPage(p, WibPages.encode(p, none));
        }
        store.writeSuperblock(first);
        store.writeSuperblock(first);
        storage.force();
        storage.writeFully(ByteBuffer.wrap(anchor.encode()), store.anchorOffset);
        storage.force();
        return store;
    }

    public Anchor anchor() {
        return anchor;
    }

    public Layout layout() {
        return anchor.layout();
    }

    /**
     * Reads both slots and returns the newest valid one.
     *
     * @throws CorruptMetadataException if neither slot is valid, with both reasons
     */
    public Superblock readSuperblock() throws IOException {
        Superblock.Slot best = null;
        String reasons = "";
        for (int s = 0; s < 2; s++) {
            try {
                Superblock.Slot slot = readSlot(s);
                if (best == null || slot.sequence() > best.sequence()) {
                    best = slot;
                }
            } catch (CorruptMetadataException e) {
                reasons += (reasons.isEmpty() ? "" : "; ") + "slot " + (char) ('A' + s) + ": "
                        + e.getMessage().substring(Math.min(e.getMessage().length(), where.length() + 2));
            }
        }
        if (best == null) {
            throw new CorruptMetadataException(where + ": no valid superblock (" + reasons + ")");
        }
        if (!best.superblock().arrayUuid().equals(anchor.arrayUuid())) {
            throw new CorruptMetadataException(where + ": superblock and anchor name different arrays");
        }
        sequence = best.sequence();
        return withPaths(best.superblock(), (int) (best.sequence() & 1), best.sequence());
    }

    /** The superblock with its members' last known paths, if the slot's {@link PathPage} is the one written with it. */
    private Superblock withPaths(Superblock sb, int slot, long seq) throws IOException {
        byte[] page = new byte[Layout.PAGE];
        storage.readFully(ByteBuffer.wrap(page), PathPage.offset(anchor.layout(), slot));
        java.util.List<String> paths = PathPage.decode(page, seq, sb.members().size());
        if (paths == null) {
            return sb;
        }
        java.util.List<MemberRecord> records = new java.util.ArrayList<>(sb.members().size());
        for (int i = 0; i < paths.size(); i++) {
            records.add(sb.members().get(i).withPath(paths.get(i)));
        }
        return new Superblock(sb.arrayUuid(), sb.memberIndex(), sb.clean(), sb.size(), sb.chunkSize(), sb.events(),
                sb.generation(), records);
    }

    private Superblock.Slot readSlot(int s) throws IOException {
        Layout layout = anchor.layout();
        long off = layout.slotOffset(s);
        ByteBuffer header = ByteBuffer.allocate(Superblock.HEADER);
        storage.readFully(header, off);
        int payload = Superblock.payloadLength(header);
        if (payload < 0 || Superblock.HEADER + (long) payload > layout.slotSize()) {
            throw new CorruptMetadataException(where + ": superblock header damaged or missing");
        }
        byte[] all = new byte[Superblock.HEADER + payload];
        System.arraycopy(header.array(), 0, all, 0, Superblock.HEADER);
        storage.readFully(ByteBuffer.wrap(all, Superblock.HEADER, payload), off + Superblock.HEADER);
        return Superblock.decode(all, layout, where);
    }

    /**
     * Writes {@code sb} to the older slot and forces it: the previous state stays intact in the other slot. The
     * members' paths, if any is known, go to the slot's {@link PathPage} with it.
     */
    public void writeSuperblock(Superblock sb) throws IOException {
        long next = sequence + 1;
        Layout layout = anchor.layout();
        int slot = (int) (next & 1);
        ByteBuffer bytes = sb.encode(next, layout);
        boolean paths = sb.members().stream().anyMatch(m -> m.path() != null) && PathPage.fits(layout, bytes.remaining());
        storage.writeFully(bytes, layout.slotOffset(slot));
        if (paths) {
            List<String> list = sb.members().stream().map(MemberRecord::path).toList();
            storage.writeFully(ByteBuffer.wrap(PathPage.encode(next, list)), PathPage.offset(layout, slot));
        }
        storage.force();
        sequence = next;
    }

    /** Writes one bitmap page, encoded by {@link WibPages#encode} (not forced: the caller forces per batch). */
    public void writeWibPage(int page, byte[] bytes) throws IOException {
        storage.writeFully(ByteBuffer.wrap(bytes), anchor.layout().wibOffset() + (long) page * Layout.PAGE);
    }

    /**
     * Reads the whole write-intent bitmap as data chunks (a bit covers {@link Layout#chunksPerBit} of them); damaged
     * pages count as all dirty.
     */
    public RoaringBitmap readWib() throws IOException {
        Layout layout = anchor.layout();
        RoaringBitmap dirty = new RoaringBitmap();
        byte[] page = new byte[Layout.PAGE];
        for (int p = 0; p < layout.wibPages(); p++) {
            storage.readFully(ByteBuffer.wrap(page), layout.wibOffset() + (long) p * Layout.PAGE);
            WibPages.decodeInto(p, page, layout, dirty);
        }
        return dirty;
    }

    public void force() throws IOException {
        storage.force();
    }
}
