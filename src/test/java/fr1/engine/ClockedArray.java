package fr1.engine;

import fr1.io.FaultyStorage;
import fr1.io.FileStorage;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link TestArray} opened on a {@link FakeClock}, through an opener that counts the opens of each member's path
 * and can make them hang (deaf to interrupts, as an open on a dead NFS server is). Faults are shared with the
 * TestArray's: {@code t.fault(i)} applies to every storage opened for member i.
 */
final class ClockedArray {

    final TestArray t;
    final FakeClock clock = new FakeClock();
    private final Map<Path, AtomicInteger> opens = new ConcurrentHashMap<>();
    private final Map<Path, CountDownLatch> hangs = new ConcurrentHashMap<>();
    private final Map<Path, AtomicInteger> blocked = new ConcurrentHashMap<>();

    ClockedArray(TestArray t) {
        this.t = t;
    }

    /**
     * Options for fake-clock tests: io-timeout 60 s (of the fake clock for inline calls and path checks, so no step
     * of a test fails a member by accident), quiet period 1 h (the housekeeper's thread then waits an hour of real
     * time between rounds: the test runs rounds itself), probes after 1 s doubling to 4 s (fake), and resync
     * unthrottled (no pause of the resync moves the fake clock).
     */
    static MirrorOptions options() {
        return new MirrorOptions(Duration.ofSeconds(60), Duration.ofHours(1), 4)
                .withProbeInterval(Duration.ofSeconds(1), Duration.ofSeconds(4))
                .withResyncSpeed(0, 0);
    }

    Mirror open(MirrorOptions options) throws IOException {
        return Mirror.open(t.paths, options, p -> {
            opens.computeIfAbsent(key(p), k -> new AtomicInteger()).incrementAndGet();
            awaitRelease(p);
            FaultyStorage f = new FaultyStorage(FileStorage.open(p),
                    t.shared.computeIfAbsent(p, k -> new FaultyStorage.Faults()));
            t.faults.put(p, f);
            return f;
        }, clock);
    }

    /** Opens of member {@code i}'s path so far (assembly's included). */
    int opens(int i) {
        AtomicInteger n = opens.get(key(t.paths.get(i)));
        return n == null ? 0 : n.get();
    }

    void hangOpens(int i) {
        hangs.put(key(t.paths.get(i)), new CountDownLatch(1));
    }

    void releaseOpens(int i) {
        CountDownLatch l = hangs.remove(key(t.paths.get(i)));
        if (l != null) {
            l.countDown();
        }
    }

    /** Threads blocked right now in an open of member {@code i}'s path. */
    int blockedOpens(int i) {
        AtomicInteger n = blocked.get(key(t.paths.get(i)));
        return n == null ? 0 : n.get();
    }

    private void awaitRelease(Path p) {
        CountDownLatch hang = hangs.get(key(p));
        if (hang == null) {
            return;
        }
        AtomicInteger n = blocked.computeIfAbsent(key(p), k -> new AtomicInteger());
        n.incrementAndGet();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    hang.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            n.decrementAndGet();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static Path key(Path p) {
        return p.toAbsolutePath().normalize();
    }

    /** One of the array's collaborators ({@code "prober"}, {@code "housekeeper"}, ...), read from its field. */
    static <T> T part(Mirror m, String field, Class<T> type) {
        try {
            Field f = Mirror.class.getDeclaredField(field);
            f.setAccessible(true);
            return type.cast(f.get(m));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("Mirror has no field " + field, e);
        }
    }

    /** Polls (real time, 20 s at most) until {@code what} holds. */
    static void await(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + 20_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(2);
        }
    }
}
