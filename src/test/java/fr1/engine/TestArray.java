package fr1.engine;

import fr1.io.FaultyStorage;
import fr1.io.FileStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Members in a temp directory, opened through fault injectors the test can reach by member index. */
final class TestArray {

    final List<Path> paths = new ArrayList<>();
    final Map<Path, FaultyStorage> faults = new ConcurrentHashMap<>();
    final Map<Path, FaultyStorage.Faults> shared = new ConcurrentHashMap<>();
    final long size;
    final int chunk;
    /** Opens of a path block while it has a latch here (a dead NFS server at open time), deaf to interrupts. */
    private final Map<Path, java.util.concurrent.CountDownLatch> openHangs = new ConcurrentHashMap<>();
    /** Calls blocked in such an open now, per path: each is a thread the engine cannot get back. */
    private final Map<Path, java.util.concurrent.atomic.AtomicInteger> blockedOpens = new ConcurrentHashMap<>();

    /** One write-intent bit per chunk, so tests can count chunks exactly (fr1 create's default is coarser). */
    TestArray(Path dir, int members, long size, int chunk) throws IOException {
        this(dir, members, size, chunk, chunk);
    }

    TestArray(Path dir, int members, long size, int chunk, int bitmapChunk) throws IOException {
        this.size = size;
        this.chunk = chunk;
        for (int i = 0; i < members; i++) {
            paths.add(dir.resolve("m" + i + ".img"));
        }
        Mirror.create(new CreateSpec(size, chunk, paths, false, null, List.of(), bitmapChunk));
    }

    /** Short deadlines and quiet period; the prober effectively off, so tests decide when members return. */
    static MirrorOptions fastOptions() {
        return new MirrorOptions(Duration.ofSeconds(2), Duration.ofMillis(100), 4)
                .withProbeInterval(Duration.ofHours(1), Duration.ofHours(1));
    }

    Mirror open() throws IOException {
        return open(paths);
    }

    Mirror open(List<Path> which) throws IOException {
        return open(which, fastOptions());
    }

    Mirror open(List<Path> which, MirrorOptions options) throws IOException {
        return Mirror.open(which, options, p -> {
            awaitOpenRelease(p);
            FaultyStorage f = new FaultyStorage(FileStorage.open(p), shared.computeIfAbsent(p,
                    k -> new FaultyStorage.Faults()));
            faults.put(p, f);
            return f;
        });
    }

    /** From now on, opening member {@code i}'s path blocks until {@link #releaseOpens}. */
    void hangOpens(int i) {
        openHangs.put(key(paths.get(i)), new java.util.concurrent.CountDownLatch(1));
    }

    void releaseOpens(int i) {
        java.util.concurrent.CountDownLatch l = openHangs.remove(key(paths.get(i)));
        if (l != null) {
            l.countDown();
        }
    }

    /** Threads blocked right now in an open of member {@code i}'s path. */
    int blockedOpens(int i) {
        java.util.concurrent.atomic.AtomicInteger n = blockedOpens.get(key(paths.get(i)));
        return n == null ? 0 : n.get();
    }

    private static Path key(Path p) {
        return p.toAbsolutePath().normalize();
    }

    /** An open that hangs in the kernel: Thread.interrupt does not end it, only the release does. */
    private void awaitOpenRelease(Path p) {
        java.util.concurrent.CountDownLatch hang = openHangs.get(key(p));
        if (hang == null) {
            return;
        }
        java.util.concurrent.atomic.AtomicInteger n = blockedOpens.computeIfAbsent(key(p),
                k -> new java.util.concurrent.atomic.AtomicInteger());
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

    FaultyStorage fault(int member) {
        return faults.get(paths.get(member));
    }

    /** The image region of member {@code i}, read directly from its file. */
    byte[] image(int i) throws IOException {
        try (FileChannel ch = FileChannel.open(paths.get(i), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining()) {
                if (ch.read(b, b.position()) < 0) {
                    break;
                }
            }
            return b.array();
        }
    }

    static void awaitIdle(Mirror m) throws InterruptedException {
        if (!m.awaitResyncIdle(Duration.ofSeconds(30))) {
            throw new AssertionError("resync did not finish: " + m.status());
        }
    }
}
