package fr1.engine;

import fr1.io.Storage;
import fr1.meta.MetaStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.roaringbitmap.RoaringBitmap;

/**
 * One member slot of the array at run time. Its I/O runs on its own bounded pool of platform threads, so a call
 * stuck in the kernel (NFS, SSHFS, a paused nbd) holds only this member's threads, never a caller's: callers wait
 * with a deadline and fail the member when it passes.
 */
final class Member {

    final int index;
    final UUID uuid;

    // Guarded by Mirror.stateLock.
    Path path;
    MemberState state;
    RoaringBitmap missed = new RoaringBitmap();
    long lastEvents;
    UUID generation;
    long prevEvents;
    UUID prevGeneration;
    long lastResyncChunks;
    String reason;
    int flags;
    Storage storage;
    MetaStore meta;
    ExecutorService io;
    /** Identity (device, inode) of the path when it was opened: a path that later names another file is failed. */
    Object fileKey;
    /** Failed by the operator or an agent ("down"): the prober leaves it alone until add or up. */
    boolean manual;
    /** When the prober may look at it next, and the back-off after that. */
    long nextProbeNanos;
    long probeBackoffNanos;
    /** The probe running now, if any: never more than one per member, so a hung path holds one thread. */
    Future<?> probing;
    long lastProbeLogNanos;
    /** The path check running now (housekeeper thread only), and when it started. */
    Future<Object> pathCheck;
    long pathCheckStarted;

    /** Write-behind (async mode): may lag; its writes are queued, in order per chunk stripe. Guarded by stateLock. */
    boolean writeBehind;
    /** Bounds the writes queued to it (write-behind-max). */
    java.util.concurrent.Semaphore behindPermits;
    /** Writes queued to it per chunk stripe: a stripe with any is never read from this member. */
    java.util.concurrent.atomic.AtomicIntegerArray behindStripes;
    /** The last queued write per stripe: the next one to an overlapping range runs after it. */
    final java.util.concurrent.ConcurrentHashMap<Integer, java.util.concurrent.CompletableFuture<Void>> tails =
            new java.util.concurrent.ConcurrentHashMap<>();
    final AtomicInteger lag = new AtomicInteger();
    /** Bitmap page writes queued to a write-behind member, in order. Guarded by Mirror.stateLock. */
    java.util.concurrent.CompletableFuture<Void> wibTail = java.util.concurrent.CompletableFuture.completedFuture(null);
    /** Recent I/O latency (exponentially weighted), for choosing where to read. */
    private volatile double latencyNanos;

    void observe(long nanos) {
        double l = latencyNanos;
        latencyNanos = l == 0 ? nanos : l * 0.9 + nanos * 0.1;
    }

    double latencyNanos() {
        return latencyNanos;
    }

    Member(int index, UUID uuid) {
        this.index = index;
        this.uuid = uuid;
        this.behindStripes = new java.util.concurrent.atomic.AtomicIntegerArray(4096);
        this.behindPermits = new java.util.concurrent.Semaphore(256);
    }

    /** Gives the member a freshly opened storage and a new I/O pool (the old pool may hold stuck threads). */
    void attach(Storage storage, MetaStore meta, int threads) {
        detach();
        this.fileKey = fileKey(path);
        this.storage = storage;
        this.meta = meta;
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

    /** The (device, inode) of a path, or null if it cannot be read. */
    static Object fileKey(Path p) {
        if (p == null) {
            return null;
        }
        try {
            return java.nio.file.Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Pools of earlier incarnations that may still run a call (stuck in the kernel, or queued write-behind writes).
     * The member is not re-added until they are done: a stale write landing after a resync would undo it.
     */
    private final java.util.List<ExecutorService> retired = new java.util.concurrent.CopyOnWriteArrayList<>();

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

    /** Drops the storage: no new I/O; calls stuck in the kernel finish (or not) on their own threads. */
    void detach() {
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

    /** Submits a call to this member's pool; a member without storage fails at once. */
    <T> Future<T> submit(ExecutorService pool, Callable<T> call) throws IOException {
        if (pool == null) {
            throw new IOException("member " + index + " is not attached");
        }
        try {
            return pool.submit(call);
        } catch (RejectedExecutionException e) {
            throw new IOException("member " + index + " is shutting down");
        }
    }

    /** Waits for a submitted call until the deadline; an error or a missed deadline is an IOException. */
    static <T> T await(Future<T> f, long deadlineNanos, int index) throws IOException {
        try {
            long left = deadlineNanos - System.nanoTime();
            return f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new MemberTimeoutException("member " + index + " did not answer in time");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException("member " + index + ": " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for member " + index);
        }
    }

    static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    String describe() {
        return "member " + index + " (" + path + ")";
    }
}
