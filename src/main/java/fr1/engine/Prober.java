package fr1.engine;

import fr1.io.Storage;
import fr1.meta.MetaStore;
import fr1.meta.Superblock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices by itself when a faulty member comes back: looks at its path now and then (an interval that doubles
 * after each failed look, up to a cap), and re-adds it when its metadata shows it is ours and only missed updates.
 * A probe runs on its own thread and calls the member's file system directly, so a probe stuck on a dead mount
 * holds exactly one thread, and no second probe of that member starts until it returns.
 */
final class Prober implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Prober.class);
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    private final UUID arrayUuid;
    private final MirrorOptions options;
    private final Mirror.StorageOpener opener;
    private final Members members;
    private final MetaWriter meta;
    private final Events events;
    private final Clock clock;
    private final ExecutorService pool = Executors.newCachedThreadPool(
            r -> Thread.ofPlatform().daemon().name("fr1-probe").unstarted(r));
    private final Object lock = new Object();
    // Guarded by lock; indexed by member.
    private final long[] next = new long[Mirror.MAX_MEMBERS];
    private final long[] backoff = new long[Mirror.MAX_MEMBERS];
    private final long[] lastLog = new long[Mirror.MAX_MEMBERS];
    @SuppressWarnings("unchecked")
    private final Future<?>[] running = new Future[Mirror.MAX_MEMBERS];
    private long started;
    private boolean closed;
    private Thread thread;

    Prober(UUID arrayUuid, MirrorOptions options, Mirror.StorageOpener opener, Members members, MetaWriter meta,
           Events events, Clock clock) {
        this.arrayUuid = arrayUuid;
        this.options = options;
        this.opener = opener;
        this.members = members;
        this.meta = meta;
        this.events = events;
        this.clock = clock;
    }

    void start() {
        thread = Thread.ofPlatform().daemon().name("fr1-prober").start(this::loop);
    }

    /** A member just failed: not probed at once, but after the interval (or its back-off, if it keeps failing). */
    void failed(Member m) {
        synchronized (lock) {
            next[m.index] = clock.nanoTime() + Math.max(options.probeInterval().toNanos(), backoff[m.index]);
            lock.notifyAll();
        }
    }

    /** Probe now (fr1 up), back-off forgotten. */
    void probeSoon(Member m) {
        synchronized (lock) {
            next[m.index] = 0;
            backoff[m.index] = 0;
            lock.notifyAll();
        }
    }

    /** A resync finished: the member is healthy, its back-off starts over. */
    void resetBackoff(Member m) {
        synchronized (lock) {
            backoff[m.index] = 0;
        }
    }

    /** Threads probing now (a hung one counts): for tests. */
    int probing() {
        synchronized (lock) {
            int n = 0;
            for (Future<?> f : running) {
                n += f != null && !f.isDone() ? 1 : 0;
            }
            return n;
        }
    }

    /** Probes started so far (by the thread or by {@link #tick}): for tests. */
    long started() {
        synchronized (lock) {
            return started;
        }
    }

    /** Starts the probes that are due; returns how long to wait before the next is due. For the loop and tests. */
    long tick() {
        Topology t = members.topology();
        long now = clock.nanoTime();
        long wait = options.probeInterval().toNanos();
        synchronized (lock) {
            if (closed) {
                return -1;
            }
            for (Topology.Slot s : t.slots()) {
                Member m = s.member();
                int i = m.index;
                if (s.state() != MemberState.FAULTY || (running[i] != null && !running[i].isDone())) {
                    continue;
                }
                boolean manual = members.read(x -> m.manual || m.path == null);
                if (manual) {
                    continue;
                }
                if (next[i] > now) {
                    wait = Math.min(wait, next[i] - now);
                    continue;
                }
                backoff[i] = backoff[i] == 0 ? options.probeInterval().toNanos()
                        : Math.min(backoff[i] * 2, options.probeMaxInterval().toNanos());
                next[i] = now + backoff[i];
                try {
                    running[i] = pool.submit(() -> probe(m));
                    started++;
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    return -1;
                }
            }
        }
        return wait;
    }

    private void loop() {
        while (true) {
            long wait = tick();
            if (wait < 0) {
                return;
            }
            synchronized (lock) {
                if (closed) {
                    return;
                }
                try {
                    lock.wait(Math.max(1, Math.min(wait / 1_000_000, 1000)));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /**
     * Looks at a faulty member's path: if it answers and its metadata shows it is ours and only missed updates,
     * re-add it and start the fast resync. Never creates anything.
     */
    private void probe(Member m) {
        Path path = members.read(t -> m.state == MemberState.FAULTY && !m.manual ? m.path : null);
        if (path == null) {
            return;
        }
        Storage storage = null;
        try {
            if (!m.quiesced()) {
                throw new IOException("I/O from before it failed is still in flight");
            }
            storage = opener.open(path);
            PathFacts facts = PathFacts.read(path);
            // One MetaStore both reads the superblock and, once re-added, writes the next: reading tells it which
            // slot is the newest, so its next write goes to the other one.
            MetaStore store = MetaStore.open(storage, path.toString());
            Superblock sb = store.readSuperblock();
            Storage s = storage;
            String outcome = members.mutate(t -> {
                if (m.state != MemberState.FAULTY || m.manual || t.closed()) {
                    return "gone";
                }
                if (!store.anchor().arrayUuid().equals(arrayUuid) || sb.memberIndex() != m.index
                        || !sb.self().uuid().equals(m.uuid)) {
                    return "foreign";
                }
                if (!t.record(m).knows(sb.events(), sb.generation())) {
                    m.state = MemberState.SPLIT_BRAIN;
                    m.reason = "written elsewhere since it failed (events " + sb.events() + ")";
                    t.bump();
                    return "split";
                }
                m.attach(s, store, options.ioThreads(), facts);
                Mirror.remember(m, sb);
                m.state = MemberState.RECOVERING;
                m.reason = null;
                t.bump();
                return "back";
            });
            switch (outcome) {
                case "gone" -> Membership.closeQuietly(storage);
                case "foreign" -> throw new IOException("holds another array's or member's metadata");
                case "split" -> {
                    Membership.closeQuietly(storage);
                    String reason = members.read(t -> m.reason);
                    LOG.warn("{}: split brain: {}; not touched. Use 'fr1 add --full' to overwrite it.", m.describe(),
                            reason);
                    events.emit("split-brain", m, reason);
                    meta.persist();
                }
                default -> {
                    long missed = members.read(t -> m.missed.getLongCardinality());
                    LOG.info("{} is back; re-added, {} missed chunks to copy", m.describe(), missed);
                    events.emit("member-recovered", m, missed + " missed chunks to copy");
                    meta.persist();
                }
            }
        } catch (IOException | RuntimeException e) {
            Membership.closeQuietly(storage);
            long now = clock.nanoTime();
            boolean say;
            synchronized (lock) {
                say = lastLog[m.index] == 0 || now - lastLog[m.index] > LOG_EVERY_NANOS;
                if (say) {
                    lastLog[m.index] = now;
                }
            }
            if (say) {
                // Rate-limited: a member that stays away is not worth a line a second.
                LOG.info("{} still unreachable: {}", m.describe(), Mirror.reason(e));
                events.emit("probe-failed", m, Mirror.reason(e));
            }
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        pool.shutdownNow();
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            // A probe stuck in a dead mount stays (it is a daemon thread); a healthy one ends at once.
            pool.awaitTermination(options.ioTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
