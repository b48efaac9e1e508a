package fr1.engine;

import fr1.io.FileStorage;
import fr1.io.Storage;
import fr1.meta.Layout;
import fr1.meta.MemberRecord;
import fr1.meta.Superblock;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A RAID1 array of 1..{@link #MAX_MEMBERS} members: the engine's public face. Knows nothing of FUSE or the CLI.
 * It assembles the array, wires the collaborators below, starts every engine thread and joins them on close.
 *
 * <p>The collaborators, each owning its state and its lock:
 * <ul>
 * <li>{@link Members}: the member table; publishes an immutable {@link Topology} after each change.
 * <li>{@link WritePath} / {@link ReadPath}: foreground I/O over a topology snapshot, through {@link FanOut}
 *     (local members called on the caller's thread, timed by the {@link Watchdog}; the others on their pools, in parallel).
 * <li>{@link WriteIntent}: the write-intent bitmap; {@link MetaWriter}: superblocks and bitmap pages.
 * <li>{@link WriteBehind}: async mode's queues; {@link Lagging}: what a write-behind member lacks past its queue
 *     (pull-ahead); {@link CatchUp}: copies that to it, reports recovery points, drives {@link LagLimit}.
 *     {@link Failures}: what a failed member misses.
 * <li>{@link Membership}: the operator's commands. {@link Prober}, {@link Housekeeper}, {@link Resync},
 *     {@link Scrub}: background work, each on its own thread.
 * </ul>
 *
 * <p><b>Lock order</b> (a thread holding one may take only those after it):
 * <ol>
 * <li>{@link StripeLocks} (ascending stripe order), held by a write, a resync run or a scrub run;
 * <li>{@link WriteIntent}'s lock (never across I/O: a commit writes with it released);
 * <li>{@link MetaWriter}'s persist lock (held across superblock writes, each bounded by io-timeout);
 * <li>{@link Prober}'s lock;
 * <li>{@link Members}' lock (never across a file-system call);
 * <li>leaves: {@link Unflushed}, {@link Resync}'s and {@link Scrub}'s progress and pace locks (a pace lock is held
 *     only while sleeping in the throttle, never with stripe locks), {@link WriteBehind}'s drain monitor,
 *     {@link CatchUp}'s job monitors (claims; never held with stripe locks or across I/O).
 * </ol>
 * {@link Lagging} and {@link ChunkBits} are lock-free.
 * Resync's claims (chunks being copied) are guarded by the member table's lock.
 * No engine lock is held across a call to a member's file system except the stripe locks and the persist lock,
 * and those calls have a deadline (or, inline, the watchdog fails the member at the deadline).
 */
public final class Mirror implements Volume, Closeable {

    public static final int MAX_MEMBERS = 8;
    public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(Mirror.class);
    private static final int STRIPES = 4096;

    /** Opens a member path; tests substitute fault-injecting storage. */
    @FunctionalInterface
    public interface StorageOpener {
        Storage open(Path path) throws IOException;
    }

    private final Layout layout;
    private final UUID arrayUuid;
    private final MirrorOptions options;
    private final Members members;
    private final StripeLocks locks = new StripeLocks(STRIPES);
    private final Events events;
    private final Watchdog watchdog;
    private final FanOut fanOut;
    private final MetaWriter meta;
    private final WriteIntent wib;
    private final WriteBehind behind;
    private final Failures failures;
    private final Throttles throttles;
    private final WritePath writes;
    private final ReadPath reads;
    private final Prober prober;
    private final Membership membership;
    private final Resync resync;
    private final Scrub scrub;
    private final Housekeeper housekeeper;
    private final CatchUp catchUp;
    private final Discards discards;
    private final Holes holes;

    private Mirror(Layout layout, UUID arrayUuid, MirrorOptions options, StorageOpener opener, RoaringBitmap dirty,
                   Clock clock) {
        this.layout = layout;
        this.arrayUuid = arrayUuid;
        this.options = options;
        long timeout = options.ioTimeout().toNanos();
        this.members = new Members(options.async());
        this.events = new Events(options.events());
        Failures[] late = new Failures[1];
        this.watchdog = new Watchdog(clock, timeout, s -> late[0].failLater(s,
                "member " + s.index() + " did not answer in time", -1, -1));
        this.fanOut = new FanOut(timeout, watchdog);
        this.meta = new MetaWriter(arrayUuid, layout, members, fanOut, options.async());
        this.wib = new WriteIntent(meta::writePages, layout, dirty);
        this.behind = new WriteBehind(MAX_MEMBERS, STRIPES, options.writeBehindMax(), options.writeBehindBytes(),
                timeout, members, clock, (s, why, first, last) -> late[0].failLater(s, why, first, last));
        this.prober = new Prober(arrayUuid, options, opener, members, meta, events, clock);
        this.failures = new Failures(members, meta, behind, events, prober::failed, options.async(), timeout);
        late[0] = failures;
        meta.setFailures(failures);
        this.throttles = new Throttles(clock, options.resyncMinBps(), options.resyncMaxBps());
        LagLimit lagLimit = new LagLimit(options.maxLag().toNanos(), clock);
        this.writes = new WritePath(layout, members, locks, wib, fanOut, behind, failures, meta, throttles,
                lagLimit, clock, options.async(), options.fsyncAll(), timeout);
        this.reads = new ReadPath(layout, members, fanOut, behind, failures, throttles, timeout);
        this.membership = new Membership(arrayUuid, layout, options, opener, members, failures, meta, writes, prober,
                events);
        this.resync = new Resync(layout, members, locks, fanOut, reads, failures, meta, prober, events,
                throttles.newThrottle(), clock);
        this.scrub = new Scrub(layout, members, locks, fanOut, behind, failures, events, throttles.newThrottle());
        this.housekeeper = new Housekeeper(members, writes, wib, behind, locks, STRIPES, failures, meta, clock,
                options.quietPeriod().toMillis(), timeout);
        this.catchUp = new CatchUp(layout, members, locks, fanOut, reads, behind, failures, events, clock, lagLimit,
                throttles, options.writeBehindMax(), timeout, MAX_MEMBERS);
        this.discards = new Discards(layout, members, locks, wib, fanOut, behind, failures, meta, throttles, clock,
                writes::write, timeout);
        this.holes = new Holes(layout.size(), members, fanOut);
    }

    // ---------------------------------------------------------------- create and open

    /** Creates the members of a new array. Refuses, changing nothing, if a path holds data and !force. */
    public static void create(CreateSpec spec) throws IOException {
        ArrayFactory.create(spec);
    }

    /** Opens (assembles) an array from its member paths, recovering after an unclean shutdown. */
    public static Mirror open(List<Path> paths, MirrorOptions options) throws IOException {
        return open(paths, options, FileStorage::open);
    }

    /** As {@link #open(List, MirrorOptions)}, with member storage opened by {@code opener}. */
    public static Mirror open(List<Path> paths, MirrorOptions options, StorageOpener opener) throws IOException {
        return open(paths, options, opener, Clock.SYSTEM);
    }

    /** As {@link #open(List, MirrorOptions, StorageOpener)}, with the engine's time read from {@code clock}. */
    static Mirror open(List<Path> paths, MirrorOptions options, StorageOpener opener, Clock clock)
            throws IOException {
        Assembly a = Assembly.read(paths, opener);
        Mirror m = new Mirror(a.layout(), a.arrayUuid(), options, opener, a.dirty(), clock);
        try {
            m.assemble(a);
        } catch (IOException | RuntimeException e) {
            a.closeAll();
            m.stopThreads();
            throw e;
        }
        return m;
    }

    private void assemble(Assembly a) throws IOException {
        Superblock auth = a.authority();
        List<EventListener.MirrorEvent> pending = new ArrayList<>();
        // What each found path is, read before the table is locked (it touches the file systems).
        PathFacts[] facts = new PathFacts[auth.members().size()];
        for (int i = 0; i < facts.length; i++) {
            Assembly.Found f = a.found(i);
            facts[i] = f == null ? null : PathFacts.read(f.path());
        }
        members.update(t -> {
            boolean degraded = false;
            t.setEvents(auth.events() + 1);
            t.setGeneration(auth.generation());
            for (int i = 0; i < auth.members().size(); i++) {
                MemberRecord r = auth.members().get(i);
                Member m = new Member(i, r.uuid(), layout.chunks());
                m.state = MemberState.ofCode(r.state());
                m.flags = r.flags();
                m.lastEvents = r.lastEvents();
                m.generation = r.generation();
                m.prevEvents = r.prevEvents();
                m.prevGeneration = r.prevGeneration();
                m.lastResyncChunks = r.lastResyncChunks();
                m.lastKnownPath = r.path();
                m.missed = r.missed().clone();
                t.all().add(m);
            }
            for (Member m : t.all()) {
                Assembly.Found f = a.found(m.index);
                if (f == null) {
                    if (m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING) {
                        m.state = MemberState.FAULTY;
                        m.reason = "not present at assembly";
                        degraded = true;
                    }
                    continue;
                }
                m.path = f.path();
                PathFacts pf = facts[m.index];
                switch (m.state) {
                    case IN_SYNC, RECOVERING, SPARE -> m.attach(f.storage(), f.meta(), options.ioThreads(), pf);
                    case FAULTY, SPLIT_BRAIN -> {
                        if (auth.members().get(m.index).knows(f.superblock().events(), f.superblock().generation())) {
                            // Ours, it only missed updates: re-add it and copy what it missed.
                            m.attach(f.storage(), f.meta(), options.ioThreads(), pf);
                            remember(m, f.superblock());
                            m.state = MemberState.RECOVERING;
                            m.reason = null;
                            LOG.info("{}: known member, re-added at assembly; {} missed chunks to copy",
                                    m.describe(), m.missed.getLongCardinality());
                            pending.add(new EventListener.MirrorEvent("member-recovered", m.index,
                                    m.path.toString(), m.missed.getLongCardinality() + " missed chunks to copy"));
                        } else {
                            m.state = MemberState.SPLIT_BRAIN;
                            m.reason = "written elsewhere since it failed (events " + f.superblock().events() + ")";
                            Membership.closeQuietly(f.storage());
                            LOG.warn("{}: split brain: {}; not touched. Use 'fr1 add --full' to overwrite it.",
                                    m.describe(), m.reason);
                            pending.add(new EventListener.MirrorEvent("split-brain", m.index, m.path.toString(),
                                    m.reason));
                        }
                    }
                    case REMOVED -> Membership.closeQuietly(f.storage());
                }
            }
            if (!auth.clean()) {
                RoaringBitmap dirty = a.dirty();
                Member source = t.get(a.sourceIndex());
                LOG.warn("unclean shutdown: {} chunks in the write-intent bitmap will be resynced from {}",
                        dirty.getLongCardinality(), source.describe());
                pending.add(new EventListener.MirrorEvent("unclean-shutdown", -1, null,
                        dirty.getLongCardinality() + " chunks to resync from member " + source.index));
                for (Member m : t.all()) {
                    switch (m.state) {
                        case FAULTY, RECOVERING -> m.missed.or(dirty);
                        case IN_SYNC -> {
                            if (m != source && !dirty.isEmpty()) {
                                m.state = MemberState.RECOVERING;
                                m.missed.or(dirty);
                            }
                        }
                        default -> { }
                    }
                }
            }
            if (degraded) {
                t.newGeneration();
            }
            t.setClean(false);
            for (Member m : t.all()) {
                m.writeBehind = false;
            }
        });
        BehindChoice.choose(options, members, fanOut, wib.encodedPage(0));
        meta.persist();
        if (members.topology().count(MemberState.IN_SYNC) == 0) {
            throw new NoCurrentMemberException("no in-sync member could be written at assembly");
        }
        for (EventListener.MirrorEvent e : pending) {
            events.emit(e);
        }
        housekeeper.start();
        resync.start();
        prober.start();
        if (options.async()) {
            catchUp.start();
        }
    }

    // ---------------------------------------------------------------- geometry

    @Override
    public long size() {
        return layout.size();
    }

    public int chunkSize() {
        return layout.chunkSize();
    }

    public UUID uuid() {
        return arrayUuid;
    }

    // ---------------------------------------------------------------- I/O

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        return reads.read(dst, offset);
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        writes.write(src, offset);
    }

    @Override
    public void flush() throws IOException {
        writes.flush();
    }

    /** A discard (punch-hole, or zero-range): a write of zeros that frees the members' space (see {@link Discards}). */
    @Override
    public void discard(long offset, long length, boolean zeroRange) throws IOException {
        discards.discard(offset, length, zeroRange);
    }

    @Override
    public long seekData(long offset) {
        return holes.seekData(offset);
    }

    @Override
    public long seekHole(long offset) {
        return holes.seekHole(offset);
    }

    // ---------------------------------------------------------------- member commands

    /** Marks a member faulty (by path or index), as if it had failed. */
    public void fail(String member) throws IOException {
        membership.fail(member);
    }

    /** An outside agent says a member is unreachable: failed at once, left alone by the prober until up. */
    public void down(String member) throws IOException {
        membership.down(member);
    }

    /** An outside agent says a member is reachable again: probe it now and re-add it if it is ours. */
    public void up(String member) throws IOException {
        membership.up(member);
    }

    /** Removes a faulty member from the array: nothing is tracked for it any more. */
    public void remove(String member) throws IOException {
        membership.remove(member);
    }

    /** Brings a member back (its missed chunks, or every chunk when {@code full}), or adds a new path (full). */
    public void add(String member, boolean full) throws IOException {
        membership.add(member, full);
    }

    // ---------------------------------------------------------------- resync and scrub

    /** Pauses the resync (it keeps its place; close and remount keep it too). */
    public void pauseResync() {
        resync.pause(true);
        LOG.info("resync paused");
    }

    public void resumeResync() {
        resync.pause(false);
        LOG.info("resync resumed");
    }

    /** Blocks until no resync is running or the timeout passes; true if idle. */
    public boolean awaitResyncIdle(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean idle = members.await(t -> t.count(MemberState.RECOVERING) == 0,
                    Math.max(1, Math.min(100, (end - System.nanoTime()) / 1_000_000)));
            if (idle && !resync.busy()) {
                return true;
            }
            if (System.nanoTime() >= end) {
                return false;
            }
        }
    }

    /**
     * Starts a scrub in the background: every chunk is read from every in-sync member and compared. With
     * {@code repair}, a chunk whose copies differ is rewritten from {@code source} (path or index), or without one
     * from the copy a strict majority of members hold (three or more members).
     */
    public void check(boolean repair, String source) throws IOException {
        scrub.start(repair, source == null ? null : membership.resolve(source));
    }

    /** Blocks until no check is running or the timeout passes; true if idle. */
    public boolean awaitCheckIdle(Duration timeout) throws InterruptedException {
        return scrub.awaitIdle(timeout.toMillis());
    }

    // ---------------------------------------------------------------- status

    public MirrorStatus status() {
        return holes.withAllocated(members.read(t -> {
            List<MirrorStatus.Member> list = new ArrayList<>();
            boolean degraded = false;
            boolean recovering = false;
            for (Member m : t.all()) {
                list.add(new MirrorStatus.Member(m.index, MemberPaths.shown(m), m.state.label(),
                        m.missed.getLongCardinality(), m.lastResyncChunks, m.reason,
                        options.async() && m.writeBehind, behind.lag(m.index), StatusRuns.of(m.missed),
                        options.async() ? catchUp.lag(m, m.writeBehind) : MirrorStatus.Lag.NONE));
                degraded |= m.state != MemberState.IN_SYNC && m.state != MemberState.SPARE;
                recovering |= m.state == MemberState.RECOVERING;
            }
            String state = t.closed() ? "stopped" : recovering ? "recovering" : degraded ? "degraded" : "active";
            MirrorStatus.Resync rs = resync.status();
            return new MirrorStatus(arrayUuid.toString(), layout.size(), layout.chunkSize(), t.events(), state,
                    List.copyOf(list), rs, scrub.status(), unavailable(t));
        }));
    }

    /** Chunks no in-sync member holds (every synchronous member failed while write-behind members lacked them). */
    private MirrorStatus.Unavailable unavailable(Members.Table t) {
        List<Member> inSync = new ArrayList<>();
        for (Member m : t.all()) {
            if (m.state == MemberState.IN_SYNC) {
                if (m.lagging.holdsAll()) {
                    return MirrorStatus.Unavailable.NONE; // the usual case: someone holds everything
                }
                inSync.add(m);
            }
        }
        long n = inSync.isEmpty() ? 0 : Lagging.lackedByAll(inSync).getLongCardinality();
        return n == 0 ? MirrorStatus.Unavailable.NONE : new MirrorStatus.Unavailable(n, failures.currentDataOn());
    }

    /** For tests. */
    CatchUp catchUp() {
        return catchUp;
    }

    /** Per-member data I/O counters and events counted by kind, for monitoring. */
    public MirrorCounters counters() {
        return new MirrorCounters(members.read(t -> t.all().stream()
                .map(m -> new MirrorCounters.Member(m.index, m.ioStats.snapshot())).toList()), events.counts());
    }

    /** Write-intent bitmap commits so far (for tests and benchmarks). */
    long bitmapCommits() {
        return wib.commits();
    }

    // ---------------------------------------------------------------- close

    /**
     * Clean shutdown: stops every engine thread (resync progress is kept), forces data, records the exact missed
     * sets, clears the write-intent bitmap and marks the metadata clean. Idempotent.
     */
    @Override
    public void close() throws IOException {
        boolean first = members.mutate(t -> {
            if (t.closed()) {
                return false;
            }
            t.setClosed();
            return true;
        });
        if (!first) {
            return;
        }
        IOException failure = null;
        prober.close();
        housekeeper.close();
        resync.close();
        scrub.close();
        try {
            // Write-behind members that went behind get what they lack while copying makes progress; what is
            // left after a stall is recorded as missed, and they are resynced at the next mount.
            catchUp.settle(options.ioTimeout().toNanos() * 2);
            catchUp.close();
            members.update(t -> {
                for (Member m : t.all()) {
                    if ((m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING)
                            && !m.lagging.holdsAll() && t.count(MemberState.IN_SYNC) > 1) {
                        m.lagging.moveInto(m.missed);
                        m.state = MemberState.RECOVERING;
                        t.bump();
                        LOG.warn("{} did not catch up before close: {} chunks will be copied at the next mount",
                                m.describe(), m.missed.getLongCardinality());
                    }
                }
            });
            behind.drain(-1, options.ioTimeout().toNanos() * 2);
            meta.awaitQueuedPages(options.ioTimeout().toNanos() * 2);
            flush();
            meta.persist();
            wib.clearAll(layout.chunks());
            members.update(t -> {
                t.setClean(true);
                t.bump();
            });
            meta.persist();
        } catch (IOException e) {
            failure = e;
        }
        stopThreads();
        members.update(t -> {
            for (Member m : t.all()) {
                m.detach();
            }
        });
        if (failure != null) {
            throw failure;
        }
    }

    /** Stops the threads that outlive the background workers (also when assembly fails). */
    private void stopThreads() {
        catchUp.close();
        prober.close();
        housekeeper.close();
        resync.close();
        scrub.close();
        meta.close();
        membership.close();
        watchdog.close();
    }

    // ---------------------------------------------------------------- shared helpers

    /**
     * A returning member's superblock is the one just read from it: the next metadata write's (events, generation)
     * pair rotates into prev from this one. Caller holds the member table's lock.
     */
    static void remember(Member m, Superblock onDisk) {
        m.lastEvents = onDisk.events();
        m.generation = onDisk.generation();
    }

    /** A one-line reason for a failure, without Java class names. */
    static String reason(Throwable e) {
        return Reasons.of(e);
    }
}
