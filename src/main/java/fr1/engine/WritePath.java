package fr1.engine;

import fr1.meta.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes and flushes. A write: chunk range locked, write-intent bits durable, data to every member that takes
 * writes in parallel (one of them on the caller's thread, see {@link FanOut}), queued to write-behind members in
 * async mode, acknowledged when the members that must have it answered. A member that fails is handed to
 * {@link Failures}; the write releases its stripe locks before it waits for that change to be durable.
 */
final class WritePath {

    private final Layout layout;
    private final Members members;
    private final StripeLocks locks;
    private final WriteIntent wib;
    private final FanOut fanOut;
    private final WriteBehind behind;
    private final Failures failures;
    private final MetaWriter meta;
    private final Throttles throttles;
    private final boolean async;
    private final boolean fsyncAll;
    private final long timeoutNanos;

    WritePath(Layout layout, Members members, StripeLocks locks, WriteIntent wib, FanOut fanOut, WriteBehind behind,
              Failures failures, MetaWriter meta, Throttles throttles, boolean async, boolean fsyncAll, long timeoutNanos) {
        this.layout = layout;
        this.members = members;
        this.locks = locks;
        this.wib = wib;
        this.fanOut = fanOut;
        this.behind = behind;
        this.failures = failures;
        this.meta = meta;
        this.throttles = throttles;
        this.async = async;
        this.fsyncAll = fsyncAll;
        this.timeoutNanos = timeoutNanos;
    }

    void write(ByteBuffer src, long offset) throws IOException {
        int len = src.remaining();
        if (offset < 0 || offset > layout.size() || len > layout.size() - offset) {
            throw new BeyondEndException(offset, len, layout.size());
        }
        if (len == 0) {
            return;
        }
        throttles.foreground();
        int first = (int) (offset / layout.chunkSize());
        int last = (int) ((offset + len - 1) / layout.chunkSize());
        List<CompletableFuture<Boolean>> failing = null;
        int inSyncDone = 0;
        IOException lastError = null;
        long failSeq;
        StripeLocks.Held held = locks.lock(first, last);
        try {
            wib.markDirty(first, last);
            Topology t = members.topology();
            failSeq = t.failSeq();
            for (Topology.Slot s : t.faulty()) {
                members.addMissed(s.member(), first, last);
            }
            Topology.Slot[] targets = t.writeTargets();
            int n = targets.length;
            Topology.Slot[] lagging = t.behindTargets();
            int nl = lagging.length;
            // Queued first (the copy is taken now), so the synchronous writes overlap the slow members' queues.
            List<Future<Void>> queued = nl == 0 ? List.of() : new ArrayList<>(nl);
            for (int i = 0; i < nl; i++) {
                queued.add(behind.queue(lagging[i], src.duplicate(), offset, first, last));
            }
            IOException[] errors = fanOut.write(targets, n, src, offset);
            for (int i = 0; i < n; i++) {
                if (errors[i] == null) {
                    members.noteWritten(targets[i], first, last);
                    inSyncDone += targets[i].state() == MemberState.IN_SYNC ? 1 : 0;
                } else {
                    lastError = errors[i];
                    failing = add(failing, failures.failLater(targets[i],
                            "write: " + Mirror.reason(errors[i]), first, last));
                }
            }
            if (inSyncDone == 0) {
                // No member that acknowledges writes took it: only a write-behind copy can still save it.
                long deadline = System.nanoTime() + timeoutNanos;
                for (int i = 0; i < nl; i++) {
                    try {
                        queued.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                        inSyncDone += lagging[i].state() == MemberState.IN_SYNC ? 1 : 0;
                    } catch (ExecutionException | TimeoutException e) {
                        lastError = new IOException(Mirror.reason(e.getCause() == null ? e : e.getCause()));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted");
                    }
                }
            }
        } finally {
            held.unlock();
        }
        awaitAll(failing);
        // Went on without a member whose failure is not recorded yet: acknowledged once it is (not holding the
        // stripe locks meanwhile).
        meta.awaitDurable(failSeq);
        if (inSyncDone == 0) {
            throw new NoCurrentMemberException("no in-sync member took the write at offset " + offset
                    + (lastError == null ? "" : ": " + Mirror.reason(lastError)));
        }
        src.position(src.limit());
    }

    /**
     * Forces acknowledged writes to stable storage. In async mode write-behind members are left to catch up (their
     * chunks stay in the write-intent bitmap until they have them), unless fsync=all, or no member that is not
     * write-behind could be forced (they all failed): then fsync waits for them too.
     */
    void flush() throws IOException {
        boolean all = async && fsyncAll;
        if (flushMembers(all, -1) == 0 && !(async && !all && flushMembers(true, -1) > 0)) {
            throw new NoCurrentMemberException("no in-sync member could be flushed");
        }
    }

    /**
     * Forces the members that take writes (only member {@code only}, if not -1); write-behind ones (drained first)
     * only if {@code withBehind}. A member whose force fails is failed.
     *
     * @return how many in-sync members were forced
     */
    int flushMembers(boolean withBehind, int only) {
        if (async && withBehind) {
            behind.drain(only, timeoutNanos * 2);
        }
        Topology t = members.topology();
        Topology.Slot[] targets = new Topology.Slot[t.size()];
        int n = 0;
        for (Topology.Slot s : t.slots()) {
            if (s.takesWrites() && (only < 0 || s.index() == only) && (withBehind || !s.writeBehind())) {
                targets[n++] = s;
            }
        }
        Object[] tokens = new Object[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = targets[i].member().unflushed.begin();
        }
        IOException[] errors = fanOut.run(targets, n, s -> s.storage().force());
        int ok = 0;
        List<CompletableFuture<Boolean>> failing = null;
        for (int i = 0; i < n; i++) {
            targets[i].member().unflushed.end(tokens[i], errors[i] == null);
            if (errors[i] == null) {
                ok += targets[i].state() == MemberState.IN_SYNC ? 1 : 0;
            } else {
                failing = add(failing, failures.failLater(targets[i], "fsync: " + Mirror.reason(errors[i]),
                        -1, -1));
            }
        }
        awaitAll(failing);
        return ok;
    }

    private static List<CompletableFuture<Boolean>> add(List<CompletableFuture<Boolean>> l,
                                                        CompletableFuture<Boolean> f) {
        List<CompletableFuture<Boolean>> out = l == null ? new ArrayList<>(2) : l;
        out.add(f);
        return out;
    }

    /** Waits until the failures this call caused are durable, so its answer never runs ahead of the metadata. */
    private static void awaitAll(List<CompletableFuture<Boolean>> failing) {
        if (failing == null) {
            return;
        }
        for (CompletableFuture<Boolean> f : failing) {
            try {
                f.join();
            } catch (RuntimeException e) {
                // Logged where it happened; the write's own outcome is decided by the members that took it.
            }
        }
    }
}
