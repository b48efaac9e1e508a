package fr1.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Async mode's pull-ahead: brings write-behind members that went behind ({@link Lagging}) current again, reports
 * their recovery point, and drives {@code -o max-lag} ({@link LagLimit}).
 *
 * <p>A coordinator thread ticks every {@link #TICK_MILLIS}: it logs members that went behind, measures recovery
 * points, and starts a job for an in-sync member that lacks chunks once its queue drained below the low-water mark
 * (copies would only queue behind it before). A job's copiers (as many as {@link Resync} would use toward that
 * member) take runs of lacking chunks in ascending order, each up to {@link Resync#MAX_RUN_BYTES}, bridging gaps
 * of held chunks when a call to the member costs more than moving them (a slow member is slow per call, not per
 * byte). A job's claimed chunks are its own ({@code claimed}), so no two copies of a chunk are ever in flight; a
 * chunk is in {@link Lagging#copying} from when its copy took the stripes and read the source until the member has
 * it, so a writer holding the stripes that sees it knows the copy runs without them and ends on its own.
 * Copies are paced as a resync is ({@code resync-min} while foreground I/O goes on, {@code resync-max} when idle):
 * the writers come first; the recovery point shows what that costs, and {@code max-lag} bounds it.
 *
 * <p><b>Ordering.</b> Every copy takes its run's stripes, waits there for the writes already queued to the member
 * on them ({@link WriteBehind#awaitQueued}), takes the chunks out of {@code lacks} and reads the source. A copy
 * claimed while the member is {@link Lagging.Mode#BEHIND} then releases the stripes before the slow write to the
 * member: nothing else reaches the member meanwhile (writes are only recorded), and a write after the read records
 * its chunk again, so it is copied again in its newer state. Only this class moves a member out of BEHIND, and only
 * when no such copy is in flight. Once few chunks are left ({@link #LOW_WATER_CHUNKS}) the member goes
 * {@link Lagging.Mode#CATCHING_UP}: writes are queued to it again and the last chunks are copied holding their
 * stripes through the member's write (as {@link Resync} does), so no copy lands after a newer queued write. When
 * nothing is left it is {@link Lagging.Mode#STREAMING}.
 */
final class CatchUp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CatchUp.class);
    static final long TICK_MILLIS = 50;
    /** Chunks left below which a behind member streams again (the rest copied with stripes held). */
    static final int LOW_WATER_CHUNKS = 64;
    /** Copies in flight toward a member that is not local, and their length at most. */
    static final int REMOTE_DEPTH = 4;
    static final long REMOTE_RUN_BYTES = 8 << 20;

    private final fr1.meta.Layout layout;
    private final Members members;
    private final StripeLocks locks;
    private final FanOut fanOut;
    private final ReadPath reads;
    private final WriteBehind behind;
    private final Failures failures;
    private final Events events;
    private final Clock clock;
    private final LagLimit lagLimit;
    private final Throttles throttles;
    private final int lowWaterWrites;
    private final long timeoutNanos;
    private final Job[] jobs;
    /** Topology version when a member's last job found no member to copy from: retried once it changes. */
    private final long[] noSourceAt;
    private volatile boolean closed;
    private volatile boolean held;
    private Thread thread;

    CatchUp(fr1.meta.Layout layout, Members members, StripeLocks locks, FanOut fanOut, ReadPath reads,
            WriteBehind behind, Failures failures, Events events, Clock clock, LagLimit lagLimit, Throttles throttles,
            int writeBehindMax, long timeoutNanos, int maxMembers) {
        this.throttles = throttles;
        this.layout = layout;
        this.members = members;
        this.locks = locks;
        this.fanOut = fanOut;
        this.reads = reads;
        this.behind = behind;
        this.failures = failures;
        this.events = events;
        this.clock = clock;
        this.lagLimit = lagLimit;
        this.lowWaterWrites = Math.max(1, writeBehindMax / 4);
        this.timeoutNanos = timeoutNanos;
        this.jobs = new Job[maxMembers];
        this.noSourceAt = new long[maxMembers];
        java.util.Arrays.fill(noSourceAt, -1);
    }

    void start() {
        thread = Thread.ofPlatform().daemon().name("fr1-catchup").start(() -> {
            while (!closed) {
                try {
                    tick();
                    members.await(t -> closed ? Boolean.TRUE : null, TICK_MILLIS);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.error("catch-up: {}", Mirror.reason(e));
                }
            }
        });
    }

    /** One round: events, recovery points, the max-lag delay, jobs started. Tests call it directly. */
    void tick() {
        Topology t = members.topology();
        long now = clock.nanoTime();
        long worst = 0;
        for (Topology.Slot s : t.slots()) {
            Member m = s.member();
            Lagging lag = m.lagging;
            if (lag.takeEntered()) {
                String detail = "queue full (" + behind.lag(m.index) + " writes, " + behind.bytes(m.index)
                        + " bytes): writes go on without it and are copied to it later";
                LOG.warn("{} is behind: {}", m.describe(), detail);
                events.emit("behind", m, detail);
            }
            if (!s.takesWrites()) {
                continue;
            }
            if (lagLimit.enabled()) {
                // Only max-lag needs it every tick (a scan of the member's stamps); status asks on its own.
                worst = Math.max(worst, recoveryPointNanos(m, now));
            }
            int i = m.index;
            if (jobs[i] != null && jobs[i].ended()) {
                noSourceAt[i] = jobs[i].waitingForSource ? t.version() : -1;
                jobs[i] = null;
            }
            if (jobs[i] == null && !held && s.inSync() && !lag.holdsAll() && noSourceAt[i] != t.version()
                    && (lag.mode() != Lagging.Mode.BEHIND || behind.below(i, lowWaterWrites))) {
                jobs[i] = new Job(s);
                jobs[i].start();
            }
        }
        lagLimit.adjust(worst);
    }

    /** Age of the oldest acknowledged write {@code m} does not hold (queued or recorded), 0 if none. */
    long recoveryPointNanos(Member m, long now) {
        long oldest = Math.min(behind.oldestNanos(m.index), m.lagging.oldestNanos());
        return oldest == Long.MAX_VALUE ? 0 : Math.max(0, now - oldest);
    }

    /** For status. */
    MirrorStatus.Lag lag(Member m, boolean writeBehind) {
        Lagging lag = m.lagging;
        if (!writeBehind && lag.holdsAll()) {
            return MirrorStatus.Lag.NONE;
        }
        long chunks = lag.chunks();
        return new MirrorStatus.Lag(lag.mode().label, behind.lag(m.index) + (chunks == 0 ? 0 : lag.recordedWrites()),
                behind.bytes(m.index) + chunks * layout.chunkSize(), chunks,
                recoveryPointNanos(m, clock.nanoTime()) / 1_000_000);
    }

    /** Tests: no new job starts while held. */
    void hold(boolean h) {
        held = h;
    }

    /** True while a job copies to member {@code index} (tests). */
    boolean busy(int index) {
        Job j = jobs[index];
        return j != null && !j.ended();
    }

    private static final Object STOP = new Object();
    private static final Object WAIT = new Object();

    /** A claimed run: chunks first..last, copied with its stripes released before the target's write or not. */
    private record Run(int first, int last, boolean optimistic) {
    }

    /** One member's catch-up: its copiers and claims. */
    private final class Job {
        final Member target;
        final int epoch;
        final int depth;
        final int runChunks;
        final long started = clock.nanoTime();
        final AtomicLong copied = new AtomicLong();
        /** Started in full before anyone looks (busy() reads it from another thread). */
        private volatile List<Thread> copiers = List.of();
        /** Chunks of the runs this job's copiers hold. Guarded by this. */
        private final ChunkBits claimed = new ChunkBits(layout.chunks());
        /** Paced as a resync (resync-min while foreground I/O goes on, resync-max when idle): one at a time. */
        private final Throttle throttle = throttles.newThrottle();
        // Guarded by this.
        private int cursor;
        private int inFlight;
        private int optimistic;
        private boolean stopped;
        volatile boolean waitingForSource;

        Job(Topology.Slot s) {
            this.target = s.member();
            this.epoch = s.epoch();
            int d = Resync.LOCAL_DEPTH;
            long run = Resync.MAX_RUN_BYTES;
            if (!s.inline()) {
                // A remote member takes one large O_DIRECT write as pieces in parallel, and writes to one file are
                // serialised there anyway (FUSE takes the file's lock per write): few copies, long runs.
                d = REMOTE_DEPTH;
                run = REMOTE_RUN_BYTES;
            }
            this.depth = (int) Math.max(1, Math.min(d, Resync.MAX_IN_FLIGHT_BYTES / layout.chunkSize()));
            this.runChunks = (int) Math.max(1, Math.min(run, Resync.MAX_IN_FLIGHT_BYTES / depth)
                    / layout.chunkSize());
        }

        void start() {
            LOG.info("catch-up of {} started: {} chunks", target.describe(), target.lagging.chunks());
            List<Thread> started = new ArrayList<>(depth);
            for (int i = 0; i < depth; i++) {
                started.add(Thread.ofPlatform().daemon().name("fr1-catchup-" + target.index + "-" + i)
                        .unstarted(this::copier));
            }
            copiers = List.copyOf(started);
            started.forEach(Thread::start);
        }

        boolean ended() {
            for (Thread c : copiers) {
                if (c.isAlive()) {
                    return false;
                }
            }
            return true;
        }

        void join() {
            for (Thread c : copiers) {
                try {
                    c.join(timeoutNanos / 1_000_000 * 2 + 1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        synchronized void stop() {
            stopped = true;
            notifyAll();
        }

        private void copier() {
            CopyBuffer buffer = new CopyBuffer();
            while (true) {
                Object claim;
                synchronized (this) {
                    claim = claim();
                    if (claim == WAIT) {
                        try {
                            wait(10);
                        } catch (InterruptedException e) {
                            return;
                        }
                        continue;
                    }
                }
                if (!(claim instanceof Run run)) {
                    return;
                }
                int len = layout.runBytes(run.first(), run.last());
                try {
                    synchronized (throttle) {
                        throttle.pace(len);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                boolean ok;
                try {
                    ok = copy(run, buffer.get(len, runChunks * layout.chunkSize()));
                } catch (RuntimeException e) {
                    LOG.error("catch-up of {}: {}", target.describe(), Mirror.reason(e));
                    ok = false;
                    stop();
                }
                if (!ok) {
                    buffer.abandon();
                }
                synchronized (this) {
                    claimed.clear(run.first(), run.last());
                    inFlight--;
                    if (run.optimistic()) {
                        optimistic--;
                    }
                    notifyAll();
                }
            }
        }

        /** Under this job's lock: the next run, {@link #WAIT} or {@link #STOP}. */
        private Object claim() {
            Topology.Slot s = members.topology().get(target.index);
            if (closed || stopped || s.epoch() != epoch || !s.inSync()) {
                return STOP;
            }
            Lagging lag = target.lagging;
            if (waitingForSource) {
                return WAIT;
            }
            if (lag.mode() == Lagging.Mode.BEHIND && lag.lacks.count() <= LOW_WATER_CHUNKS
                    && behind.below(target.index, lowWaterWrites)) {
                if (optimistic > 0) {
                    return WAIT;
                }
                // No copy without its stripes is in flight: writes may be queued to the member again.
                lag.setMode(Lagging.Mode.CATCHING_UP);
            }
            int first = next(lag, cursor);
            if (first < 0 && cursor > 0) {
                first = next(lag, 0);
            }
            if (first < 0) {
                if (inFlight == 0 && lag.holdsAll() && lag.mode() != Lagging.Mode.BEHIND) {
                    finish();
                    return STOP;
                }
                return WAIT;
            }
            // No gaps bridged while chunks are unavailable: a bridged chunk must be held by the source too.
            int gap = members.topology().promoted() ? 0 : maxGap();
            int last = first;
            while (last + 1 < layout.chunks() && last + 1 - first < runChunks) {
                int n = lag.lacks.next(last + 1);
                if (n < 0 || n - last - 1 > gap || n - first + 1 > runChunks || claimed.any(last + 1, n)) {
                    break;
                }
                last = n;
            }
            boolean opt = lag.mode() == Lagging.Mode.BEHIND;
            claimed.set(first, last);
            cursor = last + 1;
            inFlight++;
            if (opt) {
                optimistic++;
            }
            return new Run(first, last, opt);
        }

        /** The first lacking chunk at or after {@code from} not being copied, or -1. */
        private int next(Lagging lag, int from) {
            int c = lag.lacks.next(from);
            while (c >= 0 && claimed.get(c)) {
                int free = claimed.nextClear(c);
                c = free >= layout.chunks() ? -1 : lag.lacks.next(free);
            }
            return c;
        }

        /** Held chunks a run may bridge: what one call to the member is worth in bytes (0 for a quick member). */
        private int maxGap() {
            return GapBridge.chunks(target.writeLatencyNanos(), runChunks, layout.chunkSize());
        }

        /** Under the job's lock: nothing left, nothing in flight, not behind. */
        private void finish() {
            stopped = true; // the other copiers stop at their next claim
            Lagging lag = target.lagging;
            long ms = (clock.nanoTime() - started) / 1_000_000;
            if (failures.currentDataOn() >= 0) {
                failures.clearCurrentDataOn();
            }
            String detail = copied.get() + " chunks copied in " + ms + " ms";
            LOG.info("{} caught up: {}", target.describe(), detail);
            events.emit("caught-up", target, detail);
            // Last: status shows it streaming only once the event is out.
            lag.reset();
        }

        /** Copies one run. False if it was not copied (the run's chunks are lacking again). */
        private boolean copy(Run run, ByteBuffer buf) {
            int first = run.first();
            int last = run.last();
            Lagging lag = target.lagging;
            long off = (long) first * layout.chunkSize();
            SparseCopy sparse = new SparseCopy(buf, off);
            Topology.Slot to;
            Topology.Slot source;
            IOException readError = null;
            StripeLocks.Held held = locks.lock(first, last);
            boolean locked = true;
            try {
                if (!behind.awaitQueued(target.index, first, last, timeoutNanos * 2)) {
                    stop();
                    return false;
                }
                Topology t = members.topology();
                to = t.get(target.index);
                if (to.epoch() != epoch || !to.inSync()) {
                    stop();
                    return false;
                }
                source = source(t, first, last);
                if (source == null) {
                    awaitSource();
                    return false;
                }
                // From here the run's chunks are in 'copying' (set first: never neither): a write from now on
                // records them again.
                lag.copying.set(first, last);
                lag.lacks.clear(first, last);
                try {
                    fanOut.one(source, x -> sparse.read(x.storage()));
                } catch (IOException e) {
                    readError = e;
                    lag.lacks.set(first, last);
                    lag.copying.clear(first, last);
                }
                if (readError == null && run.optimistic()) {
                    held.unlock();
                    locked = false;
                }
                if (readError == null) {
                    try {
                        fanOut.one(to, x -> sparse.write(x.storage(), (long) maxGap() * layout.chunkSize()));
                    } catch (IOException e) {
                        lag.lacks.set(first, last);
                        lag.copying.clear(first, last);
                        if (locked) {
                            held.unlock();
                            locked = false;
                        }
                        failures.failNow(to, "catch-up write: " + Mirror.reason(e), -1, -1);
                        stop();
                        return false;
                    }
                    members.noteWritten(to, first, last);
                    lag.copying.clear(first, last);
                    lag.copied(first, last);
                    copied.addAndGet(last - first + 1L);
                    return true;
                }
            } finally {
                if (locked) {
                    held.unlock();
                }
            }
            failures.failNow(source, "read: " + Mirror.reason(readError), -1, -1);
            return false;
        }

        /**
         * Where to copy chunks first..last from: an in-sync member that holds them (not lagging, not lacking), or a
         * recovering one that is not missing them (after every synchronous member failed, the one that had the
         * current data comes back recovering).
         */
        private Topology.Slot source(Topology t, int first, int last) {
            Topology.Slot s = reads.pick(t, 1L << target.index, first, last);
            if (s != null) {
                return s;
            }
            for (Topology.Slot o : t.slots()) {
                if (o.index() != target.index && o.state() == MemberState.RECOVERING && o.storage() != null
                        && !o.member().lagging.lacksAny(first, last)
                        && members.read(tb -> !o.member().missed.intersects(first, (long) last + 1))) {
                    return o;
                }
            }
            return null;
        }

        /** No member holds these chunks now: wait quietly (the job ends; the next tick starts another). */
        private void awaitSource() {
            synchronized (this) {
                if (!waitingForSource) {
                    LOG.info("catch-up of {} waits for a member that holds the chunks it lacks",
                            target.describe());
                }
                waitingForSource = true;
                stopped = true;
                notifyAll();
            }
        }
    }

    /**
     * At close: lets running catch-ups finish on the caller's thread while they make progress (a stall of
     * {@code stallNanos} ends it). Members still lacking chunks afterwards are the caller's to record.
     */
    void settle(long stallNanos) {
        stopCoordinator();
        long lastProgress = clock.nanoTime();
        long left = Long.MAX_VALUE;
        while (true) {
            long now = 0;
            for (Topology.Slot s : members.topology().slots()) {
                now += s.takesWrites() ? s.member().lagging.chunks() : 0;
            }
            if (now == 0) {
                return;
            }
            if (now < left) {
                left = now;
                lastProgress = clock.nanoTime();
            } else if (clock.nanoTime() - lastProgress > stallNanos) {
                return;
            }
            tick();
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void stopCoordinator() {
        boolean wasClosed = closed;
        closed = true;
        members.wake();
        if (thread != null && !wasClosed) {
            try {
                thread.join(timeoutNanos / 1_000_000 * 2 + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closed = false;
    }

    @Override
    public void close() {
        closed = true;
        members.wake();
        if (thread != null) {
            try {
                thread.join(timeoutNanos / 1_000_000 * 2 + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Job j : jobs) {
            if (j != null) {
                j.stop();
                j.join();
            }
        }
    }
}
