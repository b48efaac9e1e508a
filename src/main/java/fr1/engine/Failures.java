package fr1.engine;

import java.util.concurrent.CompletableFuture;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks members faulty, and decides what a failed member misses: the chunks written to it since its last
 * successful force (it may have acknowledged them without making them durable) and the range of the call that
 * failed; every later write to it goes into its missed set as it happens. The last in-sync member is never failed:
 * with it gone there is nothing left to serve, so the caller gets the error instead, as md does.
 */
final class Failures {

    private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

    /** Told when a member was failed (the prober schedules its first probe). */
    @FunctionalInterface
    interface Listener {
        void failed(Member m);
    }

    private final Members members;
    private final MetaWriter meta;
    private final WriteBehind behind;
    private final Events events;
    private final Listener listener;
    private final boolean async;
    private final long drainNanos;
    /** The synchronous member that held the current data of the unavailable chunks when it failed, or -1. */
    private volatile int currentDataOn = -1;

    Failures(Members members, MetaWriter meta, WriteBehind behind, Events events, Listener listener, boolean async,
             long ioTimeoutNanos) {
        this.members = members;
        this.meta = meta;
        this.behind = behind;
        this.events = events;
        this.listener = listener;
        this.async = async;
        this.drainNanos = ioTimeoutNanos * 2;
    }

    /**
     * A call to {@code slot}'s member failed: the chunks first..last (-1: none) are recorded at once (so they are
     * missed whatever happens next), and the member is failed on the metadata thread. The future completes (true if
     * the state changed) once the change is durable; callers holding stripe locks release them before waiting.
     */
    CompletableFuture<Boolean> failLater(Topology.Slot slot, String why, int first, int last) {
        Member m = slot.member();
        record(m, slot.epoch(), first, last);
        if (async && lastSynchronous(m)) {
            // The drain may take 2x io-timeout: on the metadata thread, never on the caller's.
            return meta.submit(() -> change(m, slot.epoch(), why, true));
        }
        // In memory now, so the next write's topology leaves the member out; durable on the metadata thread.
        boolean changed = change(m, slot.epoch(), why, false);
        return meta.awaitDurableAsync(members.topology().failSeq()).thenApply(v -> changed);
    }

    /** As {@link #failLater}, on this thread. */
    boolean failNow(Topology.Slot slot, String why, int first, int last) {
        record(slot.member(), slot.epoch(), first, last);
        return change(slot.member(), slot.epoch(), why, true);
    }

    /** As {@link #failNow(Topology.Slot, String, int, int)}, without persisting (the persist in progress will). */
    boolean failNowQuiet(Topology.Slot slot, String why) {
        return change(slot.member(), slot.epoch(), why, false);
    }

    /** As {@link #failLater}, on this thread, for the member as it is now. */
    boolean failNow(Member m, String why, int first, int last, boolean persist) {
        int epoch = m.epoch();
        record(m, epoch, first, last);
        return change(m, epoch, why, persist);
    }

    /**
     * Records that chunks first..last failed on {@code m} in its incarnation {@code epoch}: missed now if it is
     * faulty, or re-added since (a resync copies them); pending until its failure is handled if it is still in use.
     */
    private void record(Member m, int epoch, int first, int last) {
        if (first < 0) {
            return;
        }
        members.update(t -> {
            boolean current = m.epoch() == epoch;
            if (m.state == MemberState.FAULTY || (!current && m.state == MemberState.RECOVERING)) {
                m.missed.add((long) first, (long) last + 1);
                t.missedChanged();
            } else if (current && (m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING)) {
                m.pendingMissed.add((long) first, (long) last + 1);
            }
        });
    }

    /** Marks {@code m} faulty if it is still the incarnation {@code epoch} and not the last in-sync member. */
    private boolean change(Member m, int epoch, String why, boolean persist) {
        if (async && lastSynchronous(m)) {
            // Writes acknowledged on m alone are still queued to the write-behind members. Until those have them, m
            // is the only member holding them: it stays recorded in sync while the queues drain, so a crash now
            // recovers from m, not from a lagging member (which would undo acknowledged writes).
            behind.drain(-1, drainNanos);
        }
        boolean[] last = {false};
        long[] unavailable = {0};
        boolean changed = members.mutate(t -> {
            if (m.epoch() != epoch) {
                return false;
            }
            if (m.state == MemberState.IN_SYNC && t.count(MemberState.IN_SYNC) == 1) {
                last[0] = true;
                m.pendingMissed = new RoaringBitmap();
                return false;
            }
            if (m.state != MemberState.IN_SYNC && m.state != MemberState.RECOVERING) {
                return false;
            }
            m.state = MemberState.FAULTY;
            m.reason = why;
            t.failed();
            t.bump();
            t.newGeneration();
            m.detach();
            // Read after the epoch moved on (detach): a write that lands later sees the new epoch and adds its own
            // chunks. In the same critical section, so nobody sees the member faulty without them.
            m.missed.or(m.unflushed.atRisk());
            m.missed.or(m.pendingMissed);
            m.pendingMissed = new RoaringBitmap();
            // A write-behind member that fails while behind misses every chunk it lacks.
            m.lagging.moveInto(m.missed);
            if (async && !m.writeBehind) {
                unavailable[0] = strandChunks(t, m);
            }
            t.missedChanged();
            return true;
        });
        if (!changed) {
            if (last[0]) {
                LOG.error("{}: {}; it is the last in-sync member, so it stays in the array", m.describe(), why);
            }
            return false;
        }
        listener.failed(m);
        LOG.warn("{} failed: {}", m.describe(), why);
        events.emit("member-failed", m, why);
        if (unavailable[0] > 0) {
            String detail = unavailable[0] + " chunks are unavailable: their current data is on " + m.describe()
                    + ", which failed; reads of them fail until it is back";
            LOG.error(detail);
            events.emit(new EventListener.MirrorEvent("chunks-unavailable", -1, null, detail));
        }
        if (persist) {
            meta.persist();
        }
        return true;
    }

    /**
     * Under the Members lock, {@code m} (synchronous) just failed: if no synchronous member is left in sync, the
     * chunks every in-sync write-behind member lacks have their current data on {@code m} alone. They become
     * unavailable (reads fail, never stale), and {@code m} is not said to miss them: when it comes back it is where
     * they are copied from. Returns how many.
     */
    private long strandChunks(Members.Table t, Member m) {
        java.util.List<Member> left = new java.util.ArrayList<>();
        for (Member o : t.all()) {
            if (o == m || o.state != MemberState.IN_SYNC) {
                continue;
            }
            if (!o.writeBehind) {
                return 0;
            }
            left.add(o);
        }
        RoaringBitmap none = Lagging.lackedByAll(left);
        if (left.isEmpty() || none.isEmpty()) {
            return 0;
        }
        m.missed.andNot(none);
        currentDataOn = m.index;
        return none.getLongCardinality();
    }

    /** The member that holds the current data of unavailable chunks, or -1. */
    int currentDataOn() {
        return currentDataOn;
    }

    void clearCurrentDataOn() {
        currentDataOn = -1;
    }

    /** True if {@code m} is the only in-sync member that is not write-behind (async mode). */
    private boolean lastSynchronous(Member m) {
        return members.read(t -> {
            if (m.state != MemberState.IN_SYNC || m.writeBehind) {
                return false;
            }
            for (Member o : t.all()) {
                if (o != m && o.state == MemberState.IN_SYNC && !o.writeBehind) {
                    return false;
                }
            }
            return true;
        });
    }
}
