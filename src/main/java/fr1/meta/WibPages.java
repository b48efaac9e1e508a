package fr1.meta;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.roaringbitmap.RoaringBitmap;

/**
 * The write-intent bitmap on disk: 4 KiB pages, each with its own CRC32C, updated in place. A page whose checksum
 * fails (torn by a power cut, damaged) is read as "every chunk it covers is dirty": always safe, never trusted.
 * Byte layout in docs/FORMAT.md.
 */
public final class WibPages {

    static final int MAGIC = 0x46523157; // "FR1W"
    static final int HEADER = 16;
    public static final int BITS_PER_PAGE = (Layout.PAGE - HEADER) * 8;

    private WibPages() {
    }

    /** First chunk covered by page {@code page}. */
    public static int firstChunk(int page) {
        return page * BITS_PER_PAGE;
    }

    /** Encodes page {@code page} from the bits of {@code dirty} that fall in it. */
    public static byte[] encode(int page, RoaringBitmap dirty) {
        byte[] out = new byte[Layout.PAGE];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.BIG_ENDIAN);
        b.putInt(4, MAGIC);
        b.putInt(8, page);
        long from = firstChunk(page);
        long to = from + BITS_PER_PAGE;
        dirty.forEachInRange((int) from, (int) Math.min(Integer.MAX_VALUE, to - from), c -> {
            int bit = c - (int) from;
            out[HEADER + (bit >>> 3)] |= (byte) (1 << (bit & 7));
        });
        CRC32C crc = new CRC32C();
        crc.update(out, 4, Layout.PAGE - 4);
        b.putInt(0, (int) crc.getValue());
        return out;
    }

    /**
     * Adds the dirty chunks of page {@code page} to {@code into}; a damaged page adds every chunk it covers.
     *
     * @return true if the page was valid
     */
    public static boolean decodeInto(int page, byte[] in, int chunks, RoaringBitmap into) {
        ByteBuffer b = ByteBuffer.wrap(in).order(ByteOrder.BIG_ENDIAN);
        long from = firstChunk(page);
        long to = Math.min(chunks, from + BITS_PER_PAGE);
        if (in.length != Layout.PAGE) {
            into.add(from, to);
            return false;
        }
        CRC32C crc = new CRC32C();
        crc.update(in, 4, Layout.PAGE - 4);
        if ((int) crc.getValue() != b.getInt(0) || b.getInt(4) != MAGIC || b.getInt(8) != page) {
            into.add(from, to);
            return false;
        }
        for (int i = 0; i < (Layout.PAGE - HEADER); i++) {
            int v = in[HEADER + i] & 0xff;
            while (v != 0) {
                int bit = Integer.numberOfTrailingZeros(v);
                long c = from + i * 8L + bit;
                if (c < to) {
                    into.add((int) c);
                }
                v &= v - 1;
            }
        }
        return true;
    }
}
