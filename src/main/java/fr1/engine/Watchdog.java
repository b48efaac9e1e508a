package fr1.engine;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Keeps the io-timeout rule for calls made on the caller's own thread (a member on a local file system is written
 * inline, without a hand-off): a call still running past the deadline has its member failed, so the array goes on
 * without it, although the calling thread itself stays in the kernel until the call returns.
 *
 * <p>Each calling thread has one reusable entry (no allocation per call); one daemon thread scans them every
 * {@code period}. Lock-free: entries are published through volatile fields.
 */
final class Watchdog implements AutoCloseable {

    /** One thread's inline call. The owner writes {@code slot} last on start and clears it on end. */
    static final class Entry {
        private final Thread owner = Thread.currentThread();
        private volatile Topology.Slot slot;
        private volatile long startNanos;
        private volatile long seq;
        private volatile long firedSeq = -1;
    }

    private final Set<Entry> entries = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Entry> mine = ThreadLocal.withInitial(this::newEntry);
    private final Clock clock;
    private final long timeoutNanos;
    private final long periodMillis;
    private final Consumer<Topology.Slot> onOverdue;
    private final Thread thread;
    private volatile boolean closed;

    Watchdog(Clock clock, long timeoutNanos, Consumer<Topology.Slot> onOverdue) {
        this(clock, timeoutNanos, onOverdue, true);
    }

    /**
     * Without {@code scanning} no thread scans: the caller calls {@link #scan} itself. For tests on a fake clock,
     * where a second scanner racing the test's own scan could report one overrun twice (a scan's check and its
     * mark are not one atomic step; with the one thread they need not be).
     */
    Watchdog(Clock clock, long timeoutNanos, Consumer<Topology.Slot> onOverdue, boolean scanning) {
        this.clock = clock;
        this.timeoutNanos = timeoutNanos;
        this.periodMillis = Math.max(10, Math.min(100, timeoutNanos / 4_000_000));
        this.onOverdue = onOverdue;
        this.thread = scanning ? Thread.ofPlatform().daemon().name("fr1-watchdog").start(this::loop) : null;
    }

    private Entry newEntry() {
        Entry e = new Entry();
        entries.add(e);
        return e;
    }

    /** Marks the start of an inline call on {@code slot}; returns the entry to pass to {@link #end}. */
    Entry start(Topology.Slot slot) {
        Entry e = mine.get();
        e.seq++;
        e.startNanos = clock.nanoTime();
        e.slot = slot;
        return e;
    }

    /** Marks its end; true if the call overran (its member is being failed: count the call as failed). */
    boolean end(Entry e) {
        e.slot = null;
        return e.firedSeq == e.seq;
    }

    /** Threads with an entry (for tests: entries of threads that ended are dropped by a scan). */
    int entries() {
        return entries.size();
    }

    /** One scan (the thread's loop; tests call it after advancing a fake clock). */
    void scan() {
        long now = clock.nanoTime();
        for (Entry e : entries) {
            Topology.Slot s = e.slot;
            if (s == null) {
                if (!e.owner.isAlive()) {
                    entries.remove(e); // threads come and go (libfuse2 makes one per request)
                }
                continue;
            }
            long seq = e.seq;
            if (now - e.startNanos > timeoutNanos && e.firedSeq != seq && e.slot == s) {
                e.firedSeq = seq;
                onOverdue.accept(s);
            }
        }
    }

    private void loop() {
        while (!closed) {
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
            scan();
        }
    }

    @Override
    public void close() {
        closed = true;
        if (thread == null) {
            return;
        }
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
