package fr1.it.crash;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * What the crash writer writes, and how to recognise it afterwards. Every write is a run of whole 4 KiB sectors,
 * and every sector of it carries a self-describing, checksummed header: the sector's own offset, the epoch (one
 * crash iteration), the writer thread, the write's sequence number in that thread and the write's extent. The rest
 * of the sector is filler derived from those values, covered by a CRC32C in the last 4 bytes. So a sector read back
 * tells exactly which write put it there, and whether it is whole.
 *
 * <p>Which writes a thread issues is a pure function of (seed, epoch, thread): {@link Plan} replays it, so the
 * verifier knows every extent without the writer having to log intents. Thread {@code t} only ever writes inside
 * its own region, so writes of different threads never overlap and per-sector order is the thread's order.
 */
public final class Blocks {

    public static final int SECTOR = 4096;
    public static final int MAX_SECTORS = 256; // 1 MiB
    static final long MAGIC = 0x4652314352415348L; // "FR1CRASH"
    private static final int CRC_AT = SECTOR - 4;
    private static final int FILL_FROM = 48;

    private Blocks() {
    }

    /** One write: sectors {@code [first, first + count)} of the device. */
    public record Extent(long first, int count) {
        public boolean covers(long sector) {
            return sector >= first && sector < first + count;
        }
    }

    /** A decoded sector header. */
    public record Stamp(int epoch, int thread, long seq, long writeFirst, int writeCount) {
        /** Orders stamps of one thread: by epoch, then by sequence number. */
        public boolean notOlderThan(int e, long s) {
            return epoch > e || (epoch == e && seq >= s);
        }
    }

    /** The writes thread {@code thread} of {@code epoch} issues, in order; seq 1 is the first. */
    public static final class Plan {
        private final Random rnd;
        private final long regionFirst;
        private final int regionSectors;
        private final List<Extent> made = new ArrayList<>();

        public Plan(long seed, int epoch, int thread, long regionFirst, int regionSectors) {
            this.rnd = new Random(seed * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + thread);
            this.regionFirst = regionFirst;
            this.regionSectors = regionSectors;
        }

        /** The extent of write {@code seq} (1-based). */
        public synchronized Extent get(long seq) {
            if (seq < 1 || seq > 10_000_000) {
                throw new IllegalArgumentException("seq " + seq);
            }
            while (made.size() < seq) {
                int r = rnd.nextInt(100);
                int count = r < 50 ? 1 + rnd.nextInt(16) : r < 85 ? 16 + rnd.nextInt(49) : 64 + rnd.nextInt(193);
                count = Math.min(count, regionSectors);
                long first = regionFirst + rnd.nextInt(regionSectors - count + 1);
                made.add(new Extent(first, count));
            }
            return made.get((int) seq - 1);
        }
    }

    /** Fills {@code buf} (position 0, whole sectors) with the content of write {@code seq} at {@code e}. */
    public static void fill(ByteBuffer buf, int epoch, int thread, long seq, Extent e) {
        buf.clear().order(ByteOrder.BIG_ENDIAN);
        byte[] sector = new byte[SECTOR];
        ByteBuffer s = ByteBuffer.wrap(sector).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < e.count(); i++) {
            long at = (e.first() + i) * SECTOR;
            s.clear();
            s.putLong(MAGIC).putLong(at).putInt(epoch).putInt(thread).putLong(seq).putLong(e.first() * SECTOR)
                    .putInt(e.count());
            long x = at * 31 + seq * 0x2545F4914F6CDD1DL + ((long) epoch << 40) + thread + 1;
            for (int p = FILL_FROM; p < CRC_AT; p += 4) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                s.putInt(p, (int) x);
            }
            CRC32C crc = new CRC32C();
            crc.update(sector, 0, CRC_AT);
            s.putInt(CRC_AT, (int) crc.getValue());
            buf.put(sector);
        }
        buf.flip();
    }

    /** What a sector read back holds. */
    public enum Kind { ZERO, VALID, GARBAGE }

    /**
     * Classifies {@code sector} (4096 bytes) read from byte offset {@code at}: all zero, a whole sector written by
     * the crash writer at this very offset ({@code stamp[0]} is set), or anything else.
     */
    public static Kind decode(byte[] sector, int from, long at, Stamp[] stamp) {
        ByteBuffer b = ByteBuffer.wrap(sector, from, SECTOR).slice().order(ByteOrder.BIG_ENDIAN);
        if (b.getLong(0) != MAGIC) {
            for (int i = 0; i < SECTOR; i += 8) {
                if (b.getLong(i) != 0) {
                    return Kind.GARBAGE;
                }
            }
            return Kind.ZERO;
        }
        CRC32C crc = new CRC32C();
        crc.update(sector, from, CRC_AT);
        if ((int) crc.getValue() != b.getInt(CRC_AT) || b.getLong(8) != at) {
            return Kind.GARBAGE;
        }
        long writeAt = b.getLong(32);
        stamp[0] = new Stamp(b.getInt(16), b.getInt(20), b.getLong(24), writeAt / SECTOR, b.getInt(40));
        return Kind.VALID;
    }
}
