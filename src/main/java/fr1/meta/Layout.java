package fr1.meta;

import org.roaringbitmap.RoaringBitmap;

/**
 * Where things sit on a member (see docs/FORMAT.md). The image is at offset 0; the metadata area follows it:
 * write-intent bitmap pages, then superblock slots A and B; the anchor is the last 4 KiB of the member.
 * Sized for the worst case (every bitmap full, {@link #maxMembers} members) so it never grows.
 *
 * @param size        image size in bytes, a multiple of 4 KiB
 * @param chunkSize   chunk size, a power of two from 4 KiB to 64 MiB: the unit of missed sets and resync
 * @param maxMembers  member slots the superblock has room for
 * @param bitmapChunk bytes one write-intent bit covers: {@code chunkSize} times a power of two, at most
 *                    {@link #MAX_BITMAP_CHUNK} (or {@code chunkSize} itself, if that is larger)
 */
public record Layout(long size, int chunkSize, int maxMembers, int bitmapChunk) {

    public static final int PAGE = 4096;
    public static final int MIN_CHUNK = 4096;
    public static final int MAX_CHUNK = 64 << 20;
    /** Largest bitmap chunk: 1 GiB (md allows more, but a crash would then resync whole GiBs per bit). */
    public static final int MAX_BITMAP_CHUNK = 1 << 30;
    /**
     * Default bitmap chunk: 16 MiB (or the chunk size if larger). Chosen by simulation
     * ({@code WriteIntentBench simulate}, numbers in docs/FORMAT.md): with a bit cleared after 2 quiet sweeps of 2 s,
     * random 4 KiB writes pay a bitmap commit for under 1% of writes at 1000/s over up to 16 GiB, and for none at
     * 1000/s over 4 GiB (64 KiB bits: 93%). md uses 64 MiB for big arrays; a quarter of that keeps the resync after a
     * crash at 16 MiB per dirty bit, which matters on members reached at 10 to 100 MB/s.
     */
    public static final int DEFAULT_BITMAP_CHUNK = 16 << 20;
    /** Superblock header plus fixed fields plus the per-member fixed fields, rounded up generously. */
    static final int SUPERBLOCK_FIXED = 4096;
    static final int MEMBER_FIXED = 96;

    public Layout {
        validate(size, chunkSize, maxMembers);
        validateBitmapChunk(chunkSize, bitmapChunk);
    }

    /** One bitmap bit per data chunk (the geometry of every image made before the bitmap chunk existed). */
    public Layout(long size, int chunkSize, int maxMembers) {
        this(size, chunkSize, maxMembers, chunkSize);
    }

    /** Throws IllegalArgumentException with a user-readable message for an impossible geometry. */
    public static void validate(long size, int chunkSize, int maxMembers) {
        if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a power of two from 4K to 64M");
        }
        if (size <= 0 || size % PAGE != 0) {
            throw new IllegalArgumentException("image size " + size + " is not a positive multiple of 4K");
        }
        if ((size + chunkSize - 1) / chunkSize > Integer.MAX_VALUE - 1) {
            throw new IllegalArgumentException("image size " + size + " has too many chunks for chunk size " + chunkSize);
        }
        if (maxMembers < 1 || maxMembers > 64) {
            throw new IllegalArgumentException("max members " + maxMembers + " out of range 1..64");
        }
    }

    /** Throws IllegalArgumentException with a user-readable message for a bitmap chunk that does not fit. */
    public static void validateBitmapChunk(int chunkSize, int bitmapChunk) {
        if (bitmapChunk < chunkSize || Integer.bitCount(bitmapChunk) != 1
                || (bitmapChunk > MAX_BITMAP_CHUNK && bitmapChunk != chunkSize)) {
            throw new IllegalArgumentException("bitmap chunk " + bitmapChunk + " is not a power of two from the "
                    + "chunk size (" + chunkSize + ") to 1G");
        }
    }

    /** The bitmap chunk {@code fr1 create} takes unless told: {@link #DEFAULT_BITMAP_CHUNK}, at least a chunk. */
    public static int defaultBitmapChunk(int chunkSize) {
        return Math.max(chunkSize, DEFAULT_BITMAP_CHUNK);
    }

    /** Number of chunks; the last one may be partial. */
    public int chunks() {
        return (int) ((size + chunkSize - 1) / chunkSize);
    }

    /** Bytes of chunks {@code first..last} (inclusive): the last chunk ends at the image's end. */
    public int runBytes(int first, int last) {
        long off = (long) first * chunkSize;
        return (int) (Math.min(size, (long) (last + 1) * chunkSize) - off);
    }

    /** Data chunks one write-intent bit covers: a power of two, 1 for images made before bitmap chunks. */
    public int chunksPerBit() {
        return bitmapChunk / chunkSize;
    }

    /** log2 of {@link #chunksPerBit}: data chunk {@code c} is bitmap bit {@code c >>> bitmapShift()}. */
    public int bitmapShift() {
        return Integer.numberOfTrailingZeros(chunksPerBit());
    }

    /** Number of write-intent bits; the last one may cover fewer chunks. */
    public int bitmapBits() {
        return (int) (((long) chunks() + chunksPerBit() - 1) >>> bitmapShift());
    }

    public int wibPages() {
        return (bitmapBits() + WibPages.BITS_PER_PAGE - 1) / WibPages.BITS_PER_PAGE;
    }

    public long wibOffset() {
        return size;
    }

    /** Bytes one superblock slot may need at most. */
    public long slotSize() {
        long missedMax = RoaringBitmap.maximumSerializedSize(chunks(), chunks());
        long bytes = SUPERBLOCK_FIXED + (long) maxMembers * (MEMBER_FIXED + missedMax);
        return roundUp(bytes);
    }

    public long slotOffset(int slot) {
        return wibOffset() + (long) wibPages() * PAGE + slot * slotSize();
    }

    /** Bytes after the image: bitmap pages, two slots and the anchor. */
    public long areaSize() {
        return (long) wibPages() * PAGE + 2 * slotSize() + PAGE;
    }

    /** Smallest member capacity that holds this layout. */
    public long minCapacity() {
        return size + areaSize();
    }

    private static long roundUp(long n) {
        return (n + PAGE - 1) / PAGE * PAGE;
    }
}
