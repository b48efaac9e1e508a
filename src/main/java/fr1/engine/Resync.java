package fr1.engine;

import fr1.meta.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings recovering members up to date: copies each one's missed chunks from an in-sync member while I/O goes on.
 * Progress is kept in the missed set itself: a resync stopped by close or a crash continues with what is left.
 * Paced by its own {@link Throttle}, which admits each run before it is copied; can be paused (copies in flight
 * finish, no new one starts).
 *
 * <p><b>How it copies.</b> Several copier threads (a resync's own, joined before it ends) take runs from the missed
 * set in ascending order, each up to {@link #MAX_RUN_BYTES}: one large read from the source, one large write to the
 * target, no hand-off per chunk (a local member is called on the copier's own thread). {@link #depth} runs are in
 * flight at once: one per core (2 to 4) when both ends are local; when either is remote (its cost is its latency
 * per call, and its pool's threads wait on it in parallel) up to {@link #REMOTE_DEPTH}, three quarters of its
 * pool. Runs in flight are claimed, so no two copiers take the same chunk.
 *
 * <p><b>Ordering rule.</b> A run's stripes are locked from before the source is chosen and read until the target's
 * write returned (as a foreground write holds them through every member's completion), so no copy lands after a
 * newer write to the same chunk, and a source that failed a write to the run's chunks is already out of the
 * topology when it is chosen. A run's chunks leave the missed set only after its write succeeded, and only if the
 * target is still the same incarnation. Failures are handled with the stripes released.
 *
 * <p><b>Gaps.</b> Runs separated by a few chunks that are not missed are copied as one toward a member whose calls
 * cost more than those bytes ({@link GapBridge}): those chunks are in sync on the target (it took every write to
 * them) and cannot be written meanwhile (their stripes are locked). Progress counts missed chunks only.
 */
final class Resync implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Resync.class);
    static final int MAX_RUN_BYTES = 4 << 20;
    /** Copies in flight to a member called inline (local): past the cores, more threads only queue for them. */
    static final int LOCAL_DEPTH = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));
    /** Copies in flight to a remote member at most (its pool's threads, 16 by default, wait on it in parallel). */
    static final int REMOTE_DEPTH = 16;
    /** Buffers of the copies in flight, at most (runs get shorter with depth). */
    static final long MAX_IN_FLIGHT_BYTES = 32 << 20;

    private final Layout layout;
    private final Members members;
    private final StripeLocks locks;
    private final FanOut fanOut;
    private final ReadPath reads;
    private final Failures failures;
    private final MetaWriter meta;
    private final Prober prober;
    private final Events events;
    private final Throttle throttle;
    private final Clock clock;
    private final Object lock = new Object();
    /** Held while pacing: the throttle's window belongs to one thread at a time. A leaf; never with stripes. */
    private final Object paceLock = new Object();
    // Guarded by lock.
    private Member resyncing;
    private long done;
    private long total;
    private boolean full;
    private double rate;
    private Rates rates;
    private volatile boolean paused;
    private volatile boolean closed;
    private Thread thread;

    Resync(Layout layout, Members members, StripeLocks locks, FanOut fanOut, ReadPath reads, Failures failures,
           MetaWriter meta, Prober prober, Events events, Throttle throttle, Clock clock) {
        this.layout = layout;
        this.members = members;
        this.locks = locks;
        this.fanOut = fanOut;
        this.reads = reads;
        this.failures = failures;
        this.meta = meta;
        this.prober = prober;
        this.events = events;
        this.throttle = throttle;
        this.clock = clock;
    }

    void start() {
        thread = Thread.ofPlatform().daemon().name("fr1-resync").start(this::loop);
    }

    void pause(boolean p) {
        paused = p;
        members.wake();
    }

    boolean paused() {
        return paused;
    }

    /** The resync in progress, for status. */
    MirrorStatus.Resync status() {
        synchronized (lock) {
            return resyncing == null ? MirrorStatus.Resync.idle()
                    : new MirrorStatus.Resync(true, resyncing.index, done, total, rate, full, paused);
        }
    }

    boolean busy() {
        synchronized (lock) {
            return resyncing != null;
        }
    }

    private void loop() {
        while (!closed) {
            Member target;
            try {
                target = members.await(t -> {
                    if (t.closed() || closed) {
                        return null;
                    }
                    for (Member m : t.all()) {
                        if (m.state == MemberState.RECOVERING) {
                            return m;
                        }
                    }
                    return null;
                }, 500);
            } catch (InterruptedException e) {
                return;
            }
            if (target == null) {
                continue;
            }
            boolean stuck = false;
            try {
                stuck = !resync(target);
            } catch (RuntimeException e) {
                LOG.error("resync of {} stopped: {}", target.describe(), Mirror.reason(e));
                failures.failNow(target, "resync: " + Mirror.reason(e), -1, -1, true);
            }
            if (stuck) {
                // Nothing to copy from now (a source that lags): try again in a while, not in a busy loop.
                try {
                    members.await(t -> closed || t.closed() ? Boolean.TRUE : null, 1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /**
     * Copies in flight for a resync of {@code to}: many if it or the member it will read from is remote, but at
     * most three quarters of a remote member's pool, so foreground calls to it find a thread free.
     */
    private int depth(Topology.Slot to) {
        Topology.Slot from = reads.pick(members.topology(), 0, 0, layout.chunks() - 1);
        int d = LOCAL_DEPTH;
        if (!to.inline() || (from != null && !from.inline())) {
            d = REMOTE_DEPTH;
            for (Topology.Slot s : new Topology.Slot[] {to, from}) {
                if (s != null && !s.inline() && s.io() instanceof ThreadPoolExecutor p) {
                    d = Math.min(d, Math.max(1, p.getMaximumPoolSize() * 3 / 4));
                }
            }
        }
        return (int) Math.max(1, Math.min(d, MAX_IN_FLIGHT_BYTES / layout.chunkSize()));
    }

    /**
     * Copies the target's missed chunks until none is left, it fails, or the array closes. False if it stopped
     * for want of a member to copy from.
     */
    private boolean resync(Member target) {
        Topology.Slot start = members.slot(target);
        if (start.state() != MemberState.RECOVERING) {
            return true;
        }
        int depth = depth(start);
        int runChunks = (int) Math.max(1, Math.min(MAX_RUN_BYTES, MAX_IN_FLIGHT_BYTES / depth) / layout.chunkSize());
        long startNanos = clock.nanoTime();
        long count = members.read(t -> target.missed.getLongCardinality());
        synchronized (lock) {
            resyncing = target;
            done = 0;
            total = count;
            full = count == layout.chunks();
            rate = 0;
            rates = new Rates(startNanos);
        }
        LOG.info("resync of {} started: {} chunks", target.describe(), count);
        events.emit("resync-started", target, count + " chunks");
        Job job = new Job(target, start.epoch(), runChunks, start.inline());
        try {
            List<Thread> copiers = new ArrayList<>(depth);
            for (int i = 0; i < depth; i++) {
                copiers.add(Thread.ofPlatform().daemon().name("fr1-resync-" + target.index + "-" + i)
                        .start(() -> copier(job)));
            }
            // Not interrupted, and not given up on: each copy ends by its deadline (or its member is failed).
            for (Thread c : copiers) {
                boolean joined = false;
                while (!joined) {
                    try {
                        c.join();
                        joined = true;
                    } catch (InterruptedException e) {
                        // Only close stops a resync, through the closed flag.
                    }
                }
            }
            if (!job.finished) {
                if (job.why != null) {
                    LOG.error("resync of {} stopped: {}", target.describe(), job.why);
                    return false;
                }
                return true;
            }
            finish(target, job, startNanos);
            return true;
        } finally {
            synchronized (lock) {
                resyncing = null;
                rates = null;
            }
            members.wake();
        }
    }

    /** Every missed chunk copied: force the target, then it is in sync. */
    private void finish(Member target, Job job, long startNanos) {
        Topology.Slot to = members.slot(target);
        if (to.state() != MemberState.RECOVERING || to.epoch() != job.epoch) {
            return;
        }
        try {
            fanOut.one(to, s -> s.storage().force());
        } catch (IOException e) {
            failures.failNow(to, "resync fsync: " + Mirror.reason(e), -1, -1);
            return;
        }
        long copied = job.copied.get();
        boolean finished = members.mutate(t -> {
            if (target.state != MemberState.RECOVERING || target.epoch() != job.epoch
                    || !target.missed.isEmpty()) {
                return false;
            }
            target.state = MemberState.IN_SYNC;
            target.lastResyncChunks = copied;
            target.reason = null;
            t.bump();
            return true;
        });
        if (!finished) {
            return;
        }
        long ms = (clock.nanoTime() - startNanos) / 1_000_000;
        LOG.info("resync of {} finished: {} chunks copied in {} ms", target.describe(), copied, ms);
        events.emit("resync-finished", target, copied + " chunks copied in " + ms + " ms");
        prober.resetBackoff(target);
        meta.persist();
    }

    /** One copier: claims runs and copies them until the job stops or nothing is left. */
    private void copier(Job job) {
        CopyBuffer buf = new CopyBuffer();
        while (true) {
            Object claim;
            try {
                claim = members.await(t -> job.claim(), 0);
            } catch (InterruptedException e) {
                return;
            }
            if (!(claim instanceof Run run)) {
                return;
            }
            int len = layout.runBytes(run.first(), run.last());
            boolean ok = false;
            try {
                // Paced before the copy (holding the claim, no stripes): the throttle admits each run, so copies in
                // flight do not burst past the limit.
                synchronized (paceLock) {
                    throttle.pace(len);
                }
                if (closed) {
                    return;
                }
                ok = copy(job, run, buf, len);
            } catch (InterruptedException e) {
                return;
            } finally {
                if (!ok) {
                    members.update(t -> job.release(run));
                }
            }
            if (!ok) {
                return;
            }
        }
    }

    /**
     * Copies one run (its stripes locked) and takes its chunks out of the missed set. A source that fails is failed
     * and the run retried from another; a target that fails is failed and the job stopped. False if not copied.
     */
    private boolean copy(Job job, Run run, CopyBuffer buffer, int len) {
        int first = run.first();
        int last = run.last();
        long off = (long) first * layout.chunkSize();
        long tried = 0;
        IOException lastReadError = null;
        while (true) {
            Topology.Slot source = null;
            Topology.Slot to = null;
            IOException readError = null;
            IOException writeError = null;
            long waitFor = -1;
            boolean proceed = false;
            StripeLocks.Held held = locks.lock(first, last);
            try {
                to = members.slot(job.target);
                if (to.state() != MemberState.RECOVERING || to.epoch() != job.epoch) {
                    job.stop(null);
                    return false;
                }
                // Chosen with the stripes held: a member that failed a write to these chunks is out already.
                Topology t = members.topology();
                source = reads.pick(t, tried, first, last);
                if (source == null && lastReadError == null && reads.awaitQueued(t, first, last)) {
                    // A write-behind member holds them once its queued writes land (async mode, the synchronous
                    // member being resynced): they did, with the stripes held so no new one came. Pick again.
                    source = reads.pick(members.topology(), tried, first, last);
                }
                if (source == null && lastReadError != null) {
                    job.stop("no in-sync member could be read: " + Mirror.reason(lastReadError));
                    return false;
                }
                if (source == null) {
                    // No member holds these chunks now: wait quietly for one (the topology to change).
                    waitFor = t.version();
                } else {
                    proceed = true;
                }
            } finally {
                if (!proceed) {
                    held.unlock();
                }
            }
            if (waitFor >= 0) {
                if (job.noteWaiting()) {
                    LOG.info("resync of {} waits for a member that holds chunk {}", job.target.describe(), first);
                }
                long v = waitFor;
                try {
                    members.await(x -> closed || job.stopped || members.topology().version() != v
                            ? Boolean.TRUE : null, 1000);
                } catch (InterruptedException e) {
                    return false;
                }
                if (closed || job.stopped) {
                    return false;
                }
                continue;
            }
            try {
                tried |= 1L << source.index();
                ByteBuffer buf = buffer.get(len, job.runChunks * layout.chunkSize());
                SparseCopy sparse = new SparseCopy(buf, off);
                try {
                    fanOut.one(source, s -> sparse.read(s.storage()));
                } catch (IOException e) {
                    readError = e;
                }
                if (readError == null) {
                    try {
                        fanOut.one(to, s -> {
                            long t0 = System.nanoTime();
                            sparse.write(s.storage(), (long) job.bridge.maxGap() * layout.chunkSize());
                            job.bridge.observeWrite(System.nanoTime() - t0, len);
                        });
                    } catch (IOException e) {
                        writeError = e;
                    }
                }
                if (readError == null && writeError == null) {
                    members.noteWritten(to, first, last);
                    long removed = members.mutate(t -> job.copied(t, run));
                    if (removed < 0) {
                        job.stop(null);
                        return true;
                    }
                    progress(removed);
                    return true;
                }
            } finally {
                held.unlock();
            }
            // Failures are handled with the stripes released: failing persists metadata. A call past its deadline
            // may still be reading into the buffer or writing from it: it is not used again.
            buffer.abandon();
            if (readError != null) {
                // Failed unless it is the last in-sync member; either way the run is tried from another.
                failures.failNow(source, "read: " + Mirror.reason(readError), -1, -1);
                lastReadError = readError;
                continue;
            }
            failures.failNow(to, "resync write: " + Mirror.reason(writeError), first, last);
            job.stop(null);
            return false;
        }
    }

    private void progress(long chunks) {
        long now = clock.nanoTime();
        synchronized (lock) {
            done += chunks;
            if (rates != null) {
                rates.add(chunks * layout.chunkSize(), now);
                rate = rates.bytesPerSecond();
            }
        }
    }

    /** A run of chunks first..last (inclusive) claimed by one copier. */
    record Run(int first, int last) {
    }

    private static final Object STOP = new Object();

    /**
     * One resync of one target incarnation: its claims and its outcome. {@link #inFlight} and {@link #cursor} are
     * touched only in callbacks of {@link Members} (under its lock), together with the missed set they refer to.
     */
    private final class Job {
        final Member target;
        final int epoch;
        final int runChunks;
        /** Chunks of the runs being copied. Guarded by the Members lock. */
        private final RoaringBitmap inFlight = new RoaringBitmap();
        /** Where the next run is looked for. Guarded by the Members lock. */
        private int cursor;
        /** Missed chunks copied. */
        final AtomicLong copied = new AtomicLong();
        /** When a gap of chunks not missed goes along with a run. */
        final GapBridge bridge;
        private volatile boolean stopped;
        private boolean waitLogged;
        volatile boolean finished;
        volatile String why;

        Job(Member target, int epoch, int runChunks, boolean local) {
            this.target = target;
            this.epoch = epoch;
            this.runChunks = runChunks;
            this.bridge = new GapBridge(local, runChunks, layout.chunkSize());
        }

        void stop(String reason) {
            if (reason != null && why == null) {
                why = reason;
            }
            stopped = true;
            members.wake();
        }

        /** True the first time a copier waits for a source (logged once per resync). */
        synchronized boolean noteWaiting() {
            boolean first = !waitLogged;
            waitLogged = true;
            return first;
        }

        /**
         * Under the Members lock: the next run to copy, {@link #STOP}, or null to wait (paused, or every chunk left
         * is being copied). Sets {@link #finished} when nothing is missed and nothing is in flight.
         */
        Object claim() {
            if (closed || stopped || target.state != MemberState.RECOVERING || target.epoch() != epoch) {
                return STOP;
            }
            if (paused) {
                return null;
            }
            RoaringBitmap missed = target.missed;
            long first = next(missed, cursor);
            if (first < 0 && cursor > 0) {
                // Past the end: chunks missed behind the cursor since (or released by a copy that failed).
                first = next(missed, 0);
            }
            if (first < 0) {
                if (missed.isEmpty() && inFlight.isEmpty()) {
                    finished = true;
                    return STOP;
                }
                return null;
            }
            // No gaps bridged while chunks are unavailable: a bridged chunk must be held by the source too.
            int gap = members.topology().promoted() ? 0 : bridge.maxGap();
            long last = first;
            while (true) {
                long n = missed.nextValue((int) last + 1);
                if (n < 0 || n - last - 1 > gap || n - first + 1 > runChunks || n >= layout.chunks()
                        || inFlight.intersects(last + 1, n + 1)) {
                    break;
                }
                last = n;
            }
            inFlight.add(first, last + 1);
            cursor = (int) last + 1;
            return new Run((int) first, (int) last);
        }

        /** The first missed chunk at or after {@code from} that no copier has claimed, or -1. */
        private long next(RoaringBitmap missed, int from) {
            long c = from >= layout.chunks() ? -1 : missed.nextValue(from);
            while (c >= 0 && inFlight.contains((int) c)) {
                long free = inFlight.nextAbsentValue((int) c);
                c = free < 0 || free >= layout.chunks() ? -1 : missed.nextValue((int) free);
            }
            return c;
        }

        /** Under the Members lock: a run was not copied; its chunks are free to claim again. */
        void release(Run run) {
            inFlight.remove(run.first(), (long) run.last() + 1);
        }

        /**
         * Under the Members lock: a run was written to the target; its chunks leave the missed set if the target
         * is still this incarnation. The missed chunks it copied, or -1 if the target moved on.
         */
        long copied(Members.Table t, Run run) {
            release(run);
            if (target.state != MemberState.RECOVERING || target.epoch() != epoch) {
                return -1;
            }
            long n = target.missed.rangeCardinality(run.first(), (long) run.last() + 1);
            if (n > 0) {
                target.missed.remove(run.first(), (long) run.last() + 1);
                t.missedChanged();
            }
            copied.addAndGet(n);
            return n;
        }
    }

    @Override
    public void close() {
        closed = true;
        members.wake();
        if (thread != null) {
            // Not interrupted: an interrupt during FileChannel I/O closes the member's channel for everyone.
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
