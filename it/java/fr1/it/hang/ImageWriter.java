package fr1.it.hang;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The load of the hung-member test: one thread writing 4 KiB blocks of seeded content straight to the image through
 * a FileChannel, each followed by an fsync ({@code force(false)}), with a short pause between. Write {@code n} goes
 * to chunk {@code n mod chunks} (page {@code (n / chunks) mod pagesPerChunk} of it), so every write touches a new
 * chunk and the set of chunks written in any time window is known exactly. It keeps a ledger of every acknowledged
 * write (offset, start and end time) and the latency of the slowest one, counting a write still in flight.
 */
public final class ImageWriter {

    public static final int BLOCK = 4096;

    /** One acknowledged write+fsync: its chunk, its offset, when it started and when the fsync returned. */
    public record Op(long n, long chunk, long offset, long startNanos, long endNanos) {
    }

    private final Path image;
    private final long chunks;
    private final int chunkSize;
    private final long seed;
    private final long pauseMillis;
    private final List<Op> ledger = new ArrayList<>();
    private final Map<Long, Long> lastAt = new HashMap<>();
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private volatile boolean stop;
    private volatile long inflightStart;
    private volatile long inflightN = -1;
    /** When the write in flight returned (its fsync runs), or 0. */
    private volatile long inflightWritten;
    /** The slowest acknowledged op, split. */
    private volatile String slowest = "none";
    private volatile long maxLatency;
    private volatile long acked;
    private Thread thread;

    public ImageWriter(Path image, long imageSize, int chunkSize, long seed, long pauseMillis) {
        if (chunkSize % BLOCK != 0) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a multiple of " + BLOCK);
        }
        this.image = image;
        this.chunks = imageSize / chunkSize;
        this.chunkSize = chunkSize;
        this.seed = seed;
        this.pauseMillis = pauseMillis;
    }

    public ImageWriter start() {
        thread = Thread.ofPlatform().daemon().name("hang-writer").start(this::loop);
        return this;
    }

    private long chunkOf(long n) {
        return n % chunks;
    }

    private long offsetOf(long n) {
        long page = (n / chunks) % (chunkSize / BLOCK);
        return chunkOf(n) * chunkSize + page * BLOCK;
    }

    private byte[] content(long n) {
        byte[] b = new byte[BLOCK];
        new SplittableRandom(seed ^ (n * 0x9E3779B97F4A7C15L)).nextBytes(b);
        ByteBuffer.wrap(b).putLong(n).putLong(offsetOf(n));
        return b;
    }

    private void loop() {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (long n = 0; !stop; n++) {
                long off = offsetOf(n);
                ByteBuffer buf = ByteBuffer.wrap(content(n));
                inflightN = n;
                long t0 = System.nanoTime();
                inflightStart = t0;
                while (buf.hasRemaining()) {
                    ch.write(buf, off + buf.position());
                }
                long tw = System.nanoTime();
                inflightWritten = tw;
                ch.force(false);
                long t1 = System.nanoTime();
                inflightStart = 0;
                inflightWritten = 0;
                if (t1 - t0 > maxLatency) {
                    slowest = "write " + (tw - t0) / 1_000_000 + " ms + fsync " + (t1 - tw) / 1_000_000 + " ms";
                }
                synchronized (this) {
                    ledger.add(new Op(n, chunkOf(n), off, t0, t1));
                    lastAt.put(off, n);
                }
                maxLatency = Math.max(maxLatency, t1 - t0);
                acked = n + 1;
                if (pauseMillis > 0) {
                    Thread.sleep(pauseMillis);
                }
            }
        } catch (Throwable t) {
            error.compareAndSet(null, t);
        } finally {
            inflightStart = 0;
        }
    }

    /** Writes acknowledged (written and fsync'ed) so far. */
    public long acked() {
        return acked;
    }

    /** The slowest write+fsync so far, in ms, counting the one in flight for as long as it has been. */
    public long worstLatencyMillis() {
        long s = inflightStart;
        long inflight = s == 0 ? 0 : System.nanoTime() - s;
        return Math.max(maxLatency, inflight) / 1_000_000;
    }

    /** The slowest write+fsync, split into its two calls; or the one in flight, if it is slower. */
    public String slowest() {
        long s0 = inflightStart;
        long w = inflightWritten;
        long now = System.nanoTime();
        if (s0 != 0 && now - s0 > maxLatency) {
            return w == 0 ? "write in flight for " + (now - s0) / 1_000_000 + " ms"
                    : "write " + (w - s0) / 1_000_000 + " ms + fsync in flight for " + (now - w) / 1_000_000 + " ms";
        }
        return slowest;
    }

    /** How long the write in flight has been waiting (ms), or 0. */
    public long inflightMillis() {
        long s = inflightStart;
        return s == 0 ? 0 : (System.nanoTime() - s) / 1_000_000;
    }

    public void assertNoError(String when) {
        Throwable t = error.get();
        if (t != null) {
            throw new AssertionError("the writer saw an error " + when + " (after " + acked + " writes): " + t, t);
        }
        if (thread != null && !thread.isAlive() && !stop) {
            throw new AssertionError("the writer stopped by itself " + when);
        }
    }

    /** Waits for {@code more} further acknowledged writes; fails after {@code millis}. */
    public void awaitProgress(long more, long millis, String when) throws InterruptedException {
        long target = acked + more;
        long end = System.nanoTime() + millis * 1_000_000;
        while (acked < target) {
            assertNoError(when);
            if (System.nanoTime() > end) {
                throw new AssertionError("the writer made no progress " + when + ": " + acked + " writes, wanted "
                        + target + " within " + millis + " ms (one write in flight for " + inflightMillis() + " ms)");
            }
            Thread.sleep(10);
        }
        assertNoError(when);
    }

    /** Stops the thread; false if it is still stuck in a write after {@code millis}. */
    public boolean stop(long millis) throws InterruptedException {
        stop = true;
        if (thread != null) {
            thread.join(millis);
            return !thread.isAlive();
        }
        return true;
    }

    /**
     * Distinct chunks of the writes that started within [from, to], acknowledged or not (the one in flight, and one
     * that failed, included).
     */
    public synchronized Set<Long> chunksStartedWithin(long fromNanos, long toNanos) {
        Set<Long> s = new HashSet<>();
        for (Op op : ledger) {
            if (op.startNanos() >= fromNanos && op.startNanos() <= toNanos) {
                s.add(op.chunk());
            }
        }
        long start = inflightStart;
        long n = inflightN;
        if (start != 0 && n >= 0 && start >= fromNanos && start <= toNanos) {
            s.add(chunkOf(n));
        }
        return s;
    }

    /**
     * Where the chunks of a missed set come from, for messages: how many the writer never wrote, how many it last
     * wrote (started writing) before {@code beforeNanos}, and the oldest of those relative to it.
     */
    public synchronized String explainMissed(Set<Long> missed, long beforeNanos) {
        Map<Long, Long> lastStart = new HashMap<>();
        for (Op op : ledger) {
            lastStart.merge(op.chunk(), op.startNanos(), Math::max);
        }
        long never = 0;
        long older = 0;
        long oldest = 0;
        for (long c : missed) {
            Long t = lastStart.get(c);
            if (t == null) {
                never++;
            } else if (t < beforeNanos) {
                older++;
                oldest = Math.max(oldest, beforeNanos - t);
            }
        }
        return missed.size() + " chunks missed: " + never + " never written by the writer, " + older
                + " last written before the at-risk window" + (older > 0 ? " (up to " + oldest / 1_000_000
                + " ms before it; each was fsync'ed)" : "");
    }

    /** Distinct chunks of the writes that both started and were acknowledged within [from, to]. */
    public synchronized Set<Long> chunksWrittenWithin(long fromNanos, long toNanos) {
        Set<Long> s = new HashSet<>();
        for (Op op : ledger) {
            if (op.startNanos() >= fromNanos && op.endNanos() <= toNanos) {
                s.add(op.chunk());
            }
        }
        return s;
    }

    /** Reads back, through {@code path} (the image), the last acknowledged content of every block written. */
    public int verify(Path path, String when) throws IOException {
        Map<Long, Long> copy;
        synchronized (this) {
            copy = new HashMap<>(lastAt);
        }
        if (copy.isEmpty()) {
            throw new AssertionError("the writer acknowledged no write " + when);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(BLOCK);
            for (Map.Entry<Long, Long> e : copy.entrySet()) {
                buf.clear();
                while (buf.hasRemaining() && ch.read(buf, e.getKey() + buf.position()) >= 0) {
                    // until the block is in
                }
                if (!Arrays.equals(buf.array(), content(e.getValue()))) {
                    throw new AssertionError("block at offset " + e.getKey() + " does not hold write #" + e.getValue()
                            + " (acknowledged) " + when);
                }
            }
        }
        return copy.size();
    }
}
