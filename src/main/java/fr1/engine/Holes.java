package fr1.engine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Where the image's holes are, and what each member holds on disk: {@code SEEK_DATA}/{@code SEEK_HOLE} answered
 * from an in-sync member's holes, and the allocated bytes per member for status. Neither is ever wrong the
 * dangerous way: when no member can say, everything is data.
 *
 * <p>Stateless apart from its collaborators; thread-safe.
 */
final class Holes {

    /** Longest status waits for one member's allocated size: a member that does not answer shows as unknown. */
    static final long ALLOCATED_WAIT_NANOS = 500_000_000L;

    private final long size;
    private final Members members;
    private final FanOut fanOut;
    /** Per member, the last allocated-size call: a member still busy with one is not asked again (shows -1). */
    private final AtomicReferenceArray<Future<Long>> asking = new AtomicReferenceArray<>(Mirror.MAX_MEMBERS);

    Holes(long size, Members members, FanOut fanOut) {
        this.size = size;
        this.members = members;
        this.fanOut = fanOut;
    }

    /** The first offset at or after {@code offset} holding data, or -1 if only zeros follow (ENXIO). */
    long seekData(long offset) {
        if (offset >= size) {
            return -1;
        }
        long[] r = new long[1];
        Topology.Slot s = source();
        if (s == null || !ask(s, x -> r[0] = x.storage().seekData(offset))) {
            return offset;
        }
        return r[0] < 0 || r[0] >= size ? -1 : Math.max(offset, r[0]);
    }

    /** The first offset at or after {@code offset} where a hole starts; the end of the image counts as one. */
    long seekHole(long offset) {
        if (offset >= size) {
            return -1;
        }
        long[] r = new long[1];
        Topology.Slot s = source();
        if (s == null || !ask(s, x -> r[0] = x.storage().seekHole(offset))) {
            return size;
        }
        return Math.min(size, Math.max(offset, r[0]));
    }

    /** An in-sync member every write reaches at once (not write-behind), or null. */
    private Topology.Slot source() {
        for (Topology.Slot s : members.topology().writeTargets()) {
            if (s.inSync()) {
                return s;
            }
        }
        return null;
    }

    /** One call with the deadline; false if it failed (the answer then is "data", which is never wrong). */
    private boolean ask(Topology.Slot s, FanOut.Call call) {
        try {
            fanOut.one(s, call);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * {@code status} with each attached member's allocated bytes filled in (-1 where unknown). Asked on the
     * members' own pools, in parallel, each for at most {@link #ALLOCATED_WAIT_NANOS}; never fails a member.
     */
    MirrorStatus withAllocated(MirrorStatus status) {
        Topology t = members.topology();
        List<Future<Long>> asked = new ArrayList<>(t.size());
        for (Topology.Slot s : t.slots()) {
            Future<Long> f = null;
            Future<Long> last = s.index() < asking.length() ? asking.get(s.index()) : null;
            if (s.storage() != null && s.io() != null && (last == null || last.isDone())) {
                try {
                    f = Calls.submit(s.io(), () -> s.storage().allocatedBytes(), s.index());
                    asking.set(s.index(), f);
                } catch (IOException e) {
                    f = null;
                }
            }
            asked.add(f);
        }
        long deadline = System.nanoTime() + ALLOCATED_WAIT_NANOS;
        List<MirrorStatus.Member> out = new ArrayList<>(status.members().size());
        for (MirrorStatus.Member m : status.members()) {
            long bytes = -1;
            Future<Long> f = m.index() < asked.size() ? asked.get(m.index()) : null;
            if (f != null && m.path() != null) {
                try {
                    // Not cancelled when late: the member stays marked busy until the call returns.
                    bytes = f.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    bytes = -1;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    bytes = -1;
                }
            }
            out.add(m.withAllocatedBytes(bytes));
        }
        return status.withMembers(List.copyOf(out));
    }
}
