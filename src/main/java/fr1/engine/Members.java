package fr1.engine;

import fr1.meta.MemberRecord;
import fr1.meta.Superblock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The member table: every member's record, the array's event count and generation, and the one lock under which
 * they change. The lock is short: it is never held across a call to a member's file system (see the lock order in
 * {@link Mirror}). After every change the table publishes an immutable {@link Topology}; the I/O paths read that
 * without locking.
 */
final class Members {

    private final Object lock = new Object();
    private final boolean async;
    // Guarded by lock.
    private final List<Member> list = new ArrayList<>();
    private long events;
    private UUID generation;
    private boolean clean;
    private boolean closed;
    private boolean missedChanged;
    private long version;
    private long failSeq;

    private volatile Topology topology = Topology.of(0, 0, new Topology.Slot[0]);

    Members(boolean async) {
        this.async = async;
    }

    /** The current snapshot: no lock taken. */
    Topology topology() {
        return topology;
    }

    /** The table while a change is made; only inside {@link #mutate} and {@link #read}. */
    final class Table {
        private Table() {
        }

        List<Member> all() {
            return list;
        }

        Member get(int index) {
            return list.get(index);
        }

        long events() {
            return events;
        }

        UUID generation() {
            return generation;
        }

        boolean closed() {
            return closed;
        }

        boolean clean() {
            return clean;
        }

        /** A change that other members' superblocks must hear of. */
        void bump() {
            events++;
        }

        /** The array went on without some member: a new generation tells its later writes apart. */
        void newGeneration() {
            generation = UUID.randomUUID();
        }

        void setEvents(long e) {
            events = e;
        }

        void setGeneration(UUID g) {
            generation = g;
        }

        void setClean(boolean c) {
            clean = c;
        }

        /** A member was failed: writes that go on without it wait until this is durable. */
        void failed() {
            failSeq++;
        }

        void setClosed() {
            closed = true;
        }

        void missedChanged() {
            missedChanged = true;
        }

        int count(MemberState s) {
            int n = 0;
            for (Member m : list) {
                if (m.state == s) {
                    n++;
                }
            }
            return n;
        }

        /** The member as stored in the superblock. */
        MemberRecord record(Member m) {
            UUID gen = m.generation == null ? generation : m.generation;
            UUID prev = m.prevGeneration == null ? gen : m.prevGeneration;
            int flags = (m.flags & ~1) | (m.writeBehind ? 1 : 0);
            return new MemberRecord(m.uuid, m.state.code(), flags, m.lastEvents, gen, m.prevEvents, prev,
                    m.lastResyncChunks, m.missed.clone(), MemberPaths.shown(m));
        }
    }

    private final Table table = new Table();

    /** Runs a change under the lock (no I/O in it!), wakes waiters and publishes a new topology. */
    <T> T mutate(Function<Table, T> change) {
        synchronized (lock) {
            try {
                return change.apply(table);
            } finally {
                publish();
                lock.notifyAll();
            }
        }
    }

    void update(Consumer<Table> change) {
        mutate(t -> {
            change.accept(t);
            return null;
        });
    }

    /** Reads under the lock (no I/O in it!). */
    <T> T read(Function<Table, T> query) {
        synchronized (lock) {
            return query.apply(table);
        }
    }

    /**
     * Waits until {@code ready} holds or {@code timeoutMillis} pass (0: forever); returns its last value. Woken by
     * every change.
     */
    <T> T await(Function<Table, T> ready, long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (lock) {
            while (true) {
                T v = ready.apply(table);
                if (v != null && !Boolean.FALSE.equals(v)) {
                    return v;
                }
                if (timeoutMillis <= 0) {
                    lock.wait();
                    continue;
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return v;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** Wakes every waiter (a pause flag changed elsewhere). */
    void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    private void publish() {
        Topology.Slot[] slots = new Topology.Slot[list.size()];
        boolean promoted = false;
        for (int i = 0; i < slots.length; i++) {
            Member m = list.get(i);
            slots[i] = slotOf(m);
            promoted |= async && m.writeBehind && !slots[i].writeBehind() && slots[i].takesWrites();
        }
        topology = Topology.of(++version, failSeq, slots, promoted);
    }

    /**
     * True if a member that is not write-behind is in sync: write-behind members may lag only then. Without one
     * (async mode after every synchronous member failed) they take writes synchronously. Caller holds the lock.
     */
    private boolean synchronousInSync() {
        for (Member m : list) {
            if (!m.writeBehind && m.state == MemberState.IN_SYNC && m.storage != null) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- the write path's calls (hot)

    /** A write to chunks first..last that a faulty member did not get. */
    void addMissed(Member m, int first, int last) {
        synchronized (lock) {
            if (m.state == MemberState.FAULTY || m.state == MemberState.RECOVERING) {
                m.missed.add((long) first, (long) last + 1);
                missedChanged = true;
            }
        }
    }

    /**
     * A write reached {@code slot}'s member. It is now at risk there until the member's next force. If the member
     * moved on meanwhile (failed: a new epoch), the failure may already have taken its at-risk set: the chunks go
     * into its missed set directly. (The failure sets the state before reading the at-risk set and this adds before
     * reading the epoch, so one of the two sees the other.)
     */
    void noteWritten(Topology.Slot slot, int first, int last) {
        Member m = slot.member();
        m.unflushed.add(first, last);
        if (m.epoch() != slot.epoch()) {
            addMissed(m, first, last);
        }
    }

    /** True if the housekeeper should persist the missed sets; clears the flag. */
    boolean takeMissedChanged() {
        synchronized (lock) {
            boolean c = missedChanged;
            missedChanged = false;
            return c;
        }
    }

    // ---------------------------------------------------------------- lookups

    /**
     * A member by index ("1") or by path, compared with the paths recorded when members were attached: never
     * touches a member's file system. {@code canonicalArg} is the argument canonicalised by the caller (off every
     * lock, with a deadline), or null to match literally only.
     */
    Member find(String member, Path canonicalArg, Object argKey) {
        synchronized (lock) {
            if (member.matches("\\d{1,3}")) {
                int i = Integer.parseInt(member);
                return i < list.size() ? list.get(i) : null;
            }
            Path literal = Path.of(member).toAbsolutePath().normalize();
            for (Member m : list) {
                if (m.path != null && (m.path.toAbsolutePath().normalize().equals(literal) || literal.equals(m.canonical))) {
                    return m;
                }
            }
            if (canonicalArg != null) {
                for (Member m : list) {
                    if (canonicalArg.equals(m.canonical)) {
                        return m;
                    }
                }
            }
            if (argKey != null) {
                for (Member m : list) {
                    if (argKey.equals(m.fileKey)) {
                        return m;
                    }
                }
            }
            return null;
        }
    }

    /** The superblock to write to each member that takes writes, with their records rotated. */
    record PersistPlan(List<Topology.Slot> targets, List<fr1.meta.MetaStore> metas, List<Superblock> blocks,
                       long failSeq) {
    }

    PersistPlan plan(UUID arrayUuid, fr1.meta.Layout layout) {
        return mutate(t -> {
            List<Member> targets = new ArrayList<>();
            for (Member m : list) {
                if ((m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING) && m.meta != null) {
                    if (m.lastEvents != events || !generation.equals(m.generation)) {
                        m.prevEvents = m.lastEvents;
                        m.prevGeneration = m.generation;
                    }
                    m.lastEvents = events;
                    m.generation = generation;
                    targets.add(m);
                }
            }
            List<MemberRecord> records = new ArrayList<>(list.size());
            for (Member m : list) {
                records.add(t.record(m));
            }
            List<Topology.Slot> slots = new ArrayList<>();
            List<Superblock> blocks = new ArrayList<>();
            List<fr1.meta.MetaStore> metas = new ArrayList<>();
            for (Member m : targets) {
                slots.add(slotOf(m));
                metas.add(m.meta);
                blocks.add(new Superblock(arrayUuid, m.index, clean, layout.size(), layout.chunkSize(), events,
                        generation, records));
            }
            missedChanged = false;
            return new PersistPlan(slots, metas, blocks, failSeq);
        });
    }

    /** A member's slot as it is now; caller holds the lock. */
    private Topology.Slot slotOf(Member m) {
        return new Topology.Slot(m, m.state, m.storage, m.meta, m.io, async && m.writeBehind && synchronousInSync(),
                m.local, m.epoch());
    }

    /** A member's slot as it is now (for one-off calls to it). */
    Topology.Slot slot(Member m) {
        synchronized (lock) {
            return slotOf(m);
        }
    }
}
