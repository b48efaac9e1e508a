package fr1.engine;

import fr1.io.Storage;
import java.util.concurrent.ExecutorService;

/**
 * An immutable snapshot of the member table, published by {@link Members} after every state change. The I/O paths
 * read it without locking: a write fans out to the slots it names, and a member that changes state meanwhile is
 * caught by its epoch (see {@link Members#noteWritten}).
 *
 * @param version increases with every change
 * @param failSeq members failed so far: a write that went on without a member waits until the metadata that says
 *                so is durable ({@link MetaWriter#awaitDurable})
 * @param slots   every member, in index order
 * @param writeTargets  the members a write goes to and waits for (in sync or recovering, not write-behind)
 * @param behindTargets the members a write is queued to (async mode's write-behind members)
 * @param faulty        the members whose missed set hears of every write
 * @param promoted      async mode with no synchronous member in sync: the write-behind members take writes
 *                      synchronously (they are all there is); chunks they lack are unavailable
 */
record Topology(long version, long failSeq, Slot[] slots, Slot[] writeTargets, Slot[] behindTargets,
                Slot[] faulty, boolean promoted) {

    static Topology of(long version, long failSeq, Slot[] slots) {
        return of(version, failSeq, slots, false);
    }

    /** A snapshot of {@code slots}, with the write path's target lists computed once here, not per write. */
    static Topology of(long version, long failSeq, Slot[] slots, boolean promoted) {
        java.util.List<Slot> sync = new java.util.ArrayList<>();
        java.util.List<Slot> behind = new java.util.ArrayList<>();
        java.util.List<Slot> faulty = new java.util.ArrayList<>();
        for (Slot s : slots) {
            if (s.takesWrites()) {
                (s.writeBehind() ? behind : sync).add(s);
            } else if (s.state() == MemberState.FAULTY) {
                faulty.add(s);
            }
        }
        return new Topology(version, failSeq, slots, sync.toArray(new Slot[0]), behind.toArray(new Slot[0]),
                faulty.toArray(new Slot[0]), promoted);
    }

    /**
     * One member as it was when the snapshot was taken.
     *
     * @param member      the live record (its state may have moved on)
     * @param state       the state at snapshot time
     * @param storage     its open storage, or null when detached
     * @param meta        its metadata store, or null when detached
     * @param io          its I/O pool, or null when detached
     * @param writeBehind async mode and this member may lag
     * @param inline      calls may run on the caller's thread (a local file system: no hand-off)
     * @param epoch       the member's attach epoch; a call whose slot epoch differs from the member's now hit an
     *                    earlier incarnation
     */
    record Slot(Member member, MemberState state, Storage storage, fr1.meta.MetaStore meta, ExecutorService io,
                boolean writeBehind, boolean inline, int epoch) {

        int index() {
            return member.index;
        }

        /** Takes writes now: in sync or recovering, with storage. */
        boolean takesWrites() {
            return (state == MemberState.IN_SYNC || state == MemberState.RECOVERING) && storage != null;
        }

        boolean inSync() {
            return state == MemberState.IN_SYNC && storage != null;
        }
    }

    int size() {
        return slots.length;
    }

    Slot get(int index) {
        return slots[index];
    }

    int count(MemberState state) {
        int n = 0;
        for (Slot s : slots) {
            if (s.state == state) {
                n++;
            }
        }
        return n;
    }
}
