package fr1.engine;

import fr1.meta.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
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
    private final LagLimit lagLimit;
    private final Clock clock;
    private final boolean async;
    private final boolean fsyncAll;
    private final long timeoutNanos;

    WritePath(Layout layout, Members members, StripeLocks locks, WriteIntent wib, FanOut fanOut, WriteBehind behind,
              Failures failures, MetaWriter meta, Throttles throttles, LagLimit lagLimit, Clock clock, boolean async,
              boolean fsyncAll, long timeoutNanos) {
        this.layout = layout;
        this.members = members;
        this.locks = locks;
        this.wib = wib;
        this.fanOut = fanOut;
        this.behind = behind;
        this.failures = failures;
        this.meta = meta;
        this.throttles = throttles;
        this.lagLimit = lagLimit;
        this.clock = clock;
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
        lagLimit.pace();
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
            Topology.Slot[] targets = t.writeTargets();
            int n = targets.length;
            if (t.promoted()) {
                // Before anything is recorded: a refused write changes nothing.
                checkAvailable(targets, offset, len, first, last);
            }
            for (Topology.Slot s : t.faulty()) {
                members.addMissed(s.member(), first, last);
            }
            Topology.Slot[] lagging = t.behindTargets();
            int nl = lagging.length;
            // Queued first (the copy is taken now), so the synchronous writes overlap the slow members' queues. A
            // member behind, or whose queue is full, only hears of the write (pull-ahead): nobody waits for it.
            CompletableFuture<?>[] queued = nl == 0 ? null : new CompletableFuture<?>[nl];
            for (int i = 0; i < nl; i++) {
                queued[i] = queueOrRecord(lagging[i], src, offset, first, last);
            }            IOException[] errors = fanOut.write(targets, n, src, offset);
            for (int i = 0; i < n; i++) {
                if (errors[i] == null) {
                    members.noteWritten(targets[i], first, last);
                    if (t.promoted()) {
                        madeAvailable(targets[i], offset, len, first, last);
                    }
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
                    if (queued[i] == null) {
                        continue;
                    }
                    try {
                        queued[i].get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
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
     * A write to a write-behind member: queued, or (behind, or its queue at the high-water mark) recorded as lacking
     * for {@link CatchUp}. Null if recorded. The caller holds the chunks' stripes.
     */
    private CompletableFuture<?> queueOrRecord(Topology.Slot s, ByteBuffer src, long offset, int first, int last) {
        Lagging lag = s.member().lagging;
        if (lag.mode() != Lagging.Mode.BEHIND) {
            CompletableFuture<?> f = behind.tryQueue(s, src.duplicate(), offset, first, last);
            if (f != null) {
                return f;
            }
            lag.enterBehind();
        }
        lag.record(first, last, clock.nanoTime());
        if (s.member().epoch() != s.epoch()) {
            // Failed meanwhile: its failure may have taken what it lacked before this record (it sets the epoch
            // first, then takes the set): the chunks go into its missed set directly.
            members.addMissed(s.member(), first, last);
        }
        return null;
    }

    /**
     * Every synchronous member failed while write-behind members lacked chunks: those chunks are unavailable (no
     * member holds their current data). A write that covers only part of one cannot be made whole: refused before
     * anything is written, unless some target holds the chunk.
     */
    private void checkAvailable(Topology.Slot[] targets, long offset, int len, int first, int last)
            throws IOException {
        for (int c : new int[] {first, last}) {
            if (covers(offset, len, c)) {
                continue;
            }
            boolean held = false;
            for (Topology.Slot s : targets) {
                held |= s.inSync() && !s.member().lagging.lacksAny(c, c);
            }
            if (!held) {
                throw new NoCurrentMemberException("chunk " + c + " is unavailable: its current data is on a "
                        + "failed member (a write must cover the whole chunk of " + layout.chunkSize() + " bytes)");
            }
        }
    }

    /** The chunks a write to a promoted member covered whole are current on it again. */
    private void madeAvailable(Topology.Slot s, long offset, int len, int first, int last) {
        Lagging lag = s.member().lagging;
        if (!lag.lacks.any(first, last)) {
            return;
        }
        int from = covers(offset, len, first) ? first : first + 1;
        int to = covers(offset, len, last) ? last : last - 1;
        if (from <= to) {
            lag.lacks.clear(from, to);
            lag.copied(from, to);
        }
    }

    /** True if the write covers chunk {@code c} whole (the last chunk may end at the image's end). */
    private boolean covers(long offset, int len, int c) {
        long start = (long) c * layout.chunkSize();
        long end = Math.min(layout.size(), start + layout.chunkSize());
        return offset <= start && offset + len >= end;
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
