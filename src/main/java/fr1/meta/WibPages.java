package fr1.meta;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.roaringbitmap.RoaringBitmap;

/**
 * The write-intent bitmap on disk: 4 KiB pages, each with its own CRC32C, updated in place. A page whose checksum
 * fails (torn by a power cut, damaged) is read as "every chunk it covers is dirty": always safe, never trusted.
 * Byte layout in docs/FORMAT.md.
 *
 * <p>Bit {@code i} of a page is bit {@code i % 8} of byte {@code HEADER + i / 8}: read as little-endian longs, word
 * {@code w} of a page holds bits {@code 64w .. 64w+63} in order, so pages can be kept encoded in memory and changed
 * 64 bits at a time ({@link #word}, {@link #setWord}). A bit covers {@link Layout#chunksPerBit} data chunks.
 */
public final class WibPages {

    static final int MAGIC = 0x46523157; // "FR1W"
    static final int HEADER = 16;
    public static final int BITS_PER_PAGE = (Layout.PAGE - HEADER) * 8;
    /** 64-bit words of bits in a page (4080 bytes = 510 words exactly). */
    public static final int WORDS_PER_PAGE = (Layout.PAGE - HEADER) / 8;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    private WibPages() {
    }

    /** First bit (for one bit per chunk: first chunk) covered by page {@code page}. */
    public static int firstChunk(int page) {
        return page * BITS_PER_PAGE;
    }

    /** An unsealed page {@code page} with no bit set: magic and index filled in, checksum not yet. */
    public static byte[] blank(int page) {
        byte[] out = new byte[Layout.PAGE];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.BIG_ENDIAN);
        b.putInt(4, MAGIC);
        b.putInt(8, page);
        return out;
    }

    /** Word {@code w} (bits {@code 64w .. 64w+63} of the page, bit 0 first) of a page's bytes. */
    public static long word(byte[] page, int w) {
        return (long) LONGS.get(page, HEADER + 8 * w);
    }

    public static void setWord(byte[] page, int w, long bits) {
        LONGS.set(page, HEADER + 8 * w, bits);
    }

    /** Computes the checksum of a page built with {@link #blank} and {@link #setWord} into it; returns it. */
    public static byte[] seal(byte[] page) {
        CRC32C crc = new CRC32C();
        crc.update(page, 4, Layout.PAGE - 4);
        ByteBuffer.wrap(page).order(ByteOrder.BIG_ENDIAN).putInt(0, (int) crc.getValue());
        return page;
    }

    /** Encodes page {@code page} from the bitmap bits of {@code bits} that fall in it. */
    public static byte[] encode(int page, RoaringBitmap bits) {
        byte[] out = blank(page);
        long from = firstChunk(page);
        long to = from + BITS_PER_PAGE;
        bits.forEachInRange((int) from, (int) Math.min(Integer.MAX_VALUE, to - from), c -> {
            int bit = c - (int) from;
            out[HEADER + (bit >>> 3)] |= (byte) (1 << (bit & 7));
        });
        return seal(out);
    }

    /**
     * Adds the dirty chunks of page {@code page} to {@code into}, for one bit per chunk; a damaged page adds every
     * chunk it covers.
     *
     * @return true if the page was valid
     */
    public static boolean decodeInto(int page, byte[] in, int chunks, RoaringBitmap into) {
        return decodeInto(page, in, chunks, 0, into);
    }

    /**
     * Adds the DATA chunks that page {@code page} marks dirty to {@code into}: each set bit adds the
     * {@link Layout#chunksPerBit} chunks it covers (the last bit fewer). A damaged page adds every chunk it covers.
     *
     * @return true if the page was valid
     */
    public static boolean decodeInto(int page, byte[] in, Layout layout, RoaringBitmap into) {
        return decodeInto(page, in, layout.chunks(), layout.bitmapShift(), into);
    }

    private static boolean decodeInto(int page, byte[] in, int chunks, int shift, RoaringBitmap into) {
        long fromBit = firstChunk(page);
        long from = fromBit << shift;
        long to = Math.min(chunks, (fromBit + BITS_PER_PAGE) << shift);
        if (from >= to) {
            return in.length == Layout.PAGE && valid(page, in);
        }
        if (in.length != Layout.PAGE || !valid(page, in)) {
            into.add(from, to);
            return false;
        }
        for (int w = 0; w < WORDS_PER_PAGE; w++) {
            long v = word(in, w);
            while (v != 0) {
                int bit = Long.numberOfTrailingZeros(v);
                long first = (fromBit + 64L * w + bit) << shift;
                if (first >= to) {
                    return true;
                }
                into.add(first, Math.min(to, first + (1L << shift)));
                v &= v - 1;
            }
        }
        return true;
    }

    private static boolean valid(int page, byte[] in) {
        ByteBuffer b = ByteBuffer.wrap(in).order(ByteOrder.BIG_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(in, 4, Layout.PAGE - 4);
        return (int) crc.getValue() == b.getInt(0) && b.getInt(4) == MAGIC && b.getInt(8) == page;
    }
}
