package fr1.engine;

import fr1.meta.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Discards (FUSE fallocate punch-hole and zero-range): a discard is a write of zeros that frees space. It goes the
 * way {@link WritePath#write} goes: chunk range locked, write-intent bits durable first, faulty members' missed sets
 * told, every member that takes writes punched (or zeroed, see {@link fr1.io.Storage#punchHole}) in parallel, a
 * member that fails handed to {@link Failures}, the answer given once that failure is durable.
 *
 * <p>Write-behind members (async mode) are punched synchronously too, after the writes already queued to them for
 * the same stripes have landed (a queued older write must not land on the hole). A discard is rare and cheap, so
 * it is not worth a queue of its own. A write-behind member that is behind ({@link Lagging.Mode#BEHIND}, where
 * {@link CatchUp} copies without holding the stripes through the member's write) is not punched: the discard is
 * recorded for it as a write it did not take (as {@link WritePath} does), and the catch-up copies the zeros (as
 * holes) later. Catching up, its copies hold their stripes through the write, so it is punched as when streaming.
 *
 * <p>While a write-behind member stands in for failed synchronous ones ({@link Topology#promoted()}), a discard is
 * written as zeros through {@link WritePath}, which knows which chunks may be written then.
 *
 * <p>A long range is discarded a {@link #SEGMENT} at a time, each one a write of its own: a member that has no holes
 * gets zeros written, and each call must end within io-timeout.
 */
final class Discards {

    /** Bytes discarded under one lock of the stripes: a member writing zeros at 100 MB/s takes under a second. */
    static final long SEGMENT = 64L << 20;

    private final Layout layout;
    private final Members members;
    private final StripeLocks locks;
    private final WriteIntent wib;
    private final FanOut fanOut;
    private final WriteBehind behind;
    private final Failures failures;
    private final MetaWriter meta;
    private final Throttles throttles;
    private final Clock clock;
    private final Writer zeros;
    private final long timeoutNanos;

    /** Where a discard goes as zeros when it cannot be a punch: {@link WritePath#write}. */
    @FunctionalInterface
    interface Writer {
        void write(ByteBuffer src, long offset) throws IOException;
    }

    Discards(Layout layout, Members members, StripeLocks locks, WriteIntent wib, FanOut fanOut, WriteBehind behind,
             Failures failures, MetaWriter meta, Throttles throttles, Clock clock, Writer zeros, long timeoutNanos) {
        this.layout = layout;
        this.members = members;
        this.locks = locks;
        this.wib = wib;
        this.fanOut = fanOut;
        this.behind = behind;
        this.failures = failures;
        this.meta = meta;
        this.throttles = throttles;
        this.clock = clock;
        this.zeros = zeros;
        this.timeoutNanos = timeoutNanos;
    }

    /**
     * Makes {@code length} bytes at {@code offset} read as zeros on every member: as holes where a member's file
     * system has them ({@code zeroRange}: zeroed, the space may stay allocated), else as written zeros.
     */
    void discard(long offset, long length, boolean zeroRange) throws IOException {
        if (offset < 0 || length < 0 || offset > layout.size() || length > layout.size() - offset) {
            throw new BeyondEndException(offset, length, layout.size());
        }
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            // Segments end on chunk boundaries, so no chunk is locked and marked twice.
            long next = Math.min(end, (pos / SEGMENT + 1) * SEGMENT);
            one(pos, next - pos, zeroRange);
            pos = next;
        }
    }

    private void one(long offset, long len, boolean zeroRange) throws IOException {
        throttles.foreground();
        int first = (int) (offset / layout.chunkSize());
        int last = (int) ((offset + len - 1) / layout.chunkSize());
        List<CompletableFuture<Boolean>> failing = new ArrayList<>(2);
        int inSyncDone = 0;
        IOException lastError = null;
        long failSeq;
        StripeLocks.Held held = locks.lock(first, last);
        try {
            Topology t = members.topology();
            if (t.promoted()) {
                held.unlock();
                held = null;
                writeZeros(offset, len);
                return;
            }
            wib.markDirty(first, last);
            failSeq = t.failSeq();
            for (Topology.Slot s : t.faulty()) {
                members.addMissed(s.member(), first, last);
            }
            Topology.Slot[] sync = t.writeTargets();
            Topology.Slot[] lagging = t.behindTargets();
            Topology.Slot[] targets = new Topology.Slot[sync.length + lagging.length];
            int n = 0;
            for (Topology.Slot s : sync) {
                targets[n++] = s;
            }
            long deadline = System.nanoTime() + 2 * timeoutNanos;
            for (Topology.Slot s : lagging) {
                Lagging lag = s.member().lagging;
                if (lag.mode() == Lagging.Mode.BEHIND) {
                    // Copies to it may be in flight without their stripes: only a record orders after them.
                    lag.record(first, last, clock.nanoTime());
                    if (s.member().epoch() != s.epoch()) {
                        members.addMissed(s.member(), first, last);
                    }
                } else if (behind.awaitQueued(s.index(), first, last, Math.max(0, deadline - System.nanoTime()))) {
                    targets[n++] = s;
                } else {
                    failing.add(failures.failLater(s, "discard: its queued writes did not land in time", first,
                            last));
                }
            }
            IOException[] errors = fanOut.run(targets, n, s -> {
                if (zeroRange) {
                    s.storage().zeroRange(offset, len);
                } else {
                    s.storage().punchHole(offset, len);
                }
            });
            for (int i = 0; i < n; i++) {
                if (errors[i] == null) {
                    members.noteWritten(targets[i], first, last);
                    inSyncDone += targets[i].state() == MemberState.IN_SYNC ? 1 : 0;
                } else {
                    lastError = errors[i];
                    failing.add(failures.failLater(targets[i], "discard: " + Mirror.reason(errors[i]), first, last));
                }
            }
        } finally {
            if (held != null) {
                held.unlock();
            }
        }
        for (CompletableFuture<Boolean> f : failing) {
            try {
                f.join();
            } catch (RuntimeException e) {
                // Logged where it happened; the discard's outcome is decided by the members that took it.
            }
        }
        meta.awaitDurable(failSeq);
        if (inSyncDone == 0) {
            throw new NoCurrentMemberException("no in-sync member took the discard at offset " + offset
                    + (lastError == null ? "" : ": " + Mirror.reason(lastError)));
        }
    }

    /** The discard as written zeros, a megabyte at a time, each a write of its own. */
    private void writeZeros(long offset, long len) throws IOException {
        long pos = offset;
        while (pos < offset + len) {
            int n = (int) Math.min(fr1.io.Storage.ZEROS.capacity(), offset + len - pos);
            zeros.write(fr1.io.Storage.ZEROS.duplicate().limit(n), pos);
            pos += n;
        }
    }
}
