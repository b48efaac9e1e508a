package fr1.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Async mode's write-behind queues: a write to a write-behind member is queued and the caller goes on. Per member,
 * a write runs after every earlier queued write to an overlapping chunk stripe (so the member ends with the newest
 * data) and disjoint writes run in parallel. A queue holds at most write-behind-max writes and {@link #maxBytes}
 * bytes (the high-water mark): past it {@link #tryQueue} refuses, and the write path records the write for the
 * member instead ({@link Lagging}: pull-ahead), so no writer ever waits for a write-behind member. A stripe with
 * writes queued to a member is never read from that member, and the bitmap sweeper keeps its chunks' bits set.
 *
 * <p>Owns its state; lock-free apart from {@link #drained}, a monitor for {@link #drain} (a leaf in the lock order).
 */
final class WriteBehind {

    /** Called when a queued write failed or missed its deadline: the member must be failed (off this thread). */
    @FunctionalInterface
    interface FailureSink {
        void failed(Topology.Slot slot, String why, int first, int last);
    }

    /** One member's queue. */
    private static final class Queue {
        final AtomicIntegerArray perStripe;
        final ConcurrentHashMap<Integer, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
        final AtomicInteger lag = new AtomicInteger();
        final AtomicLong bytes = new AtomicLong();
        /** When each queued write was queued (the oldest is the queue's part of the recovery point). */
        final ConcurrentHashMap<CompletableFuture<Void>, Long> since = new ConcurrentHashMap<>();

        Queue(int stripes) {
            perStripe = new AtomicIntegerArray(stripes);
        }
    }

    /** Bytes queued per member at most (with {@link #max} writes, the high-water mark). */
    static final long DEFAULT_MAX_BYTES = 64L << 20;

    private final int stripes;
    private final Queue[] queues;
    /** Queued writes per stripe over all members. */
    private final AtomicIntegerArray all;
    private final Object drained = new Object();
    private final long deadlineNanos;
    private final FailureSink failures;
    private final Members members;
    private final int max;
    private final long maxBytes;
    private final Clock clock;

    WriteBehind(int maxMembers, int stripes, int max, long maxBytes, long ioTimeoutNanos, Members members,
                Clock clock, FailureSink failures) {
        this.stripes = stripes;
        this.queues = new Queue[maxMembers];
        for (int i = 0; i < maxMembers; i++) {
            queues[i] = new Queue(stripes);
        }
        this.max = Math.max(1, max);
        this.maxBytes = Math.max(1, maxBytes);
        this.clock = clock;
        this.all = new AtomicIntegerArray(stripes);
        this.deadlineNanos = ioTimeoutNanos * 2;
        this.members = members;
        this.failures = failures;
    }

    /**
     * Queues a write to {@code slot}'s member and returns at once, or returns null if its queue is at the
     * high-water mark (the caller records the write for the member instead). The data is copied: the caller's
     * buffer is reused after the ack. Returns the write's completion.
     */
    CompletableFuture<Void> tryQueue(Topology.Slot slot, ByteBuffer data, long offset, int first, int last) {
        Member m = slot.member();
        if (slot.io() == null || slot.storage() == null) {
            return CompletableFuture.failedFuture(new IOException("member " + m.index + " is not attached"));
        }
        Queue q = queues[m.index];
        int len = data.remaining();
        if (q.lag.get() >= max || q.bytes.get() + len > maxBytes && q.lag.get() > 0) {
            return null;
        }
        ByteBuffer copy = ByteBuffer.allocateDirect(len);
        copy.put(data).flip();
        int[] st = stripesOf(first, last);
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture<?>[] before = new CompletableFuture<?>[st.length];
        for (int i = 0; i < st.length; i++) {
            q.perStripe.incrementAndGet(st[i]);
            all.incrementAndGet(st[i]);
            CompletableFuture<Void> prev = q.tails.put(st[i], done);
            before[i] = prev == null ? CompletableFuture.completedFuture(null) : prev.exceptionally(t -> null);
        }
        q.lag.incrementAndGet();
        q.bytes.addAndGet(len);
        q.since.put(done, clock.nanoTime());
        long started = System.nanoTime();
        CompletableFuture.allOf(before).thenRunAsync(() -> {
            long t0 = System.nanoTime();
            try {
                slot.storage().writeFully(copy, offset);
                m.observeWrite(m.ioStats.written(copy.limit(), System.nanoTime() - t0));
                members.noteWritten(slot, first, last);
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        }, slot.io()).exceptionally(t -> {
            done.completeExceptionally(t);
            return null;
        });
        // Completion handling runs on whichever thread completes the write (a member I/O thread, or the caller if
        // the pool refused): never on the JDK's shared timer thread, and it never blocks (failures are queued).
        done.orTimeout(deadlineNanos, TimeUnit.NANOSECONDS).whenComplete((v, t) -> {
            for (int s : st) {
                q.tails.remove(s, done);
                q.perStripe.decrementAndGet(s);
                all.decrementAndGet(s);
            }
            q.lag.decrementAndGet();
            q.bytes.addAndGet(-len);
            q.since.remove(done);
            synchronized (drained) {
                drained.notifyAll();
            }
            if (t != null) {
                Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
                        ? t.getCause() : t;
                String why = c instanceof TimeoutException
                        ? "member " + m.index + " did not answer in time (queued " + (System.nanoTime() - started)
                                / 1_000_000 + " ms)"
                        : Mirror.reason(c);
                failures.failed(slot, "write-behind: " + why, first, last);
            }
        });
        return done;
    }

    /** Writes queued to member {@code index} and not yet on it. */
    int lag(int index) {
        return queues[index].lag.get();
    }

    /** Bytes queued to member {@code index}. */
    long bytes(int index) {
        return queues[index].bytes.get();
    }

    /** When the oldest write queued to member {@code index} was queued ({@link Clock#nanoTime}), or MAX_VALUE. */
    long oldestNanos(int index) {
        long min = Long.MAX_VALUE;
        for (long t : queues[index].since.values()) {
            min = Math.min(min, t);
        }
        return min;
    }

    /** At most this many writes queued to member {@code index}: below the low-water mark. */
    boolean below(int index, int writes) {
        return queues[index].lag.get() <= writes;
    }

    /**
     * Waits until the writes queued to member {@code index} on the stripes of chunks first..last when called have
     * reached it (the caller holds those stripes, so no new one is queued), up to {@code timeoutNanos}. False if
     * one failed or did not end in time (the member is being failed).
     */
    boolean awaitQueued(int index, int first, int last, long timeoutNanos) {
        Queue q = queues[index];
        if (q.lag.get() == 0) {
            return true;
        }
        long end = System.nanoTime() + timeoutNanos;
        for (int s : stripesOf(first, last)) {
            CompletableFuture<Void> tail = q.tails.get(s);
            if (tail == null) {
                continue;
            }
            try {
                tail.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                return false;
            }
        }
        return true;
    }

    /** True if member {@code index} has a write queued to any stripe of chunks first..last. */
    boolean laggingOn(int index, int first, int last) {
        Queue q = queues[index];
        if (q.lag.get() == 0) {
            return false;
        }
        long span = (long) last - first + 1;
        if (span >= stripes) {
            return true;
        }
        for (long c = first; c <= last; c++) {
            if (q.perStripe.get((int) (c % stripes)) > 0) {
                return true;
            }
        }
        return false;
    }

    /** True if any member has a write queued to the stripe of chunk {@code c}. */
    boolean queuedOn(int c) {
        return all.get(c % stripes) > 0;
    }

    /** Waits until nothing is queued to member {@code index} (or any member, if -1), up to the deadline. */
    void drain(int index, long timeoutNanos) {
        long end = System.nanoTime() + timeoutNanos;
        synchronized (drained) {
            while (true) {
                int queued = 0;
                for (int i = 0; i < queues.length; i++) {
                    if (index < 0 || i == index) {
                        queued += queues[i].lag.get();
                    }
                }
                long left = end - System.nanoTime();
                if (queued == 0 || left <= 0) {
                    return;
                }
                try {
                    drained.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The distinct stripes of chunks first..last, ascending. */
    private int[] stripesOf(int first, int last) {
        long span = (long) last - first + 1;
        if (span >= stripes) {
            int[] s = new int[stripes];
            Arrays.setAll(s, i -> i);
            return s;
        }
        int[] s = new int[(int) span];
        for (int i = 0; i < span; i++) {
            s[i] = (first + i) % stripes;
        }
        Arrays.sort(s);
        return s;
    }
}
