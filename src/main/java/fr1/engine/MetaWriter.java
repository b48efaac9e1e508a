package fr1.engine;

import fr1.meta.Layout;
import fr1.meta.MetaStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the metadata: superblocks (the member table, after every state change) and write-intent bitmap pages.
 * Superblock writes are serialised by {@link #persistLock} (each member's store alternates slots, which is not
 * safe from two writers); it is held across the writes, each bounded by io-timeout, and taken before the member
 * table's lock, never after. Failure handling that must not block its caller runs on this class's own thread
 * ("fr1-meta"), never on a JDK shared pool.
 */
final class MetaWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetaWriter.class);

    private final UUID arrayUuid;
    private final Layout layout;
    private final Members members;
    private final FanOut fanOut;
    private final boolean async;
    private final ReentrantLock persistLock = new ReentrantLock();
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("fr1-meta").unstarted(r));
    /** Bitmap page writes queued to write-behind members, in order, per member index. Guarded by itself. */
    private final CompletableFuture<?>[] wibTails = new CompletableFuture<?>[Mirror.MAX_MEMBERS];
    private Failures failures;

    MetaWriter(UUID arrayUuid, Layout layout, Members members, FanOut fanOut, boolean async) {
        this.arrayUuid = arrayUuid;
        this.layout = layout;
        this.members = members;
        this.fanOut = fanOut;
        this.async = async;
        for (int i = 0; i < wibTails.length; i++) {
            wibTails[i] = CompletableFuture.completedFuture(null);
        }
    }

    void setFailures(Failures f) {
        this.failures = f;
    }

    /** Runs a task on the metadata thread. */
    <T> CompletableFuture<T> submit(java.util.function.Supplier<T> task) {
        try {
            return CompletableFuture.supplyAsync(task, thread);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closing: run it here rather than lose a failure.
            return CompletableFuture.completedFuture(task.get());
        }
    }

    /** Writes the current state to the superblock of every member that takes writes. */
    void persist() {
        persistLock.lock();
        try {
            for (int round = 0; round < Mirror.MAX_MEMBERS + 1; round++) {
                Members.PersistPlan plan = members.plan(arrayUuid, layout);
                int n = plan.targets().size();
                Topology.Slot[] slots = plan.targets().toArray(new Topology.Slot[0]);
                IOException[] errors = fanOut.run(slots, n, s -> {
                    int i = plan.targets().indexOf(s);
                    plan.metas().get(i).writeSuperblock(plan.blocks().get(i));
                });
                boolean again = false;
                for (int i = 0; i < n; i++) {
                    if (errors[i] != null) {
                        // A failure changes the table: the others must hear of it, so write again.
                        again |= failures.failNowQuiet(slots[i], "metadata write: " + Mirror.reason(errors[i]));
                    }
                }
                if (!again) {
                    return;
                }
            }
        } finally {
            persistLock.unlock();
        }
    }

    /**
     * The write-intent sink: bitmap pages to every member that takes writes, forced, in parallel. In async mode a
     * write-behind member's copy is queued in order on its pool, off the write path: recovery takes its bitmap from
     * a member that is not write-behind.
     */
    void writePages(int[] pages, byte[][] contents) throws IOException {
        Topology t = members.topology();
        Topology.Slot[] sync = new Topology.Slot[t.size()];
        int n = 0;
        List<Topology.Slot> behind = new ArrayList<>(0);
        List<CompletableFuture<?>> behindDone = new ArrayList<>(0);
        for (Topology.Slot s : t.slots()) {
            if (!s.takesWrites()) {
                continue;
            }
            if (s.writeBehind()) {
                behind.add(s);
                behindDone.add(queuePages(s, pages, contents));
            } else {
                sync[n++] = s;
            }
        }
        IOException[] errors = fanOut.run(sync, n, s -> writeAndForce(s, pages, contents));
        int ok = 0;
        for (int i = 0; i < n; i++) {
            if (errors[i] == null) {
                ok += sync[i].inSync() ? 1 : 0;
            } else {
                failures.failLater(sync[i], "bitmap write: " + Mirror.reason(errors[i]), -1, -1);
            }
        }
        if (ok == 0) {
            // No synchronous member took the pages (none is in sync, or the last one failed meanwhile): the
            // write-behind copies, queued in order, are then what recovery starts from. Wait for them.
            long deadline = System.nanoTime() + fanOut.timeoutNanos();
            for (int i = 0; i < behind.size(); i++) {
                try {
                    behindDone.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    ok += behind.get(i).inSync() ? 1 : 0;
                } catch (Exception e) {
                    // The queue's completion handler fails the member.
                }
            }
        }
        if (ok == 0) {
            throw new NoCurrentMemberException("the write-intent bitmap could not be written to any in-sync member");
        }
    }

    private CompletableFuture<?> queuePages(Topology.Slot s, int[] pages, byte[][] contents) {
        Member m = s.member();
        synchronized (wibTails) {
            CompletableFuture<?> next;
            try {
                next = wibTails[m.index].exceptionally(x -> null).thenRunAsync(() -> {
                    try {
                        writeAndForce(s, pages, contents);
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                }, s.io());
            } catch (java.util.concurrent.RejectedExecutionException e) {
                next = CompletableFuture.failedFuture(e);
            }
            next.whenComplete((v, x) -> {
                if (x != null) {
                    Throwable c = x.getCause() == null ? x : x.getCause();
                    failures.failLater(s, "bitmap write: " + Mirror.reason(c), -1, -1);
                }
            });
            wibTails[m.index] = next;
            return next;
        }
    }

    /** Waits for every queued bitmap page write (close). */
    void awaitQueuedPages(long timeoutNanos) {
        CompletableFuture<?>[] tails;
        synchronized (wibTails) {
            tails = wibTails.clone();
        }
        try {
            CompletableFuture.allOf(tails).exceptionally(x -> null).get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (Exception e) {
            LOG.warn("bitmap page writes to write-behind members did not finish: {}", Mirror.reason(e));
        }
    }

    private static void writeAndForce(Topology.Slot s, int[] pages, byte[][] contents) throws IOException {
        MetaStore meta = s.meta();
        if (meta == null) {
            throw new IOException("member " + s.index() + " is not attached");
        }
        for (int i = 0; i < pages.length; i++) {
            meta.writeWibPage(pages[i], contents[i]);
        }
        s.storage().force();
    }

    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
