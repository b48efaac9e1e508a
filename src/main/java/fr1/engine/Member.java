package fr1.engine;

import fr1.io.Storage;
import fr1.meta.MetaStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.roaringbitmap.RoaringBitmap;

/**
 * One member slot of the array: its record (state, missed set, metadata pair) and, while attached, its storage and
 * I/O pool. Its I/O runs on its own bounded pool of platform threads, so a call stuck in the kernel (NFS, SSHFS, a
 * paused nbd) holds only this member's threads; callers wait with a deadline and fail the member when it passes.
 *
 * <p>The record fields are part of the member table: they are read and written only under {@link Members}'s lock
 * (the table publishes them to the I/O paths as an immutable {@link Topology}). What the member owns itself:
 * its latency estimate (volatile), its epoch (volatile) and its {@link Unflushed} set (its own lock).
 */
final class Member {

    final int index;
    final UUID uuid;

    // ---- guarded by Members.lock (path is also volatile: events and logs read it without the lock)
    volatile Path path;
    /** The path the metadata last knew it by (shown while {@link #path} is null), or null. */
    volatile String lastKnownPath;
    /** The path canonicalised (links resolved) when the member was attached or assembled: commands naming it by
     *  path are matched against this, never by touching the member's file system again. */
    Path canonical;
    /** Identity (device, inode) of the path when it was attached: a path that later names another file is failed. */
    Object fileKey;
    /** On a local file system: calls may run on the caller's thread. */
    boolean local;
    MemberState state;
    String reason;
    RoaringBitmap missed = new RoaringBitmap();
    /** Chunks of calls that failed on it while its failure was still being handled: missed once it is faulty. */
    RoaringBitmap pendingMissed = new RoaringBitmap();
    long lastEvents;
    UUID generation;
    long prevEvents;
    UUID prevGeneration;
    long lastResyncChunks;
    int flags;
    Storage storage;
    MetaStore meta;
    ExecutorService io;
    /** Failed by the operator or an agent ("down"): the prober leaves it alone until add or up. */
    boolean manual;
    /** Async mode: it may lag; its writes are queued ({@link WriteBehind}). */
    boolean writeBehind;

    // ---- owned by the member
    /** Increases on every detach: a call that started on an earlier incarnation is told apart. */
    private volatile int epoch;
    /** Chunks written to it whose force has not succeeded yet: what it may lose if it fails now. */
    final Unflushed unflushed;
    /** Async mode: what it lacks beyond its write-behind queue, and its pull-ahead mode. */
    final Lagging lagging;
    /** Data I/O counters for monitoring (FanOut and WriteBehind count into them). */
    final IoStats ioStats = new IoStats();
    /** Recent I/O latency (exponentially weighted), for choosing where to read and what to call inline. */
    private volatile double latencyNanos;
    private volatile double writeLatencyNanos;
    /**
     * Pools of earlier incarnations that may still run a call (stuck in the kernel). The member is not re-added
     * until they are done: a stale write landing after a resync would undo it.
     */
    private final List<ExecutorService> retired = new CopyOnWriteArrayList<>();

    Member(int index, UUID uuid, int chunks) {
        this.index = index;
        this.uuid = uuid;
        this.unflushed = new Unflushed(chunks);
        this.lagging = new Lagging(chunks);
    }

    int epoch() {
        return epoch;
    }

    void observe(long nanos) {
        double l = latencyNanos;
        latencyNanos = l == 0 ? nanos : l * 0.9 + nanos * 0.1;
    }

    /** A write took {@code nanos}: also feeds the write-only estimate (copies size their runs by it). */
    void observeWrite(long nanos) {
        observe(nanos);
        double w = writeLatencyNanos;
        writeLatencyNanos = w == 0 ? nanos : w * 0.9 + nanos * 0.1;
    }

    /**
     * Recent write latency alone: what one write call to it costs. Reads (page-cache hits on a slow member) would
     * pull the shared estimate down and make a copy send many small writes where one large one costs the same.
     */
    double writeLatencyNanos() {
        return writeLatencyNanos;
    }

    double latencyNanos() {
        return latencyNanos;
    }

    /**
     * Gives the member freshly opened storage and a new I/O pool (the old pool may hold stuck threads). The path's
     * identity was read by the caller off every lock ({@link PathFacts}). Caller holds Members.lock.
     */
    void attach(Storage storage, MetaStore meta, int threads, PathFacts facts) {
        detach();
        if (facts != null) {
            this.canonical = facts.canonical();
            this.fileKey = facts.fileKey();
        }
        this.local = storage.local();
        this.storage = storage;
        this.meta = meta;
        this.unflushed.clear();
        this.pendingMissed = new RoaringBitmap();
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "fr1-m" + index + "-io-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        this.io = pool;
    }

    /** Drops the storage: no new I/O; calls stuck in the kernel finish (or not) on their own threads. */
    void detach() {
        epoch++;
        if (io != null) {
            io.shutdown();
            retired.add(io);
            io = null;
        }
        if (storage != null) {
            Storage s = storage;
            storage = null;
            meta = null;
            // Closing may itself hang on a dead mount: do it off the caller's thread.
            Thread.ofPlatform().daemon().name("fr1-m" + index + "-close").start(() -> {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // The member is already failed or removed; nothing more to tell.
                }
            });
        }
    }

    /** True if no call from before the last failure can still reach the member. */
    boolean quiesced() {
        retired.removeIf(ExecutorService::isTerminated);
        return retired.isEmpty();
    }

    /** Waits up to {@code timeout} for {@link #quiesced()}. */
    boolean awaitQuiesced(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        for (ExecutorService pool : retired) {
            long left = end - System.nanoTime();
            if (left <= 0 || !pool.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                return quiesced();
            }
        }
        return quiesced();
    }

    String describe() {
        return "member " + index + " (" + path + ")";
    }
}
