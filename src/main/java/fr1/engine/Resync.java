package fr1.engine;

import fr1.meta.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings recovering members up to date: copies each one's missed chunks from an in-sync member in sequential runs
 * of up to {@link #MAX_RUN_BYTES}, while I/O goes on (a run's stripes are locked while it is copied, so no copy
 * lands after a newer write). Progress is kept in the missed set itself: a resync stopped by close or a crash
 * continues with what is left. Paced by its own {@link Throttle}; can be paused.
 */
final class Resync implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Resync.class);
    static final int MAX_RUN_BYTES = 4 << 20;

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
    // Guarded by lock.
    private Member resyncing;
    private long done;
    private long total;
    private boolean full;
    private double rate;
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
            try {
                resync(target);
            } catch (RuntimeException e) {
                LOG.error("resync of {} stopped: {}", target.describe(), Mirror.reason(e));
                failures.failNow(target, "resync: " + Mirror.reason(e), -1, -1, true);
            }
        }
    }

    /** Copies the target's missed chunks in runs until none is left, it fails, or the array closes. */
    private void resync(Member target) {
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(MAX_RUN_BYTES, layout.chunkSize()));
        int maxRunChunks = Math.max(1, MAX_RUN_BYTES / layout.chunkSize());
        long copied = 0;
        long startNanos = clock.nanoTime();
        Rates rates = new Rates(startNanos);
        long count = members.read(t -> target.missed.getLongCardinality());
        synchronized (lock) {
            resyncing = target;
            done = 0;
            total = count;
            full = count == layout.chunks();
            rate = 0;
        }
        LOG.info("resync of {} started: {} chunks", target.describe(), count);
        events.emit("resync-started", target, count + " chunks");
        try {
            while (true) {
                int[] run;
                try {
                    run = members.await(t -> {
                        if (closed || t.closed() || target.state != MemberState.RECOVERING) {
                            return new int[] {-1, -1};
                        }
                        if (paused) {
                            return null;
                        }
                        if (target.missed.isEmpty()) {
                            return new int[] {-2, -2};
                        }
                        int first = target.missed.first();
                        int last = first;
                        while (last - first + 1 < maxRunChunks && last + 1 < layout.chunks()
                                && target.missed.contains(last + 1)) {
                            last++;
                        }
                        return new int[] {first, last};
                    }, 0);
                } catch (InterruptedException e) {
                    return;
                }
                if (run[0] == -1) {
                    return;
                }
                if (run[0] == -2) {
                    break;
                }
                int first = run[0];
                int last = run[1];
                Topology.Slot source = reads.pick(members.topology(), 0, first, last);
                if (source == null) {
                    LOG.error("resync of {} stopped: no in-sync member to copy from", target.describe());
                    return;
                }
                long off = (long) first * layout.chunkSize();
                int len = (int) (Math.min(layout.size(), (long) (last + 1) * layout.chunkSize()) - off);
                StripeLocks.Held held = locks.lock(first, last);
                try {
                    Topology.Slot to = members.slot(target);
                    if (to.state() != MemberState.RECOVERING) {
                        return;
                    }
                    buf.clear().limit(len);
                    try {
                        fanOut.one(source, s -> s.storage().readFully(buf.duplicate(), off));
                    } catch (IOException e) {
                        failures.failNow(source, "read: " + Mirror.reason(e), -1, -1);
                        continue;
                    }
                    try {
                        fanOut.one(to, s -> s.storage().writeFully(buf.duplicate(), off));
                    } catch (IOException e) {
                        failures.failNow(to, "resync write: " + Mirror.reason(e), first, last);
                        return;
                    }
                    members.noteWritten(to, first, last);
                    boolean still = members.mutate(t -> {
                        if (target.state != MemberState.RECOVERING) {
                            return false;
                        }
                        target.missed.remove((long) first, (long) last + 1);
                        t.missedChanged();
                        return true;
                    });
                    if (still) {
                        copied += last - first + 1;
                        rates.add(len, clock.nanoTime());
                        synchronized (lock) {
                            done = copied;
                            rate = rates.bytesPerSecond();
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
            Topology.Slot to = members.slot(target);
            try {
                fanOut.one(to, s -> s.storage().force());
            } catch (IOException e) {
                failures.failNow(target, "resync fsync: " + Mirror.reason(e), -1, -1, true);
                return;
            }
            long copiedAll = copied;
            boolean finished = members.mutate(t -> {
                if (target.state != MemberState.RECOVERING || !target.missed.isEmpty()) {
                    return false;
                }
                target.state = MemberState.IN_SYNC;
                target.lastResyncChunks = copiedAll;
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
        } finally {
            synchronized (lock) {
                resyncing = null;
            }
            members.wake();
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
