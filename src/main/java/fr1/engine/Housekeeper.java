package fr1.engine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic work, once a quiet period: checks that each member's path still names the file that was attached,
 * forces members that hold unflushed writes (so what a failing member misses stays small), clears write-intent
 * bits of quiet chunks, and persists changed missed sets.
 */
final class Housekeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Housekeeper.class);

    private final Members members;
    private final WritePath writes;
    private final WriteIntent wib;
    private final WriteBehind behind;
    private final StripeLocks locks;
    private final Failures failures;
    private final MetaWriter meta;
    private final Clock clock;
    private final long periodMillis;
    private final long timeoutNanos;
    private final int stripes;
    /** Path checks, at most one per member in flight: a path that hangs holds one thread, not one per period. */
    private final ExecutorService checks = Executors.newCachedThreadPool(
            r -> Thread.ofPlatform().daemon().name("fr1-pathcheck").unstarted(r));
    // Housekeeper thread only.
    @SuppressWarnings("unchecked")
    private final Future<Object>[] pathCheck = new Future[Mirror.MAX_MEMBERS];
    private final long[] pathCheckStarted = new long[Mirror.MAX_MEMBERS];
    /** The member's epoch when its check started: a check of an earlier incarnation says nothing of this one. */
    private final int[] pathCheckEpoch = new int[Mirror.MAX_MEMBERS];
    private final Object wakeup = new Object();
    /** Reads a path's file identity (null: gone). Tests substitute one that hangs, as a dead mount does. */
    private volatile java.util.function.Function<java.nio.file.Path, Object> fileKeys = PathFacts::fileKey;
    private volatile boolean closed;
    private Thread thread;

    Housekeeper(Members members, WritePath writes, WriteIntent wib, WriteBehind behind, StripeLocks locks,
                int stripes, Failures failures, MetaWriter meta, Clock clock, long periodMillis, long timeoutNanos) {
        this.members = members;
        this.writes = writes;
        this.wib = wib;
        this.behind = behind;
        this.locks = locks;
        this.stripes = stripes;
        this.failures = failures;
        this.meta = meta;
        this.clock = clock;
        this.periodMillis = periodMillis;
        this.timeoutNanos = timeoutNanos;
    }

    void start() {
        thread = Thread.ofPlatform().daemon().name("fr1-housekeeper").start(this::loop);
    }

    private void loop() {
        while (!closed) {
            synchronized (wakeup) {
                try {
                    wakeup.wait(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (closed) {
                return;
            }
            try {
                round();
            } catch (RuntimeException | java.io.IOException e) {
                LOG.error("housekeeping failed: {}", Mirror.reason(e));
            }
        }
    }

    /** For tests: how path checks read a path's identity (default {@link PathFacts#fileKey}). */
    void fileKeys(java.util.function.Function<java.nio.file.Path, Object> f) {
        fileKeys = f;
    }

    /** One round of every periodic task (the thread's loop; tests call it directly). */
    void round() throws java.io.IOException {
        checkPaths();
        flushUnflushed();
        if (allTrackedInSync()) {
            wib.sweep(this::writeInFlight);
        }
        if (members.takeMissedChanged()) {
            meta.persist();
        }
    }

    /** Forces members that took writes since their last force (not write-behind ones: they are behind anyway). */
    private void flushUnflushed() {
        for (Topology.Slot s : members.topology().slots()) {
            if (s.takesWrites() && !s.member().unflushed.isEmpty()) {
                writes.flushMembers(false, s.index());
            }
        }
    }

    /**
     * True if a write holds, or a write-behind write is queued to, a stripe of chunks first..last, or a write-behind
     * member lacks one of them (its bit is what recovery after a crash copies it from).
     */
    private boolean writeInFlight(int first, int last) {
        for (Topology.Slot s : members.topology().slots()) {
            if (s.member().lagging.lacksAny(first, last)) {
                return true;
            }
        }
        long n = Math.min((long) last - first + 1, stripes); // past that every stripe has been asked
        for (long i = 0; i < n; i++) {
            int c = (int) (first + i);
            if (behind.queuedOn(c) || !locks.tryLockChunk(c)) {
                return true;
            }
            locks.unlockChunk(c);
        }
        return false;
    }

    /** True if no member is faulty or recovering: then nobody needs the bitmap to know what it missed. */
    private boolean allTrackedInSync() {
        Topology t = members.topology();
        return t.count(MemberState.FAULTY) == 0 && t.count(MemberState.RECOVERING) == 0;
    }

    /**
     * Fails members whose path vanished (unmounted, deleted) or now names another file (remounted, replaced): the
     * open descriptor may still work on the old file, but that is no longer the member the user named.
     */
    private void checkPaths() {
        for (Topology.Slot s : members.topology().slots()) {
            Member m = s.member();
            Object[] known = members.read(t -> m.fileKey == null || !s.takesWrites() ? null
                    : new Object[] {m.path, m.fileKey});
            int i = m.index;
            if (known == null) {
                continue;
            }
            Future<Object> f = pathCheck[i];
            if (f != null && pathCheckEpoch[i] != s.epoch()) {
                // Started before the member failed and came back (say, stat on an SSHFS link that was cut): its
                // answer is about the old connection. Dropped once it returns; a new check starts then.
                if (f.isDone()) {
                    pathCheck[i] = null;
                }
                continue;
            }
            if (f == null) {
                try {
                    java.nio.file.Path p = (java.nio.file.Path) known[0];
                    java.util.function.Function<java.nio.file.Path, Object> keys = fileKeys;
                    f = checks.submit(() -> keys.apply(p));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    return;
                }
                pathCheck[i] = f;
                pathCheckStarted[i] = clock.nanoTime();
                pathCheckEpoch[i] = s.epoch();
            }
            Object now;
            try {
                long left = pathCheckStarted[i] + timeoutNanos - clock.nanoTime();
                now = f.get(Math.max(0, Math.min(left, 50_000_000L)), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                if (clock.nanoTime() - pathCheckStarted[i] > timeoutNanos) {
                    pathCheck[i] = null;
                    failures.failNow(s, "path check: member " + i + " did not answer in time", -1, -1);
                }
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                now = null;
            }
            pathCheck[i] = null;
            if (now == null) {
                failures.failNow(s, "path vanished", -1, -1);
            } else if (!now.equals(known[1])) {
                failures.failNow(s, "path now names another file", -1, -1);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
        if (thread != null) {
            try {
                thread.join(timeoutNanos / 1_000_000 * 2 + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        checks.shutdownNow();
    }
}
