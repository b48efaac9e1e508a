package fr1.it.crash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the crash writers were told is durable, over all iterations (epochs) of one array, and the check of an
 * image against it. For every sector: the (epoch, seq) of the last acknowledged write that covered it. A sector read
 * back must then be a whole sector of that write or of a later one of the same thread: a later one may have reached
 * the members without its acknowledgement reaching the writer, but never more than one write beyond the last
 * acknowledged one (a thread has one write in flight at a time), and always at an offset its plan gives it.
 * A sector never acknowledged may hold zeros or any planned write; garbage is wrong everywhere.
 */
public final class Ledger {

    private final long seed;
    private final int threads;
    private final int regionSectors;
    private final int[] ackEpoch;
    private final long[] ackSeq;
    /** Highest acknowledged seq per (epoch, thread). */
    private final Map<Long, Long> maxAcked = new HashMap<>();
    private final Map<Long, Blocks.Plan> plans = new HashMap<>();
    private long acknowledged;

    public Ledger(long seed, int threads, int regionSectors) {
        this.seed = seed;
        this.threads = threads;
        this.regionSectors = regionSectors;
        int sectors = threads * regionSectors;
        ackEpoch = new int[sectors];
        ackSeq = new long[sectors];
        Arrays.fill(ackEpoch, -1);
    }

    public long sectors() {
        return ackEpoch.length;
    }

    public long acknowledged() {
        return acknowledged;
    }

    /** Records the acknowledgements of one epoch's ack file; returns how many there were. */
    public long record(Path ackFile, int epoch) throws IOException {
        long n = 0;
        if (!Files.exists(ackFile)) {
            return 0;
        }
        Map<Integer, Long> expect = new HashMap<>();
        for (String line : Files.readAllLines(ackFile)) {
            String[] f = line.split(" ");
            if (f.length != 4 || !f[0].equals("A")) {
                throw new IllegalStateException(ackFile + ": bad line '" + line + "'");
            }
            int e = Integer.parseInt(f[1]);
            int t = Integer.parseInt(f[2]);
            long seq = Long.parseLong(f[3]);
            if (e != epoch) {
                throw new IllegalStateException(ackFile + ": line of epoch " + e + " in epoch " + epoch);
            }
            long want = expect.getOrDefault(t, 1L);
            if (seq != want) {
                throw new IllegalStateException(ackFile + ": thread " + t + " acknowledged " + seq + " after "
                        + (want - 1));
            }
            expect.put(t, seq + 1);
            Blocks.Extent x = plan(epoch, t).get(seq);
            for (long s = x.first(); s < x.first() + x.count(); s++) {
                ackEpoch[(int) s] = epoch;
                ackSeq[(int) s] = seq;
            }
            maxAcked.merge(key(epoch, t), seq, Math::max);
            n++;
        }
        acknowledged += n;
        return n;
    }

    /** The outcome of one check. */
    public record Report(long sectors, long ackedSectors, long newerThanAcked, long zero, long problems,
                         List<String> examples) {
        public boolean ok() {
            return problems == 0;
        }

        @Override
        public String toString() {
            return sectors + " sectors: " + ackedSectors + " acknowledged (" + newerThanAcked + " hold a newer "
                    + "unacknowledged write), " + zero + " never written; " + problems + " problems"
                    + (examples.isEmpty() ? "" : ": " + String.join("; ", examples));
        }
    }

    /** Reads the image (a file or device, from offset 0) and checks every sector against the ledger. */
    public Report check(Path image) throws IOException {
        long acked = 0;
        long newer = 0;
        long zero = 0;
        long problems = 0;
        List<String> examples = new ArrayList<>();
        int perRead = 256;
        ByteBuffer buf = ByteBuffer.allocate(perRead * Blocks.SECTOR);
        Blocks.Stamp[] stamp = new Blocks.Stamp[1];
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (long first = 0; first < ackEpoch.length; first += perRead) {
                int n = (int) Math.min(perRead, ackEpoch.length - first);
                buf.clear().limit(n * Blocks.SECTOR);
                long pos = first * Blocks.SECTOR;
                while (buf.hasRemaining()) {
                    int r = ch.read(buf, pos);
                    if (r < 0) {
                        throw new IOException(image + " ends at " + pos + ", expected " + sectors() * Blocks.SECTOR);
                    }
                    pos += r;
                }
                for (int i = 0; i < n; i++) {
                    long sector = first + i;
                    stamp[0] = null;
                    Blocks.Kind kind = Blocks.decode(buf.array(), i * Blocks.SECTOR, sector * Blocks.SECTOR, stamp);
                    String problem = judge(sector, kind, stamp[0]);
                    if (kind == Blocks.Kind.ZERO) {
                        zero++;
                    }
                    if (ackEpoch[(int) sector] >= 0) {
                        acked++;
                        if (problem == null && !(stamp[0].epoch() == ackEpoch[(int) sector]
                                && stamp[0].seq() == ackSeq[(int) sector])) {
                            newer++;
                        }
                    }
                    if (problem != null) {
                        problems++;
                        if (examples.size() < 10) {
                            examples.add("sector " + sector + " (byte " + sector * Blocks.SECTOR + "): " + problem);
                        }
                    }
                }
            }
        }
        return new Report(ackEpoch.length, acked, newer, zero, problems, examples);
    }

    private String judge(long sector, Blocks.Kind kind, Blocks.Stamp st) {
        int e = ackEpoch[(int) sector];
        long s = ackSeq[(int) sector];
        String want = e < 0 ? "nothing acknowledged" : "acknowledged epoch " + e + " seq " + s;
        int owner = (int) (sector / regionSectors);
        switch (kind) {
            case GARBAGE:
                return "neither zeros nor a whole written sector (" + want + ")";
            case ZERO:
                return e < 0 ? null : "zeros, but " + want;
            default:
                break;
        }
        if (st.thread() != owner || st.thread() < 0 || st.thread() >= threads) {
            return "written by thread " + st.thread() + " but belongs to thread " + owner;
        }
        if (e >= 0 && !st.notOlderThan(e, s)) {
            return "holds epoch " + st.epoch() + " seq " + st.seq() + ", older than " + want;
        }
        long limit = maxAcked.getOrDefault(key(st.epoch(), st.thread()), 0L) + 1;
        if (st.seq() < 1 || st.seq() > limit) {
            return "holds epoch " + st.epoch() + " seq " + st.seq() + ", but thread " + st.thread()
                    + " never had more than seq " + limit + " in flight";
        }
        Blocks.Extent x = plan(st.epoch(), st.thread()).get(st.seq());
        if (!x.covers(sector) || x.first() != st.writeFirst() || x.count() != st.writeCount()) {
            return "holds epoch " + st.epoch() + " seq " + st.seq() + " whose planned extent " + x
                    + " does not match its header or this sector";
        }
        return null;
    }

    private Blocks.Plan plan(int epoch, int thread) {
        return plans.computeIfAbsent(key(epoch, thread),
                k -> new Blocks.Plan(seed, epoch, thread, (long) thread * regionSectors, regionSectors));
    }

    private static long key(int epoch, int thread) {
        return ((long) epoch << 32) | thread;
    }
}
