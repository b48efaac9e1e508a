package fr1.engine;

import fr1.meta.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * check and repair: every chunk read from every in-sync member and compared, in runs of 1 MiB with the run's
 * stripes locked, several runs at once (workers take them in order; reads go straight into reused direct buffers),
 * paced by its own {@link Throttle}. With repair, a chunk whose copies differ is rewritten from the named member,
 * or without one from the copy a strict majority holds (three or more members).
 */
final class Scrub implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Scrub.class);
    /** Bytes compared per run (its stripes locked meanwhile). */
    static final int RUN_BYTES = 1 << 20;
    /** Runs compared at once when every member is local (each reads its members inline, one after another). */
    static final int LOCAL_WORKERS = 2;
    /** Runs compared at once when a member is remote: its latency per call is hidden by calls in flight. */
    static final int REMOTE_WORKERS = 4;

    private final Layout layout;
    private final Members members;
    private final StripeLocks locks;
    private final FanOut fanOut;
    private final WriteBehind behind;
    private final Failures failures;
    private final Events events;
    private final Throttle throttle;
    private final Object lock = new Object();
    // Guarded by lock.
    private Thread thread;
    private boolean active;
    private boolean repair;
    private long done;
    private long total;
    private long mismatches;
    private long repaired;
    private final List<Long> first = new ArrayList<>();
    private volatile boolean closed;
    /** Held while pacing: the throttle's window belongs to one thread at a time. A leaf; never with stripes. */
    private final Object paceLock = new Object();

    Scrub(Layout layout, Members members, StripeLocks locks, FanOut fanOut, WriteBehind behind, Failures failures,
          Events events, Throttle throttle) {
        this.layout = layout;
        this.members = members;
        this.locks = locks;
        this.fanOut = fanOut;
        this.behind = behind;
        this.failures = failures;
        this.events = events;
        this.throttle = throttle;
    }

    /** Starts a check in the background; {@code src} (may be null) is the member to repair from. */
    void start(boolean repairIt, Member src) throws ArrayException {
        String refusal = members.read(t -> {
            if (src != null && src.state != MemberState.IN_SYNC) {
                return "member " + src.index + " is " + src.state.label() + ", not in sync";
            }
            int inSync = t.count(MemberState.IN_SYNC);
            if (inSync < 2) {
                return "a check needs two in-sync members; there is " + inSync;
            }
            if (repairIt && src == null && inSync < 3) {
                return "with " + inSync + " in-sync members there is no majority: name the member to repair from";
            }
            return null;
        });
        synchronized (lock) {
            if (active) {
                throw new ArrayException("a check is already running");
            }
            if (refusal != null) {
                throw new ArrayException(refusal);
            }
            active = true;
            repair = repairIt;
            done = 0;
            total = layout.chunks();
            mismatches = 0;
            repaired = 0;
            first.clear();
            thread = Thread.ofPlatform().daemon().name("fr1-check").start(() -> run(repairIt, src));
        }
        LOG.info("{} started{}", repairIt ? "repair" : "check", src == null ? "" : " from " + src.describe());
    }

    MirrorStatus.Check status() {
        synchronized (lock) {
            return new MirrorStatus.Check(active, repair, done, total, mismatches, repaired, List.copyOf(first));
        }
    }

    /** Blocks until no check is running or the timeout passes; true if idle. */
    boolean awaitIdle(long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (lock) {
            while (active) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, Math.min(left / 1_000_000, 100)));
            }
            return true;
        }
    }

    private void run(boolean repairIt, Member src) {
        int runChunks = Math.max(1, RUN_BYTES / layout.chunkSize());
        boolean remote = false;
        for (Topology.Slot s : members.topology().slots()) {
            remote |= s.inSync() && !s.inline();
        }
        AtomicInteger next = new AtomicInteger();
        int n = remote ? REMOTE_WORKERS : LOCAL_WORKERS;
        try {
            List<Thread> workers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                workers.add(Thread.ofPlatform().daemon().name("fr1-check-" + i)
                        .start(() -> work(next, runChunks, repairIt, src)));
            }
            for (Thread w : workers) {
                boolean joined = false;
                while (!joined) {
                    try {
                        w.join();
                        joined = true;
                    } catch (InterruptedException e) {
                        // Only close stops a check, through the closed flag; each run ends by its deadline.
                    }
                }
            }
        } finally {
            long mm;
            long rr;
            synchronized (lock) {
                active = false;
                mm = mismatches;
                rr = repaired;
                lock.notifyAll();
            }
            LOG.info("{} finished: {} mismatched chunks{}", repairIt ? "repair" : "check", mm,
                    repairIt ? ", " + rr + " repaired" : "");
            events.emit(new EventListener.MirrorEvent(repairIt ? "repair-finished" : "check-finished", -1, null,
                    mm + " mismatched chunks" + (repairIt ? ", " + rr + " repaired" : "")));
        }
    }

    /** One worker: takes the next run in order and compares it, until the image is done or the array closes. */
    private void work(AtomicInteger next, int runChunks, boolean repairIt, Member src) {
        int chunk = layout.chunkSize();
        Buffers bufs = new Buffers();
        while (!closed) {
            int f = next.getAndAdd(runChunks);
            if (f < 0 || f >= layout.chunks()) {
                return;
            }
            int l = Math.min(layout.chunks() - 1, f + runChunks - 1);
            long off = (long) f * chunk;
            int len = layout.runBytes(f, l);
            List<Topology.Slot> peers = new ArrayList<>();
            StripeLocks.Held held = locks.lock(f, l);
            try {
                for (Topology.Slot s : members.topology().slots()) {
                    if (s.inSync() && !(s.writeBehind() && behind.laggingOn(s.index(), f, l))
                            && !s.member().lagging.lacksAny(f, l)) {
                        peers.add(s);
                    }
                }
                if (peers.size() >= 2) {
                    compareRun(bufs, peers, f, l, off, len, repairIt, src);
                }
            } finally {
                held.unlock();
            }
            synchronized (lock) {
                done += l - f + 1;
            }
            try {
                synchronized (paceLock) {
                    throttle.pace((long) len * peers.size());
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Compares one run on every peer (stripes held) and, if asked, repairs the chunks that differ. */
    private void compareRun(Buffers scratch, List<Topology.Slot> peers, int f, int l, long off, int len,
                            boolean repairIt, Member src) {
        Topology.Slot[] targets = peers.toArray(new Topology.Slot[0]);
        ByteBuffer[] bufs = scratch.get(targets.length, len);
        IOException[] errors = fanOut.run(targets, targets.length,
                s -> s.storage().readFully(bufs[peers.indexOf(s)].duplicate(), off));
        List<ByteBuffer> copies = new ArrayList<>();
        List<Topology.Slot> read = new ArrayList<>();
        for (int i = 0; i < targets.length; i++) {
            if (errors[i] == null) {
                copies.add(bufs[i]);
                read.add(targets[i]);
            } else {
                // A call past its deadline may still write into the buffer: never reuse it.
                scratch.abandon(i);
                failures.failNow(targets[i], "check read: " + Mirror.reason(errors[i]), -1, -1);
            }
        }
        if (read.size() < 2) {
            return;
        }
        int chunk = layout.chunkSize();
        for (int c = f; c <= l; c++) {
            int at = (c - f) * chunk;
            int n = Math.min(chunk, len - at);
            List<ByteBuffer> slices = new ArrayList<>();
            for (ByteBuffer b : copies) {
                slices.add(b.slice(at, n));
            }
            boolean same = true;
            for (int i = 1; i < slices.size() && same; i++) {
                same = slices.get(0).equals(slices.get(i));
            }
            if (same) {
                continue;
            }
            synchronized (lock) {
                mismatches++;
                // Runs finish out of order: the list keeps the lowest 100.
                int pos = java.util.Collections.binarySearch(first, (long) c);
                pos = pos < 0 ? -pos - 1 : pos;
                if (pos < 100) {
                    first.add(pos, (long) c);
                    if (first.size() > 100) {
                        first.remove(100);
                    }
                }
            }
            LOG.warn("check: chunk {} differs between members", c);
            if (repairIt) {
                repairChunk(c, off + at, slices, read, src);
            }
        }
    }

    /**
     * One worker's read buffers, one per peer, reused run after run: direct, so a read goes straight into it, not
     * through a temporary buffer and a copy, and nothing is allocated per run.
     */
    private static final class Buffers {
        private ByteBuffer[] scratch = new ByteBuffer[0];

        ByteBuffer[] get(int n, int len) {
            if (scratch.length < n) {
                scratch = java.util.Arrays.copyOf(scratch, n);
            }
            ByteBuffer[] bufs = new ByteBuffer[n];
            for (int i = 0; i < n; i++) {
                if (scratch[i] == null || scratch[i].capacity() < len) {
                    scratch[i] = ByteBuffer.allocateDirect(Math.max(len, RUN_BYTES));
                }
                bufs[i] = scratch[i].slice(0, len);
            }
            return bufs;
        }

        void abandon(int i) {
            scratch[i] = null;
        }
    }

    private void repairChunk(int c, long pos, List<ByteBuffer> slices, List<Topology.Slot> read, Member src) {
        ByteBuffer good = goodCopy(slices, read, src);
        if (good == null) {
            LOG.warn("repair: chunk {} has no majority copy; left as it is", c);
            return;
        }
        boolean ok = true;
        for (int i = 0; i < read.size(); i++) {
            if (!slices.get(i).equals(good)) {
                try {
                    fanOut.one(read.get(i), s -> s.storage().writeFully(good.duplicate(), pos));
                    members.noteWritten(read.get(i), c, c);
                } catch (IOException e) {
                    ok = false;
                    failures.failNow(read.get(i), "repair write: " + Mirror.reason(e), c, c);
                }
            }
        }
        if (ok) {
            synchronized (lock) {
                repaired++;
            }
        }
    }

    /** The copy to repair from: the named member's, else one that a strict majority of the copies equal. */
    private static ByteBuffer goodCopy(List<ByteBuffer> slices, List<Topology.Slot> read, Member src) {
        if (src != null) {
            for (int i = 0; i < read.size(); i++) {
                if (read.get(i).member() == src) {
                    return slices.get(i);
                }
            }
            return null;
        }
        for (ByteBuffer candidate : slices) {
            int votes = 0;
            for (ByteBuffer other : slices) {
                if (candidate.equals(other)) {
                    votes++;
                }
            }
            if (votes * 2 > slices.size()) {
                return candidate;
            }
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (lock) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
