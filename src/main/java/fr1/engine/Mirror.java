package fr1.engine;

import fr1.io.FileStorage;
import fr1.io.Storage;
import fr1.meta.Anchor;
import fr1.meta.Layout;
import fr1.meta.MemberRecord;
import fr1.meta.MetaStore;
import fr1.meta.NoMetadataException;
import fr1.meta.Superblock;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A RAID1 array of 1..{@link #MAX_MEMBERS} members: the engine. Knows nothing of FUSE or the CLI.
 *
 * <p>Writes: chunk range locked, write-intent bits made durable, data sent to every in-sync and recovering member
 * in parallel, acknowledged when they all answered; a member that fails is marked faulty at once and the chunks go
 * into its missed set. Reads: from one in-sync member, failing over on error. Resync copies a returning member's
 * missed chunks in sequential runs while I/O goes on.
 *
 * <p>Thread safety: all public methods may be called concurrently. Member states, missed sets, events and
 * generation are guarded by {@link #stateLock}; superblock writes are serialized by {@link #metaLock}, which is
 * always taken before {@code stateLock}, never after.
 */
public final class Mirror implements Volume, Closeable {

    public static final int MAX_MEMBERS = 8;
    public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(Mirror.class);
    private static final int MAX_RUN_BYTES = 4 << 20;
    private static final int STRIPES = 4096;

    /** Opens a member path; tests substitute fault-injecting storage. */
    @FunctionalInterface
    public interface StorageOpener {
        Storage open(Path path) throws IOException;
    }

    private final Layout layout;
    private final UUID arrayUuid;
    private final MirrorOptions options;
    private final StorageOpener opener;
    private final StripeLocks locks = new StripeLocks(STRIPES);
    private final Object stateLock = new Object();
    private final ReentrantLock metaLock = new ReentrantLock();
    private final WriteIntent wib;

    // Guarded by stateLock.
    private final List<Member> members = new ArrayList<>();
    private long events;
    private UUID generation;
    private boolean clean;
    private boolean missedChanged;
    private boolean closed;
    private Member resyncing;
    private long resyncDone;
    private long resyncTotal;
    private boolean resyncFull;
    private double resyncRate;

    private final boolean async;
    private final Throttle throttle;
    // Guarded by stateLock.
    private boolean resyncPaused;
    private Thread checkThread;
    private boolean checkActive;
    private boolean checkRepair;
    private long checkDone;
    private long checkTotal;
    private long checkMismatches;
    private long checkRepaired;
    private final List<Long> checkFirst = new ArrayList<>();
    /** Write-behind writes queued per stripe, over all members: the bitmap sweeper keeps such chunks set. */
    private final java.util.concurrent.atomic.AtomicIntegerArray behindAll =
            new java.util.concurrent.atomic.AtomicIntegerArray(STRIPES);
    private final Object behindDrained = new Object();

    private Thread housekeeper;
    private Thread resyncThread;
    private Thread prober;
    /** Probes run here, one per member at most; a probe stuck on a dead path holds one of these threads. */
    private final java.util.concurrent.ExecutorService probePool = java.util.concurrent.Executors.newCachedThreadPool(
            r -> Thread.ofPlatform().daemon().name("fr1-probe").unstarted(r));

    private Mirror(Layout layout, UUID arrayUuid, MirrorOptions options, StorageOpener opener, RoaringBitmap dirty) {
        this.layout = layout;
        this.arrayUuid = arrayUuid;
        this.options = options;
        this.opener = opener;
        this.async = options.async();
        this.throttle = Throttle.system(options.resyncMinBps(), options.resyncMaxBps());
        this.wib = new WriteIntent(this::writeWibPages, layout, dirty);
    }

    // ---------------------------------------------------------------- create

    /** Creates the members of a new array. Refuses, changing nothing, if a path holds data and !force. */
    public static void create(CreateSpec spec) throws IOException {
        ArrayFactory.create(spec);
    }

    // ---------------------------------------------------------------- open

    /** Opens (assembles) an array from its member paths, recovering after an unclean shutdown. */
    public static Mirror open(List<Path> paths, MirrorOptions options) throws IOException {
        return open(paths, options, FileStorage::open);
    }

    /** As {@link #open(List, MirrorOptions)}, with member storage opened by {@code opener}. */
    public static Mirror open(List<Path> paths, MirrorOptions options, StorageOpener opener) throws IOException {
        Assembly a = Assembly.read(paths, opener);
        Mirror m = new Mirror(a.layout(), a.arrayUuid(), options, opener, a.dirty());
        try {
            m.assemble(a);
        } catch (IOException | RuntimeException e) {
            a.closeAll();
            throw e;
        }
        return m;
    }

    private void assemble(Assembly a) throws IOException {
        Superblock auth = a.authority();
        boolean degraded = false;
        List<EventListener.MirrorEvent> pending = new ArrayList<>();
        synchronized (stateLock) {
            events = auth.events() + 1;
            generation = auth.generation();
            for (int i = 0; i < auth.members().size(); i++) {
                MemberRecord r = auth.members().get(i);
                Member m = new Member(i, r.uuid());
                m.state = MemberState.ofCode(r.state());
                m.flags = r.flags();
                m.lastEvents = r.lastEvents();
                m.generation = r.generation();
                m.prevEvents = r.prevEvents();
                m.prevGeneration = r.prevGeneration();
                m.lastResyncChunks = r.lastResyncChunks();
                m.missed = r.missed().clone();
                members.add(m);
            }
            for (Member m : members) {
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
                MemberState was = m.state;
                switch (was) {
                    case IN_SYNC, RECOVERING -> m.attach(f.storage(), f.meta(), options.ioThreads());
                    case FAULTY, SPLIT_BRAIN -> {
                        if (auth.members().get(m.index).knows(f.superblock().events(), f.superblock().generation())) {
                            // Ours, it only missed updates: re-add it and copy what it missed.
                            m.attach(f.storage(), f.meta(), options.ioThreads());
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
                            closeQuietly(f.storage());
                            LOG.warn("{}: split brain: {}; not touched. Use 'fr1 add --full' to overwrite it.",
                                    m.describe(), m.reason);
                            pending.add(new EventListener.MirrorEvent("split-brain", m.index, m.path.toString(),
                                    m.reason));
                        }
                    }
                    case REMOVED -> closeQuietly(f.storage());
                    case SPARE -> m.attach(f.storage(), f.meta(), options.ioThreads());
                }
            }
            if (!auth.clean()) {
                RoaringBitmap dirty = a.dirty();
                Member source = members.get(a.sourceIndex());
                LOG.warn("unclean shutdown: {} chunks in the write-intent bitmap will be resynced from {}",
                        dirty.getLongCardinality(), source.describe());
                pending.add(new EventListener.MirrorEvent("unclean-shutdown", -1, null,
                        dirty.getLongCardinality() + " chunks to resync from member " + source.index));
                for (Member m : members) {
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
                generation = UUID.randomUUID();
            }
            clean = false;
            for (Member m : members) {
                m.behindPermits = new java.util.concurrent.Semaphore(Math.max(1, options.writeBehindMax()));
                m.writeBehind = false;
            }
        }
        chooseWriteBehind();
        persist();
        if (countState(MemberState.IN_SYNC) == 0) {
            throw new NoCurrentMemberException("no in-sync member could be written at assembly");
        }
        for (EventListener.MirrorEvent e : pending) {
            emitRaw(e);
        }
        startThreads();
    }

    /**
     * Async mode: marks the write-behind members, those named, or else every in-sync member but the one with the
     * lowest write latency measured now (a rewrite of bitmap page 0 with its current content, forced, best of 3).
     * The choice is recorded in the metadata, so after a crash the source of recovery is a member that held every
     * acknowledged write.
     */
    private void chooseWriteBehind() {
        if (!async) {
            return;
        }
        List<Member> live = new ArrayList<>();
        synchronized (stateLock) {
            for (Member m : members) {
                if (m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING) {
                    live.add(m);
                }
            }
        }
        if (!options.writeBehind().isEmpty()) {
            List<Path> named = options.writeBehind().stream().map(Mirror::canonical).toList();
            synchronized (stateLock) {
                for (Member m : members) {
                    m.writeBehind = m.path != null && named.contains(canonical(m.path));
                }
            }
        } else {
            Member fastest = null;
            long best = Long.MAX_VALUE;
            byte[] page0 = wib.encodedPage(0);
            for (Member m : live) {
                long min = Long.MAX_VALUE;
                for (int i = 0; i < 3; i++) {
                    long t0 = System.nanoTime();
                    try {
                        MetaStore meta = m.meta;
                        call(m, s -> {
                            meta.writeWibPage(0, page0);
                            s.force();
                        });
                    } catch (IOException e) {
                        min = Long.MAX_VALUE;
                        break;
                    }
                    min = Math.min(min, System.nanoTime() - t0);
                }
                LOG.info("{}: write latency {} us", m.describe(), min == Long.MAX_VALUE ? "n/a" : min / 1000);
                if (min < best) {
                    best = min;
                    fastest = m;
                }
            }
            synchronized (stateLock) {
                for (Member m : live) {
                    m.writeBehind = m != fastest;
                }
            }
        }
        synchronized (stateLock) {
            boolean anySync = false;
            for (Member m : live) {
                anySync |= !m.writeBehind && m.state == MemberState.IN_SYNC;
            }
            if (!anySync) {
                // Every in-sync member named write-behind: nothing would hold acknowledged writes. Keep one.
                for (Member m : live) {
                    if (m.state == MemberState.IN_SYNC) {
                        m.writeBehind = false;
                        LOG.warn("{} kept synchronous: an async array needs one member that is not write-behind",
                                m.describe());
                        break;
                    }
                }
            }
            for (Member m : members) {
                if (m.writeBehind) {
                    LOG.info("{} is write-behind (may lag by up to {} writes)", m.describe(), options.writeBehindMax());
                }
            }
        }
    }

    private void startThreads() {
        housekeeper = Thread.ofPlatform().daemon().name("fr1-housekeeper").start(this::housekeep);
        resyncThread = Thread.ofPlatform().daemon().name("fr1-resync").start(this::resyncLoop);
        prober = Thread.ofPlatform().daemon().name("fr1-prober").start(this::probeLoop);
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
        if (offset < 0) {
            throw new IOException("negative offset " + offset);
        }
        if (offset >= layout.size() || !dst.hasRemaining()) {
            return 0;
        }
        int len = (int) Math.min(dst.remaining(), layout.size() - offset);
        ByteBuffer slice = dst.slice(dst.position(), len);
        throttle.foreground();
        List<Member> tried = new ArrayList<>(2);
        while (true) {
            Member m;
            Storage storage;
            java.util.concurrent.ExecutorService pool;
            synchronized (stateLock) {
                m = pickReader(tried, chunkOf(offset), chunkOf(offset + len - 1));
                if (m == null) {
                    throw new NoCurrentMemberException("no in-sync member could serve a read at offset " + offset);
                }
                storage = m.storage;
                pool = m.io;
            }
            tried.add(m);
            try {
                Member reader = m;
                Future<Void> f = m.submit(pool, () -> {
                    long t0 = System.nanoTime();
                    storage.readFully(slice.duplicate(), offset);
                    reader.observe(System.nanoTime() - t0);
                    return null;
                });
                Member.await(f, Member.deadline(options.ioTimeout()), m.index);
                dst.position(dst.position() + len);
                return len;
            } catch (IOException e) {
                failMember(m, "read: " + reason(e), null);
            }
        }
    }

    /**
     * The in-sync member to read chunks first..last from: the one with the lowest recent latency among those not yet
     * tried, never one that still has a write-behind write queued to those chunks (it would serve stale data).
     * Caller holds stateLock.
     */
    private Member pickReader(List<Member> tried, int first, int last) {
        Member best = null;
        for (Member m : members) {
            if (m.state != MemberState.IN_SYNC || m.storage == null || tried.contains(m) || laggingOn(m, first, last)) {
                continue;
            }
            if (best == null || m.latencyNanos() < best.latencyNanos()) {
                best = m;
            }
        }
        return best;
    }

    private static boolean laggingOn(Member m, int first, int last) {
        if (m.lag.get() == 0) {
            return false;
        }
        for (int s : stripesOf(first, last)) {
            if (m.behindStripes.get(s) > 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        int len = src.remaining();
        if (offset < 0 || offset > layout.size() || len > layout.size() - offset) {
            throw new BeyondEndException(offset, len, layout.size());
        }
        if (len == 0) {
            return;
        }
        throttle.foreground();
        int first = chunkOf(offset);
        int last = chunkOf(offset + len - 1);
        List<Member> targets = new ArrayList<>(members.size());
        List<Future<Void>> futures = new ArrayList<>(members.size());
        List<Future<Void>> behind = new ArrayList<>(0);
        StripeLocks.Held held = locks.lock(first, last);
        try {
            wib.markDirty(first, last);
            List<Member> lagging = new ArrayList<>(0);
            synchronized (stateLock) {
                for (Member m : members) {
                    switch (m.state) {
                        case IN_SYNC, RECOVERING -> (m.writeBehind && async ? lagging : targets).add(m);
                        case FAULTY -> {
                            m.missed.add((long) first, (long) last + 1);
                            missedChanged = true;
                        }
                        default -> { }
                    }
                }
                for (Member m : targets) {
                    Storage storage = m.storage;
                    ByteBuffer data = src.duplicate();
                    try {
                        futures.add(m.submit(m.io, () -> {
                            long t0 = System.nanoTime();
                            storage.writeFully(data, offset);
                            m.observe(System.nanoTime() - t0);
                            return null;
                        }));
                    } catch (IOException e) {
                        futures.add(java.util.concurrent.CompletableFuture.failedFuture(e));
                    }
                }
            }
            // Outside stateLock: queuing may wait for a write-behind slot (write-behind-max).
            for (Member m : lagging) {
                behind.add(queueBehind(m, src.duplicate(), offset, first, last));
            }
            long deadline = Member.deadline(options.ioTimeout());
            int inSyncDone = 0;
            IOException lastError = null;
            for (int i = 0; i < targets.size(); i++) {
                Member m = targets.get(i);
                try {
                    Member.await(futures.get(i), deadline, m.index);
                    if (isInSync(m)) {
                        inSyncDone++;
                    }
                } catch (IOException e) {
                    lastError = e;
                    failMember(m, "write: " + reason(e), new long[] {first, last});
                }
            }
            if (inSyncDone == 0) {
                // No member that acknowledges writes took it: only a write-behind copy can still save it.
                for (int i = 0; i < behind.size(); i++) {
                    try {
                        Member.await(behind.get(i), deadline, lagging.get(i).index);
                        if (isInSync(lagging.get(i))) {
                            inSyncDone++;
                        }
                    } catch (IOException e) {
                        lastError = e;
                    }
                }
            }
            if (inSyncDone == 0) {
                throw new NoCurrentMemberException("no in-sync member took the write at offset " + offset
                        + (lastError == null ? "" : ": " + reason(lastError)));
            }
            src.position(src.limit());
        } finally {
            held.unlock();
        }
    }

    /**
     * Queues a write to a write-behind member and returns at once (after waiting for a free slot if
     * write-behind-max writes are queued). The data is copied: the caller's buffer is reused after the ack. A
     * write runs after every earlier queued write to an overlapping stripe, so the member ends with the newest data;
     * disjoint writes run in parallel. The chunks' write-intent bits stay set while it is queued.
     */
    private Future<Void> queueBehind(Member m, ByteBuffer data, long offset, int first, int last) {
        ByteBuffer copy = ByteBuffer.allocateDirect(data.remaining());
        copy.put(data).flip();
        java.util.concurrent.Semaphore permits;
        java.util.concurrent.ExecutorService pool;
        Storage storage;
        synchronized (stateLock) {
            permits = m.behindPermits;
            pool = m.io;
            storage = m.storage;
        }
        if (permits == null || pool == null) {
            return java.util.concurrent.CompletableFuture.failedFuture(new IOException("member " + m.index
                    + " is not attached"));
        }
        permits.acquireUninterruptibly();
        int[] stripes = stripesOf(first, last);
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<?>[] before = new java.util.concurrent.CompletableFuture<?>[stripes.length];
        for (int i = 0; i < stripes.length; i++) {
            m.behindStripes.incrementAndGet(stripes[i]);
            behindAll.incrementAndGet(stripes[i]);
            java.util.concurrent.CompletableFuture<Void> prev = m.tails.put(stripes[i], done);
            before[i] = prev == null ? java.util.concurrent.CompletableFuture.completedFuture(null)
                    : prev.exceptionally(t -> null);
        }
        m.lag.incrementAndGet();
        java.util.concurrent.CompletableFuture.allOf(before).thenRunAsync(() -> {
            long t0 = System.nanoTime();
            try {
                storage.writeFully(copy, offset);
                m.observe(System.nanoTime() - t0);
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        }, pool).exceptionally(t -> {
            done.completeExceptionally(t);
            return null;
        });
        done.orTimeout(options.ioTimeout().toMillis() * 2, java.util.concurrent.TimeUnit.MILLISECONDS)
                .whenComplete((v, t) -> {
                    if (t != null) {
                        failMember(m, "write-behind: " + reason(t instanceof java.util.concurrent.TimeoutException
                                ? new MemberTimeoutException("member " + m.index + " did not answer in time") : t),
                                new long[] {first, last});
                    }
                    for (int s : stripes) {
                        m.tails.remove(s, done);
                        m.behindStripes.decrementAndGet(s);
                        behindAll.decrementAndGet(s);
                    }
                    m.lag.decrementAndGet();
                    permits.release();
                    synchronized (behindDrained) {
                        behindDrained.notifyAll();
                    }
                });
        return done;
    }

    /** The distinct stripes of chunks first..last, ascending. */
    private static int[] stripesOf(int first, int last) {
        long span = (long) last - first + 1;
        if (span >= STRIPES) {
            int[] all = new int[STRIPES];
            for (int i = 0; i < STRIPES; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] s = new int[(int) span];
        for (int i = 0; i < span; i++) {
            s[i] = (first + i) % STRIPES;
        }
        java.util.Arrays.sort(s);
        return s;
    }

    /** Waits until no write-behind write is queued to {@code m} (or any member, if null), up to the deadline. */
    private void drainBehind(Member only, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (behindDrained) {
            while (true) {
                int queued = 0;
                for (Member m : members) {
                    if (only == null || m == only) {
                        queued += m.lag.get();
                    }
                }
                long left = end - System.nanoTime();
                if (queued == 0 || left <= 0) {
                    return;
                }
                try {
                    behindDrained.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private boolean isInSync(Member m) {
        synchronized (stateLock) {
            return m.state == MemberState.IN_SYNC;
        }
    }

    /**
     * Forces acknowledged writes to stable storage. In async mode write-behind members are left to catch up (their
     * chunks stay in the write-intent bitmap until they have them), unless fsync=all, or no member that is not
     * write-behind could be forced (they all failed): then fsync waits for them too.
     */
    @Override
    public void flush() throws IOException {
        boolean all = async && options.fsyncAll();
        if (flushMembers(all) == 0 && !(async && !all && flushMembers(true) > 0)) {
            throw new NoCurrentMemberException("no in-sync member could be flushed");
        }
    }

    /**
     * Forces the members that take writes; write-behind ones (drained first) only if {@code withBehind}: a
     * degraded async array whose synchronous members failed has only those to hold acknowledged writes.
     *
     * @return how many in-sync members were forced
     */
    private int flushMembers(boolean withBehind) {
        if (async && withBehind) {
            drainBehind(null, options.ioTimeout().multipliedBy(2));
        }
        List<Member> targets = new ArrayList<>();
        List<Future<Void>> futures = new ArrayList<>();
        synchronized (stateLock) {
            for (Member m : members) {
                boolean skip = async && m.writeBehind && !withBehind;
                if (!skip && (m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING)) {
                    Storage s = m.storage;
                    try {
                        futures.add(m.submit(m.io, () -> {
                            s.force();
                            return null;
                        }));
                        targets.add(m);
                    } catch (IOException e) {
                        targets.add(m);
                        futures.add(java.util.concurrent.CompletableFuture.failedFuture(e));
                    }
                }
            }
        }
        long deadline = Member.deadline(options.ioTimeout());
        int ok = 0;
        for (int i = 0; i < targets.size(); i++) {
            Member m = targets.get(i);
            try {
                Member.await(futures.get(i), deadline, m.index);
                if (isInSync(m)) {
                    ok++;
                }
            } catch (IOException e) {
                failMember(m, "fsync: " + reason(e), null);
            }
        }
        return ok;
    }

    private int chunkOf(long offset) {
        return (int) (offset / layout.chunkSize());
    }

    // ---------------------------------------------------------------- member state changes

    /**
     * Marks a member faulty (if it was taking writes) and records {@code range} (first, last chunk) in its missed
     * set. The last in-sync member is never failed: with it gone there is nothing left to serve, so the caller
     * gets the error instead, as md does.
     *
     * @return true if the member is faulty now
     */
    private boolean failMember(Member m, String why, long[] range) {
        boolean changed = false;
        // A member may have acknowledged writes it never made durable (SSHFS and NFS write back; a dropped link loses
        // them): every chunk written since its last successful force is in the write-intent bitmap, so all of those
        // count as missed, not only the chunks written from now on.
        RoaringBitmap atRisk = wib.atRisk();
        if (async && lastSynchronous(m)) {
            // Writes acknowledged on m alone are still queued to the write-behind members. Until those have them, m
            // is the only member holding them: it stays recorded in sync while the queues drain, so a crash now
            // recovers from m, not from a lagging member (which would undo acknowledged writes).
            drainBehind(null, options.ioTimeout().multipliedBy(2));
        }
        synchronized (stateLock) {
            if (m.state == MemberState.IN_SYNC && countStateLocked(MemberState.IN_SYNC) == 1) {
                LOG.error("{}: {}; it is the last in-sync member, so it stays in the array", m.describe(), why);
                return false;
            }
            if (m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING) {
                m.state = MemberState.FAULTY;
                m.reason = why;
                events++;
                generation = UUID.randomUUID();
                m.detach();
                // Not probed at once: a member that just failed gets a probe interval (or its back-off, if it
                // keeps failing after each re-add) to settle.
                m.nextProbeNanos = System.nanoTime()
                        + Math.max(options.probeInterval().toNanos(), m.probeBackoffNanos);
                m.missed.or(atRisk);
                missedChanged = true;
                changed = true;
            }
            if (m.state == MemberState.FAULTY && range != null) {
                m.missed.add(range[0], range[1] + 1);
                missedChanged = true;
            }
            stateLock.notifyAll();
        }
        if (changed) {
            LOG.warn("{} failed: {}", m.describe(), why);
            emit("member-failed", m, why);
            persistQuietly();
        }
        return m.state == MemberState.FAULTY;
    }

    /** True if {@code m} is the only in-sync member that is not write-behind (async mode). */
    private boolean lastSynchronous(Member m) {
        synchronized (stateLock) {
            if (m.state != MemberState.IN_SYNC || m.writeBehind) {
                return false;
            }
            for (Member o : members) {
                if (o != m && o.state == MemberState.IN_SYNC && !o.writeBehind) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Marks a member faulty (by path or index), as if it had failed. */
    public void fail(String member) throws IOException {
        Member m = resolve(member);
        synchronized (stateLock) {
            if (m.state != MemberState.IN_SYNC && m.state != MemberState.RECOVERING) {
                throw new ArrayException("member " + m.index + " is " + m.state.label() + ", not in use");
            }
            if (m.state == MemberState.IN_SYNC && countStateLocked(MemberState.IN_SYNC) == 1) {
                throw new ArrayException("member " + m.index + " is the last in-sync member; failing it would "
                        + "leave nothing to read from");
            }
        }
        synchronized (stateLock) {
            m.manual = true;
        }
        failMember(m, "failed by operator", null);
    }

    /**
     * An outside agent (a script run when a VPN drops, an nbd client) says a member is unreachable: it is failed
     * at once, without waiting for an I/O error or timeout, and left alone by the prober until {@link #up}.
     */
    public void down(String member) throws IOException {
        Member m = resolve(member);
        synchronized (stateLock) {
            m.manual = true;
            if (m.state == MemberState.IN_SYNC && countStateLocked(MemberState.IN_SYNC) == 1) {
                throw new ArrayException("member " + m.index + " is the last in-sync member; it stays in use");
            }
        }
        failMember(m, "reported down", null);
    }

    /** An outside agent says a member is reachable again: probe it now and re-add it if it is ours. */
    public void up(String member) throws IOException {
        Member m = resolve(member);
        synchronized (stateLock) {
            m.manual = false;
            m.nextProbeNanos = 0;
            m.probeBackoffNanos = 0;
            stateLock.notifyAll();
        }
    }

    /** Removes a faulty member from the array: nothing is tracked for it any more. */
    public void remove(String member) throws IOException {
        Member m = resolve(member);
        synchronized (stateLock) {
            if (m.state != MemberState.FAULTY && m.state != MemberState.SPLIT_BRAIN) {
                throw new ArrayException("member " + m.index + " is " + m.state.label()
                        + "; only a faulty member can be removed (fail it first)");
            }
            m.state = MemberState.REMOVED;
            m.missed = new RoaringBitmap();
            m.detach();
            events++;
            missedChanged = true;
        }
        LOG.info("{} removed", m.describe());
        emit("member-removed", m, null);
        persist();
        promoteSpare();
    }

    /**
     * Brings a member (by path or index, or a new path) back and starts its resync: its missed chunks, or every
     * chunk when {@code full}. A path without this array's metadata, or written elsewhere, needs {@code full}.
     */
    public void add(String member, boolean full) throws IOException {
        Member m = resolveOrNull(member);
        if (m == null) {
            addNew(Path.of(member), full);
            return;
        }
        Path path;
        synchronized (stateLock) {
            switch (m.state) {
                case IN_SYNC -> throw new ArrayException("member " + m.index + " is already in sync");
                case RECOVERING -> throw new ArrayException("member " + m.index + " is already recovering");
                case REMOVED -> {
                    if (!full) {
                        throw new ArrayException("member " + m.index + " was removed, so what it missed is not "
                                + "known; use add --full to copy every chunk to it");
                    }
                }
                default -> { }
            }
            path = m.path;
        }
        if (path == null) {
            throw new ArrayException("member " + m.index + " has no known path; add it by path");
        }
        awaitQuiesced(m);
        Storage storage = openMember(path);
        MetaStore meta;
        try {
            meta = checkReturning(m, storage, path, full);
        } catch (IOException | RuntimeException e) {
            closeQuietly(storage);
            throw e;
        }
        synchronized (stateLock) {
            if (m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING) {
                closeQuietly(storage);
                throw new ArrayException("member " + m.index + " is already " + m.state.label());
            }
            m.attach(storage, meta, options.ioThreads());
            if (full) {
                m.missed = RoaringBitmap.bitmapOfRange(0, layout.chunks());
            }
            m.state = MemberState.RECOVERING;
            m.reason = null;
            m.manual = false;
            events++;
            stateLock.notifyAll();
        }
        LOG.info("{} added; resync of {} chunks starts{}", m.describe(), m.missed.getLongCardinality(),
                full ? " (full)" : "");
        emit("member-added", m, (full ? "full, " : "") + m.missed.getLongCardinality() + " chunks to copy");
        persist();
    }

    /** Refuses to re-add a member while I/O from before its failure may still land on it. */
    private void awaitQuiesced(Member m) throws IOException {
        try {
            if (!m.awaitQuiesced(options.ioTimeout())) {
                throw new ArrayException("member " + m.index + " still has I/O in flight from before it failed "
                        + "(a hung call); try again when it has returned");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for member " + m.index);
        }
    }

    /** Checks that a returning member is ours and only missed updates, or (full) lays fresh metadata on it. */
    private MetaStore checkReturning(Member m, Storage storage, Path path, boolean full) throws IOException {
        MetaStore meta = null;
        Superblock sb = null;
        String problem = null;
        try {
            meta = MetaStore.open(storage, path.toString());
            sb = meta.readSuperblock();
            if (!meta.anchor().arrayUuid().equals(arrayUuid)) {
                problem = path + " belongs to another array (" + meta.anchor().arrayUuid() + ")";
            } else if (!meta.layout().equals(layout)) {
                problem = path + " has another geometry";
            } else if (sb.memberIndex() != m.index || !sb.self().uuid().equals(m.uuid)) {
                problem = path + " is member " + sb.memberIndex() + " of this array, not member " + m.index;
            } else {
                synchronized (stateLock) {
                    MemberRecord known = record(m);
                    if (!known.knows(sb.events(), sb.generation())) {
                        problem = "member " + m.index + " (" + path + ") was written elsewhere since it failed "
                                + "(split brain)";
                    } else {
                        remember(m, sb);
                    }
                }
            }
        } catch (NoMetadataException e) {
            problem = path + " has no fr1 metadata";
        } catch (fr1.meta.CorruptMetadataException e) {
            problem = e.getMessage();
        }
        if (problem == null && !full) {
            return meta;
        }
        if (!full) {
            throw new ArrayException(problem + "; use add --full to copy every chunk to it");
        }
        return formatMember(storage, path, m.index, m.uuid);
    }

    private void addNew(Path path, boolean full) throws IOException {
        if (!full) {
            throw new ArrayException(path + " is not a member of this array; use add --full to make it one and "
                    + "copy every chunk to it");
        }
        Member m;
        synchronized (stateLock) {
            m = null;
            for (Member x : members) {
                if (x.state == MemberState.REMOVED) {
                    m = x;
                    break;
                }
            }
            if (m == null) {
                if (members.size() >= Math.min(MAX_MEMBERS, layout.maxMembers())) {
                    throw new ArrayException("the array has " + members.size() + " members, the most it can hold");
                }
                m = new Member(members.size(), UUID.randomUUID());
                m.state = MemberState.REMOVED;
                m.generation = generation;
                m.prevGeneration = generation;
                members.add(m);
            }
        }
        Member slot = m;
        awaitQuiesced(slot);
        ArrayFactory.ensureCapacity(path, layout.minCapacity());
        Storage storage = openMember(path);
        try {
            MetaStore meta = formatMember(storage, path, slot.index, slot.uuid);
            synchronized (stateLock) {
                slot.path = path;
                slot.attach(storage, meta, options.ioThreads());
                slot.missed = RoaringBitmap.bitmapOfRange(0, layout.chunks());
                slot.state = MemberState.RECOVERING;
                slot.reason = null;
                events++;
                stateLock.notifyAll();
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(storage);
            throw e;
        }
        LOG.info("{} added as a new member; full resync of {} chunks starts", slot.describe(), layout.chunks());
        emit("member-added", slot, "new member, full, " + layout.chunks() + " chunks to copy");
        persist();
    }

    /**
     * A member was removed for good: a spare, if one is there, takes its place with a full resync (as md does).
     */
    private void promoteSpare() {
        Member spare = null;
        synchronized (stateLock) {
            for (Member m : members) {
                if (m.state == MemberState.SPARE && m.storage != null) {
                    spare = m;
                    break;
                }
            }
        }
        if (spare == null) {
            return;
        }
        try {
            Storage storage;
            synchronized (stateLock) {
                storage = spare.storage;
            }
            MetaStore meta = formatMember(storage, spare.path, spare.index, spare.uuid);
            synchronized (stateLock) {
                if (spare.state != MemberState.SPARE) {
                    return;
                }
                spare.meta = meta;
                spare.missed = RoaringBitmap.bitmapOfRange(0, layout.chunks());
                spare.state = MemberState.RECOVERING;
                events++;
                stateLock.notifyAll();
            }
            LOG.info("{}: spare put to use; full resync of {} chunks starts", spare.describe(), layout.chunks());
            emit("spare-activated", spare, layout.chunks() + " chunks to copy");
            persist();
        } catch (IOException e) {
            LOG.error("{}: spare could not be put to use: {}", spare.describe(), reason(e));
            synchronized (stateLock) {
                spare.state = MemberState.FAULTY;
                spare.reason = "spare activation: " + reason(e);
                spare.detach();
            }
        }
    }

    /** Lays fresh metadata for member {@code index} on a path (used by add --full). */
    private MetaStore formatMember(Storage storage, Path path, int index, UUID memberUuid) throws IOException {
        Superblock sb;
        synchronized (stateLock) {
            List<MemberRecord> records = new ArrayList<>();
            for (Member x : members) {
                MemberRecord r = record(x);
                if (x.index == index) {
                    r = new MemberRecord(memberUuid, MemberState.RECOVERING.code(), 0, events, generation, events,
                            generation, 0, RoaringBitmap.bitmapOfRange(0, layout.chunks()));
                }
                records.add(r);
            }
            sb = new Superblock(arrayUuid, index, false, layout.size(), layout.chunkSize(), events, generation,
                    records);
        }
        return MetaStore.format(storage, path.toString(), new Anchor(arrayUuid, layout), sb);
    }

    private Storage openMember(Path path) throws IOException {
        try {
            return opener.open(path);
        } catch (IOException e) {
            throw new ArrayException("cannot open " + path + ": " + reason(e));
        }
    }

    private Member resolve(String member) throws ArrayException {
        Member m = resolveOrNull(member);
        if (m == null) {
            throw new ArrayException("no member " + member + " in this array");
        }
        return m;
    }

    /** A member by index ("1") or by path (compared after resolving links), or null. */
    private Member resolveOrNull(String member) {
        synchronized (stateLock) {
            if (member.matches("\\d{1,3}")) {
                int i = Integer.parseInt(member);
                return i < members.size() ? members.get(i) : null;
            }
            Path wanted = canonical(Path.of(member));
            for (Member m : members) {
                if (m.path != null && canonical(m.path).equals(wanted)) {
                    return m;
                }
            }
            // Another name for a member's file (a hard link, a bind mount): the same member, never a new one.
            Object file = ArrayFactory.identity(Path.of(member));
            for (Member m : members) {
                if (m.path != null && ArrayFactory.identity(m.path).equals(file)) {
                    return m;
                }
            }
            return null;
        }
    }

    /**
     * The file a path names, for telling whether two paths are the same member: links resolved, also a link to a
     * file that does not exist yet (create would make it through the link) and a missing file in a linked directory.
     */
    static Path canonical(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        for (int hops = 0; hops < 40; hops++) {
            try {
                return abs.toRealPath();
            } catch (IOException e) {
                // Missing, or a dangling link: resolve what can be.
            }
            if (java.nio.file.Files.isSymbolicLink(abs)) {
                try {
                    abs = abs.resolveSibling(java.nio.file.Files.readSymbolicLink(abs)).toAbsolutePath().normalize();
                    continue;
                } catch (IOException e) {
                    return abs;
                }
            }
            Path parent = abs.getParent();
            if (parent == null) {
                return abs;
            }
            try {
                return parent.toRealPath().resolve(abs.getFileName());
            } catch (IOException e) {
                return abs;
            }
        }
        return abs;
    }

    // ---------------------------------------------------------------- metadata

    /** Writes the current state to the superblock of every member that takes writes. */
    private void persist() throws IOException {
        metaLock.lock();
        try {
            List<Member> targets = new ArrayList<>();
            List<Superblock> blocks = new ArrayList<>();
            synchronized (stateLock) {
                for (Member m : members) {
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
                List<MemberRecord> records = new ArrayList<>(members.size());
                for (Member m : members) {
                    records.add(record(m));
                }
                for (Member m : targets) {
                    blocks.add(new Superblock(arrayUuid, m.index, clean, layout.size(), layout.chunkSize(), events,
                            generation, records));
                }
                missedChanged = false;
            }
            List<Future<Void>> futures = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                Member m = targets.get(i);
                MetaStore meta = m.meta;
                Superblock sb = blocks.get(i);
                try {
                    futures.add(m.submit(m.io, () -> {
                        meta.writeSuperblock(sb);
                        return null;
                    }));
                } catch (IOException e) {
                    futures.add(java.util.concurrent.CompletableFuture.failedFuture(e));
                }
            }
            long deadline = Member.deadline(options.ioTimeout());
            for (int i = 0; i < targets.size(); i++) {
                try {
                    Member.await(futures.get(i), deadline, targets.get(i).index);
                } catch (IOException e) {
                    failMember(targets.get(i), "metadata write: " + reason(e), null);
                }
            }
        } finally {
            metaLock.unlock();
        }
    }

    private void persistQuietly() {
        try {
            persist();
        } catch (IOException e) {
            LOG.error("metadata update failed: {}", reason(e));
        }
    }

    /**
     * A returning member's superblock is the one just read from it: the next metadata write's (events, generation)
     * pair rotates into prev from this one. Rotating from the pair of a write that never reached it (a full member is
     * re-added, and fails at that very write, again and again) lost track of what it holds: it was then taken for
     * split brain. Caller holds stateLock.
     */
    private static void remember(Member m, Superblock onDisk) {
        m.lastEvents = onDisk.events();
        m.generation = onDisk.generation();
    }

    /** The member as stored in the superblock; caller holds stateLock. */
    private MemberRecord record(Member m) {
        UUID gen = m.generation == null ? generation : m.generation;
        UUID prev = m.prevGeneration == null ? gen : m.prevGeneration;
        int flags = (m.flags & ~1) | (m.writeBehind ? 1 : 0);
        return new MemberRecord(m.uuid, m.state.code(), flags, m.lastEvents, gen, m.prevEvents, prev,
                m.lastResyncChunks, m.missed.clone());
    }

    /** The write-intent sink: bitmap pages to every member that takes writes, forced, in parallel. */
    private void writeWibPages(int[] pages, byte[][] contents) throws IOException {
        List<Member> targets = new ArrayList<>();
        List<Future<Void>> futures = new ArrayList<>();
        List<Member> behindTargets = new ArrayList<>();
        List<Future<Void>> behindFutures = new ArrayList<>();
        synchronized (stateLock) {
            for (Member m : members) {
                if ((m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING) && m.meta != null) {
                    MetaStore meta = m.meta;
                    Storage s = m.storage;
                    if (async && m.writeBehind) {
                        // Recovery takes its source, and so its bitmap, from a member that is not write-behind:
                        // a lagging member's copy need not be waited for. Queued in order, off the write path.
                        m.wibTail = m.wibTail.exceptionally(t -> null).thenRunAsync(() -> {
                            try {
                                for (int i = 0; i < pages.length; i++) {
                                    meta.writeWibPage(pages[i], contents[i]);
                                }
                                s.force();
                            } catch (IOException e) {
                                throw new java.util.concurrent.CompletionException(e);
                            }
                        }, m.io);
                        m.wibTail.whenComplete((v, t) -> {
                            if (t != null) {
                                failMember(m, "bitmap write: " + reason(t.getCause() == null ? t : t.getCause()),
                                        null);
                            }
                        });
                        behindTargets.add(m);
                        behindFutures.add(m.wibTail);
                        continue;
                    }
                    targets.add(m);
                    try {
                        futures.add(m.submit(m.io, () -> {
                            for (int i = 0; i < pages.length; i++) {
                                meta.writeWibPage(pages[i], contents[i]);
                            }
                            s.force();
                            return null;
                        }));
                    } catch (IOException e) {
                        futures.add(java.util.concurrent.CompletableFuture.failedFuture(e));
                    }
                }
            }
        }
        long deadline = Member.deadline(options.ioTimeout());
        int ok = 0;
        for (int i = 0; i < targets.size(); i++) {
            try {
                Member.await(futures.get(i), deadline, targets.get(i).index);
                if (isInSync(targets.get(i))) {
                    ok++;
                }
            } catch (IOException e) {
                failMember(targets.get(i), "bitmap write: " + reason(e), null);
            }
        }
        if (ok == 0) {
            // No synchronous member took the pages (none is in sync, or the last one failed meanwhile): the
            // write-behind copies, queued in order, are then what recovery starts from. Wait for them.
            for (int i = 0; i < behindTargets.size(); i++) {
                try {
                    Member.await(behindFutures.get(i), deadline, behindTargets.get(i).index);
                    if (isInSync(behindTargets.get(i))) {
                        ok++;
                    }
                } catch (IOException e) {
                    // The queue's own completion handler fails the member.
                }
            }
        }
        if (ok == 0) {
            throw new NoCurrentMemberException("the write-intent bitmap could not be written to any in-sync member");
        }
    }

    // ---------------------------------------------------------------- background work

    private void housekeep() {
        long period = options.quietPeriod().toMillis();
        while (true) {
            synchronized (stateLock) {
                if (closed) {
                    return;
                }
                try {
                    stateLock.wait(period);
                } catch (InterruptedException e) {
                    return;
                }
                if (closed) {
                    return;
                }
            }
            try {
                checkPaths();
                if (allTrackedInSync()) {
                    wib.sweep(this::writeInFlight);
                }
                boolean persistNow;
                synchronized (stateLock) {
                    persistNow = missedChanged;
                }
                if (persistNow) {
                    persist();
                }
            } catch (IOException | RuntimeException e) {
                LOG.error("housekeeping failed: {}", reason(e));
            }
        }
    }

    /** True if a write holds the stripe of any chunk of {@code first..last} now. */
    private boolean writeInFlight(int first, int last) {
        // Chunk c is stripe c % STRIPES: STRIPES consecutive chunks cover every stripe.
        for (long c = first; c <= last && c < (long) first + STRIPES; c++) {
            if (writeInFlight((int) c)) {
                return true;
            }
        }
        return false;
    }

    /** True if a write holds chunk {@code c}'s stripe now. */
    private boolean writeInFlight(int c) {
        if (behindAll.get(c % STRIPES) > 0) {
            return true;
        }
        if (locks.tryLockChunk(c)) {
            locks.unlockChunk(c);
            return false;
        }
        return true;
    }

    /** True if no member is faulty or recovering: then nobody needs the bitmap to know what it missed. */
    private boolean allTrackedInSync() {
        synchronized (stateLock) {
            for (Member m : members) {
                if (m.state == MemberState.FAULTY || m.state == MemberState.RECOVERING) {
                    return false;
                }
            }
            return true;
        }
    }

    private void resyncLoop() {
        while (true) {
            Member target;
            synchronized (stateLock) {
                target = null;
                while (!closed) {
                    for (Member m : members) {
                        if (m.state == MemberState.RECOVERING) {
                            target = m;
                            break;
                        }
                    }
                    if (target != null) {
                        break;
                    }
                    try {
                        stateLock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
            }
            try {
                resync(target);
            } catch (RuntimeException e) {
                LOG.error("resync of {} stopped: {}", target.describe(), reason(e));
                failMember(target, "resync: " + reason(e), null);
            }
        }
    }

    /** Copies the target's missed chunks in runs from an in-sync member until none is left or it fails. */
    private void resync(Member target) {
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(MAX_RUN_BYTES, layout.chunkSize()));
        int maxRunChunks = Math.max(1, MAX_RUN_BYTES / layout.chunkSize());
        long copied = 0;
        long startNanos = System.nanoTime();
        Rates rate = new Rates(startNanos);
        synchronized (stateLock) {
            resyncing = target;
            resyncDone = 0;
            resyncTotal = target.missed.getLongCardinality();
            resyncFull = resyncTotal == layout.chunks();
            resyncRate = 0;
        }
        LOG.info("resync of {} started: {} chunks", target.describe(), resyncTotal);
        emit("resync-started", target, resyncTotal + " chunks");
        try {
            while (true) {
                int first;
                int last;
                Member source;
                synchronized (stateLock) {
                    while (resyncPaused && !closed && target.state == MemberState.RECOVERING) {
                        try {
                            stateLock.wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    if (closed || target.state != MemberState.RECOVERING) {
                        return;
                    }
                    if (target.missed.isEmpty()) {
                        target.state = MemberState.IN_SYNC;
                        target.lastResyncChunks = copied;
                        target.reason = null;
                        events++;
                        stateLock.notifyAll();
                        break;
                    }
                    first = target.missed.first();
                    last = first;
                    while (last - first + 1 < maxRunChunks && last + 1 < layout.chunks()
                            && target.missed.contains(last + 1)) {
                        last++;
                    }
                    source = pickReader(List.of(), first, last);
                }
                if (source == null) {
                    LOG.error("resync of {} stopped: no in-sync member to copy from", target.describe());
                    return;
                }
                long off = (long) first * layout.chunkSize();
                int len = (int) (Math.min(layout.size(), (long) (last + 1) * layout.chunkSize()) - off);
                StripeLocks.Held held = locks.lock(first, last);
                try {
                    buf.clear().limit(len);
                    try {
                        call(source, s -> s.readFully(buf.duplicate(), off));
                    } catch (IOException e) {
                        failMember(source, "read: " + reason(e), null);
                        continue;
                    }
                    try {
                        call(target, s -> s.writeFully(buf.duplicate(), off));
                    } catch (IOException e) {
                        failMember(target, "resync write: " + reason(e), null);
                        return;
                    }
                    synchronized (stateLock) {
                        if (target.state == MemberState.RECOVERING) {
                            target.missed.remove((long) first, (long) last + 1);
                            copied += last - first + 1;
                            resyncDone = copied;
                            rate.add(len, System.nanoTime());
                            resyncRate = rate.bytesPerSecond();
                            missedChanged = true;
                        }
                    }
                } finally {
                    held.unlock();
                }
                try {
                    throttle.pace(len);
                } catch (InterruptedException e) {
                    return;
                }
            }
            try {
                call(target, Storage::force);
            } catch (IOException e) {
                failMember(target, "resync fsync: " + reason(e), null);
                return;
            }
            long ms = (System.nanoTime() - startNanos) / 1_000_000;
            LOG.info("resync of {} finished: {} chunks copied in {} ms", target.describe(), copied, ms);
            emit("resync-finished", target, copied + " chunks copied in " + ms + " ms");
            synchronized (stateLock) {
                target.probeBackoffNanos = 0;
            }
            persistQuietly();
        } finally {
            synchronized (stateLock) {
                resyncing = null;
            }
        }
    }

    @FunctionalInterface
    private interface StorageCall {
        void run(Storage s) throws IOException;
    }

    /** Runs one call on a member's pool with the I/O deadline. */
    private void call(Member m, StorageCall c) throws IOException {
        Storage s;
        java.util.concurrent.ExecutorService pool;
        synchronized (stateLock) {
            s = m.storage;
            pool = m.io;
        }
        if (s == null) {
            throw new IOException("member " + m.index + " is detached");
        }
        Future<Void> f = m.submit(pool, () -> {
            c.run(s);
            return null;
        });
        Member.await(f, Member.deadline(options.ioTimeout()), m.index);
    }

    /** Blocks until no resync is running or the timeout passes; true if idle. */
    public boolean awaitResyncIdle(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (stateLock) {
            while (true) {
                boolean busy = resyncing != null;
                for (Member m : members) {
                    busy |= m.state == MemberState.RECOVERING;
                }
                if (!busy) {
                    return true;
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                stateLock.wait(Math.max(1, Math.min(left / 1_000_000, 100)));
            }
        }
    }

    /**
     * Fails members whose path vanished (unmounted, deleted) or now names another file (remounted, replaced): the
     * open descriptor may still work on the old file, but that is no longer the member the user named.
     */
    private void checkPaths() {
        List<Member> live = new ArrayList<>();
        synchronized (stateLock) {
            for (Member m : members) {
                if ((m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING) && m.fileKey != null) {
                    live.add(m);
                }
            }
        }
        for (Member m : live) {
            // Off the member's own pool: a write-behind backlog there must not make a slow member look dead.
            // At most one check per member in flight, so a path that hangs holds one thread, not one per period.
            Future<Object> f = m.pathCheck;
            if (f == null) {
                try {
                    m.pathCheck = probePool.submit(() -> Member.fileKey(m.path));
                    m.pathCheckStarted = System.nanoTime();
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    return;
                }
                f = m.pathCheck;
            }
            Object now;
            try {
                long left = m.pathCheckStarted + options.ioTimeout().toNanos() - System.nanoTime();
                now = f.get(Math.max(0, Math.min(left, 50_000_000L)), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                if (System.nanoTime() - m.pathCheckStarted > options.ioTimeout().toNanos()) {
                    m.pathCheck = null;
                    failMember(m, "path check: member " + m.index + " did not answer in time", null);
                }
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                now = null;
            }
            m.pathCheck = null;
            if (now == null) {
                failMember(m, "path vanished", null);
            } else if (!now.equals(m.fileKey)) {
                failMember(m, "path now names another file", null);
            }
        }
    }

    private void probeLoop() {
        while (true) {
            long waitMs;
            List<Member> due = new ArrayList<>();
            synchronized (stateLock) {
                if (closed) {
                    return;
                }
                long now = System.nanoTime();
                long next = now + options.probeInterval().toNanos();
                for (Member m : members) {
                    if (m.state != MemberState.FAULTY || m.manual || m.path == null
                            || (m.probing != null && !m.probing.isDone())) {
                        continue;
                    }
                    if (m.nextProbeNanos <= now) {
                        due.add(m);
                    } else {
                        next = Math.min(next, m.nextProbeNanos);
                    }
                }
                waitMs = due.isEmpty() ? Math.max(1, (next - now) / 1_000_000) : 0;
                if (waitMs > 0) {
                    try {
                        stateLock.wait(waitMs);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
                for (Member m : due) {
                    long backoff = m.probeBackoffNanos == 0 ? options.probeInterval().toNanos()
                            : Math.min(m.probeBackoffNanos * 2, options.probeMaxInterval().toNanos());
                    m.probeBackoffNanos = backoff;
                    m.nextProbeNanos = now + backoff;
                    try {
                        m.probing = probePool.submit(() -> probe(m));
                    } catch (java.util.concurrent.RejectedExecutionException e) {
                        return;
                    }
                }
            }
        }
    }

    /**
     * Looks at a faulty member's path, off the I/O path, with the I/O deadline: if it answers and its metadata shows
     * it is ours and only missed updates, re-add it and start the fast resync. Never creates anything.
     */
    private void probe(Member m) {
        Path path;
        synchronized (stateLock) {
            if (m.state != MemberState.FAULTY || m.manual) {
                return;
            }
            path = m.path;
        }
        Storage storage = null;
        try {
            if (!m.quiesced()) {
                throw new IOException("I/O from before it failed is still in flight");
            }
            Future<Storage> opening = probePool.submit(() -> opener.open(path));
            storage = Member.await(opening, Member.deadline(options.ioTimeout()), m.index);
            Storage s = storage;
            // One MetaStore both reads the superblock and, once re-added, writes the next: reading tells it which
            // slot is the newest, so its next write goes to the other one. A second, fresh MetaStore would start from
            // sequence 0 and could overwrite (and, failing half way, destroy) the newest valid slot.
            MetaStore meta = Member.await(probePool.submit(() -> MetaStore.open(s, path.toString())),
                    Member.deadline(options.ioTimeout()), m.index);
            Superblock sb = Member.await(probePool.submit(meta::readSuperblock), Member.deadline(options.ioTimeout()),
                    m.index);
            String problem = null;
            synchronized (stateLock) {
                if (m.state != MemberState.FAULTY || m.manual || closed) {
                    closeQuietly(storage);
                    return;
                }
                if (!meta.anchor().arrayUuid().equals(arrayUuid) || sb.memberIndex() != m.index
                        || !sb.self().uuid().equals(m.uuid)) {
                    problem = "holds another array's or member's metadata";
                } else if (!record(m).knows(sb.events(), sb.generation())) {
                    m.state = MemberState.SPLIT_BRAIN;
                    m.reason = "written elsewhere since it failed (events " + sb.events() + ")";
                    events++;
                } else {
                    m.attach(storage, meta, options.ioThreads());
                    remember(m, sb);
                    m.state = MemberState.RECOVERING;
                    m.reason = null;
                    events++;
                    stateLock.notifyAll();
                }
            }
            if (problem != null) {
                throw new IOException(problem);
            }
            if (m.state == MemberState.SPLIT_BRAIN) {
                closeQuietly(storage);
                LOG.warn("{}: split brain: {}; not touched. Use 'fr1 add --full' to overwrite it.", m.describe(),
                        m.reason);
                emit("split-brain", m, m.reason);
            } else {
                LOG.info("{} is back; re-added, {} missed chunks to copy", m.describe(), m.missed.getLongCardinality());
                emit("member-recovered", m, m.missed.getLongCardinality() + " missed chunks to copy");
            }
            persistQuietly();
        } catch (IOException | RuntimeException e) {
            if (storage != null) {
                closeQuietly(storage);
            }
            long now = System.nanoTime();
            boolean say;
            synchronized (stateLock) {
                say = now - m.lastProbeLogNanos > 60_000_000_000L || m.lastProbeLogNanos == 0;
                if (say) {
                    m.lastProbeLogNanos = now;
                }
            }
            if (say) {
                // Rate-limited: a member that stays away is not worth a line a second.
                LOG.info("{} still unreachable: {}", m.describe(), reason(e));
                emit("probe-failed", m, reason(e));
            }
        }
    }

    private void emit(String name, Member m, String detail) {
        emitRaw(new EventListener.MirrorEvent(name, m.index, m.path == null ? null : m.path.toString(), detail));
    }

    private void emitRaw(EventListener.MirrorEvent e) {
        try {
            options.events().onEvent(e);
        } catch (RuntimeException ex) {
            LOG.error("event listener failed on {}: {}", e.name(), reason(ex));
        }
    }

    // ---------------------------------------------------------------- status

    public MirrorStatus status() {
        synchronized (stateLock) {
            List<MirrorStatus.Member> list = new ArrayList<>();
            boolean degraded = false;
            boolean recovering = false;
            for (Member m : members) {
                list.add(new MirrorStatus.Member(m.index, m.path == null ? null : m.path.toString(), m.state.label(),
                        m.missed.getLongCardinality(), m.lastResyncChunks, m.reason, async && m.writeBehind,
                        m.lag.get(), runs(m.missed)));
                degraded |= m.state != MemberState.IN_SYNC && m.state != MemberState.SPARE;
                recovering |= m.state == MemberState.RECOVERING;
            }
            String state = closed ? "stopped" : recovering ? "recovering" : degraded ? "degraded" : "active";
            MirrorStatus.Resync rs = resyncing == null ? MirrorStatus.Resync.idle()
                    : new MirrorStatus.Resync(true, resyncing.index, resyncDone, resyncTotal, resyncRate, resyncFull,
                            resyncPaused);
            MirrorStatus.Check ck = new MirrorStatus.Check(checkActive, checkRepair, checkDone, checkTotal,
                    checkMismatches, checkRepaired, checkFirst);
            return new MirrorStatus(arrayUuid.toString(), layout.size(), layout.chunkSize(), events, state,
                    List.copyOf(list), rs, ck);
        }
    }

    /** A missed set as runs, at most MAX_RUNS (the rest merged into the last run, so the map stays honest). */
    private static List<MirrorStatus.Run> runs(RoaringBitmap set) {
        List<MirrorStatus.Run> out = new ArrayList<>();
        if (set.isEmpty()) {
            return out;
        }
        long start = -1;
        long prev = -2;
        org.roaringbitmap.IntIterator it = set.getIntIterator();
        while (it.hasNext()) {
            long c = Integer.toUnsignedLong(it.next());
            if (c != prev + 1) {
                if (start >= 0) {
                    out.add(new MirrorStatus.Run(start, prev - start + 1));
                }
                start = c;
            }
            prev = c;
        }
        out.add(new MirrorStatus.Run(start, prev - start + 1));
        if (out.size() > MirrorStatus.Member.MAX_RUNS) {
            MirrorStatus.Run cut = out.get(MirrorStatus.Member.MAX_RUNS - 1);
            MirrorStatus.Run end = out.getLast();
            List<MirrorStatus.Run> capped = new ArrayList<>(out.subList(0, MirrorStatus.Member.MAX_RUNS - 1));
            capped.add(new MirrorStatus.Run(cut.start(), end.start() + end.length() - cut.start()));
            return capped;
        }
        return out;
    }

    // ---------------------------------------------------------------- resync control and scrub

    /** Pauses the resync (it keeps its place; close and remount keep it too). */
    public void pauseResync() {
        synchronized (stateLock) {
            resyncPaused = true;
            stateLock.notifyAll();
        }
        LOG.info("resync paused");
    }

    public void resumeResync() {
        synchronized (stateLock) {
            resyncPaused = false;
            stateLock.notifyAll();
        }
        LOG.info("resync resumed");
    }

    /**
     * Starts a scrub in the background: every chunk is read from every in-sync member and compared, paced like a
     * resync. With {@code repair}, a chunk whose copies differ is rewritten from {@code source} (path or index), or
     * without one from the copy a strict majority of members hold (three or more members).
     */
    public void check(boolean repair, String source) throws IOException {
        Member src = source == null ? null : resolve(source);
        synchronized (stateLock) {
            if (checkActive) {
                throw new ArrayException("a check is already running");
            }
            if (src != null && src.state != MemberState.IN_SYNC) {
                throw new ArrayException("member " + src.index + " is " + src.state.label() + ", not in sync");
            }
            int inSync = countStateLocked(MemberState.IN_SYNC);
            if (inSync < 2) {
                throw new ArrayException("a check needs two in-sync members; there is " + inSync);
            }
            if (repair && src == null && inSync < 3) {
                throw new ArrayException("with " + inSync + " in-sync members there is no majority: name the member "
                        + "to repair from");
            }
            checkActive = true;
            checkRepair = repair;
            checkDone = 0;
            checkTotal = layout.chunks();
            checkMismatches = 0;
            checkRepaired = 0;
            checkFirst.clear();
            checkThread = Thread.ofPlatform().daemon().name("fr1-check").start(() -> scrub(repair, src));
        }
        LOG.info("{} started{}", repair ? "repair" : "check", src == null ? "" : " from " + src.describe());
    }

    private void scrub(boolean repair, Member src) {
        int runChunks = Math.max(1, (1 << 20) / layout.chunkSize());
        int chunk = layout.chunkSize();
        try {
            for (int first = 0; first < layout.chunks(); first += runChunks) {
                int last = Math.min(layout.chunks() - 1, first + runChunks - 1);
                long off = (long) first * chunk;
                int len = (int) (Math.min(layout.size(), (long) (last + 1) * chunk) - off);
                List<Member> peers = new ArrayList<>();
                StripeLocks.Held held = locks.lock(first, last);
                try {
                    synchronized (stateLock) {
                        if (closed) {
                            return;
                        }
                        for (Member m : members) {
                            if (m.state == MemberState.IN_SYNC && m.storage != null && !laggingOn(m, first, last)) {
                                peers.add(m);
                            }
                        }
                    }
                    if (peers.size() >= 2) {
                        compareRun(peers, first, last, off, len, repair, src);
                    }
                } finally {
                    held.unlock();
                }
                synchronized (stateLock) {
                    checkDone = last + 1L;
                }
                throttle.pace((long) len * peers.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            long mismatches;
            long repaired;
            synchronized (stateLock) {
                checkActive = false;
                mismatches = checkMismatches;
                repaired = checkRepaired;
                stateLock.notifyAll();
            }
            LOG.info("{} finished: {} mismatched chunks{}", repair ? "repair" : "check", mismatches,
                    repair ? ", " + repaired + " repaired" : "");
            emitRaw(new EventListener.MirrorEvent(repair ? "repair-finished" : "check-finished", -1, null,
                    mismatches + " mismatched chunks" + (repair ? ", " + repaired + " repaired" : "")));
        }
    }

    /** Compares one run on every peer (stripes held) and, if asked, repairs the chunks that differ. */
    private void compareRun(List<Member> peers, int first, int last, long off, int len, boolean repair, Member src) {
        List<ByteBuffer> copies = new ArrayList<>();
        List<Member> read = new ArrayList<>();
        for (Member m : peers) {
            ByteBuffer b = ByteBuffer.allocate(len);
            try {
                call(m, s -> s.readFully(b.duplicate(), off));
                copies.add(b);
                read.add(m);
            } catch (IOException e) {
                failMember(m, "check read: " + reason(e), null);
            }
        }
        if (read.size() < 2) {
            return;
        }
        int chunk = layout.chunkSize();
        for (int c = first; c <= last; c++) {
            int at = (c - first) * chunk;
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
            synchronized (stateLock) {
                checkMismatches++;
                if (checkFirst.size() < 100) {
                    checkFirst.add((long) c);
                }
            }
            LOG.warn("check: chunk {} differs between members", c);
            if (repair) {
                ByteBuffer good = goodCopy(slices, read, src);
                if (good == null) {
                    LOG.warn("repair: chunk {} has no majority copy; left as it is", c);
                    continue;
                }
                boolean ok = true;
                for (int i = 0; i < read.size(); i++) {
                    if (!slices.get(i).equals(good)) {
                        long pos = off + at;
                        try {
                            call(read.get(i), s -> s.writeFully(good.duplicate(), pos));
                        } catch (IOException e) {
                            ok = false;
                            failMember(read.get(i), "repair write: " + reason(e), new long[] {c, c});
                        }
                    }
                }
                if (ok) {
                    synchronized (stateLock) {
                        checkRepaired++;
                    }
                }
            }
        }
    }

    /** The copy to repair from: the named member's, else one that a strict majority of the copies equal. */
    private static ByteBuffer goodCopy(List<ByteBuffer> slices, List<Member> read, Member src) {
        if (src != null) {
            int i = read.indexOf(src);
            return i < 0 ? null : slices.get(i);
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

    /** Blocks until no check is running or the timeout passes; true if idle. */
    public boolean awaitCheckIdle(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (stateLock) {
            while (checkActive) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                stateLock.wait(Math.max(1, Math.min(left / 1_000_000, 100)));
            }
            return true;
        }
    }

    private int countState(MemberState s) {
        synchronized (stateLock) {
            return countStateLocked(s);
        }
    }

    private int countStateLocked(MemberState s) {
        int n = 0;
        for (Member m : members) {
            if (m.state == s) {
                n++;
            }
        }
        return n;
    }

    /** Write-intent bitmap commits so far (for tests and benchmarks). */
    long bitmapCommits() {
        return wib.commits();
    }

    // ---------------------------------------------------------------- close

    /**
     * Clean shutdown: stops resync (its progress is kept), forces data, records the exact missed sets, clears the
     * write-intent bitmap and marks the metadata clean. Idempotent.
     */
    @Override
    public void close() throws IOException {
        synchronized (stateLock) {
            if (closed) {
                return;
            }
            closed = true;
            stateLock.notifyAll();
        }
        IOException failure = null;
        probePool.shutdown();
        for (Thread t : new Thread[] {housekeeper, resyncThread, prober}) {
            if (t != null) {
                try {
                    t.join(options.ioTimeout().toMillis() * 2 + 1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        try {
            drainBehind(null, options.ioTimeout().multipliedBy(2));
            flush();
            persist();
            wib.clearAll(layout.chunks());
            synchronized (stateLock) {
                clean = true;
                events++;
            }
            persist();
        } catch (IOException e) {
            failure = e;
        }
        synchronized (stateLock) {
            for (Member m : members) {
                m.detach();
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void closeQuietly(Storage s) {
        try {
            if (s != null) {
                s.close();
            }
        } catch (IOException ignored) {
            // Nothing useful to do: the member is not in use.
        }
    }

    static String reason(Throwable e) {
        String msg = e.getMessage();
        String name = e.getClass().getSimpleName();
        return msg == null ? name : (e instanceof java.nio.file.FileSystemException ? name + ": " + msg : msg);
    }
}
