package fr1.it.faults;

import fr1.it.support.Rig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The load that runs through every fault: a thread writing files of random content and length into a directory
 * (on the ext4 on the loop device on the fr1 image), each written, fsync'ed and closed before it counts as
 * acknowledged; now and then one is rewritten in place, and the oldest beyond a window are deleted, so the set of
 * live files stays small while new blocks keep being allocated. It records the checksum of every acknowledged file
 * and the first error it saw: under any member fault it must see none.
 */
public final class ChecksumWriter implements AutoCloseable {

    private static final int WINDOW = 48;

    private final Path dir;
    private final Random rnd;
    private final long pauseMillis;
    private final Map<String, String> acked = new TreeMap<>();
    private final List<String> order = new ArrayList<>();
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private volatile boolean stop;
    private volatile boolean paused;
    private volatile boolean idle;
    private volatile long files;
    private volatile long maxLatencyNanos;
    private Thread thread;

    public ChecksumWriter(Path dir, long seed, long pauseMillis) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.rnd = new Random(seed);
        this.pauseMillis = pauseMillis;
    }

    public ChecksumWriter start() {
        thread = Thread.ofPlatform().daemon().name("faults-writer").start(this::loop);
        return this;
    }

    private void loop() {
        long n = 0;
        try {
            while (!stop) {
                while (paused && !stop) {
                    idle = true;
                    Thread.sleep(5);
                }
                idle = false;
                long t0 = System.nanoTime();
                if (n % 5 == 4 && !order.isEmpty()) {
                    rewrite(order.get(rnd.nextInt(order.size())));
                } else {
                    create(String.format("f%06d", n));
                }
                maxLatencyNanos = Math.max(maxLatencyNanos, System.nanoTime() - t0);
                n++;
                files = n;
                while (order.size() > WINDOW) {
                    String old = order.remove(0);
                    synchronized (acked) {
                        acked.remove(old);
                    }
                    Files.delete(dir.resolve(old));
                }
                if (pauseMillis > 0) {
                    Thread.sleep(pauseMillis);
                }
            }
        } catch (Throwable t) {
            error.compareAndSet(null, t);
        }
    }

    private void create(String name) throws IOException {
        byte[] data = new byte[1 + rnd.nextInt(128 << 10)];
        rnd.nextBytes(data);
        try (FileChannel ch = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            writeAll(ch, data);
            ch.force(true);
        }
        synchronized (acked) {
            acked.put(name, Rig.sha256(data));
        }
        order.add(name);
    }

    /** New content of the same length over an existing file, in place (no new blocks). */
    private void rewrite(String name) throws IOException {
        Path p = dir.resolve(name);
        byte[] data = new byte[(int) Files.size(p)];
        rnd.nextBytes(data);
        synchronized (acked) {
            acked.remove(name); // in between, neither old nor new content is promised
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            writeAll(ch, data);
            ch.force(true);
        }
        synchronized (acked) {
            acked.put(name, Rig.sha256(data));
        }
    }

    private static void writeAll(FileChannel ch, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        long pos = 0;
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    /** Files acknowledged so far (created or rewritten). */
    public long files() {
        return files;
    }

    public long maxLatencyMillis() {
        return maxLatencyNanos / 1_000_000;
    }

    /** Fails if the writer saw any error. */
    public void assertNoError(String when) {
        Throwable t = error.get();
        if (t != null) {
            throw new AssertionError("the writer saw an error " + when + " (after " + files + " files): " + t, t);
        }
        if (thread != null && !thread.isAlive() && !stop) {
            throw new AssertionError("the writer stopped by itself " + when);
        }
    }

    /** Waits until {@code more} further files are acknowledged; fails if that takes longer than {@code millis}. */
    public void awaitProgress(int more, long millis, String when) throws InterruptedException {
        long target = files + more;
        long end = System.nanoTime() + millis * 1_000_000;
        while (files < target) {
            assertNoError(when);
            if (System.nanoTime() > end) {
                throw new AssertionError("the writer made no progress " + when + ": " + files + " files, wanted "
                        + target + " within " + millis + " ms");
            }
            Thread.sleep(20);
        }
        assertNoError(when);
    }

    /**
     * Holds the writer between two files (so nothing more is written through it until {@link #resume()}); returns
     * once the file in progress is acknowledged.
     */
    public void pause() throws InterruptedException {
        paused = true;
        long end = System.nanoTime() + 60_000_000_000L;
        while (!idle) {
            assertNoError("while pausing");
            if (thread == null || !thread.isAlive() || System.nanoTime() > end) {
                throw new AssertionError("the writer did not pause within 60 s (after " + files + " files)");
            }
            Thread.sleep(5);
        }
    }

    /** Lets a paused writer go on; returns once it has (so a later {@link #pause()} waits for it again). */
    public void resume() throws InterruptedException {
        paused = false;
        long end = System.nanoTime() + 10_000_000_000L;
        while (idle && thread != null && thread.isAlive() && !stop) {
            if (System.nanoTime() > end) {
                throw new AssertionError("the writer did not resume within 10 s");
            }
            Thread.sleep(5);
        }
    }

    /** Stops the thread and waits for its last file. */
    public void stop() throws InterruptedException {
        stop = true;
        if (thread != null) {
            thread.join(60_000);
            if (thread.isAlive()) {
                throw new AssertionError("the writer did not stop within 60 s (stuck in " + thread.getState() + ")");
            }
        }
    }

    /** Reads every acknowledged file back (from {@code base}, default its own dir) and checks its checksum. */
    public int verify(Path base, String when) throws IOException {
        Map<String, String> copy;
        synchronized (acked) {
            copy = new TreeMap<>(acked);
        }
        if (copy.isEmpty()) {
            throw new AssertionError("the writer acknowledged no file " + when);
        }
        for (Map.Entry<String, String> e : copy.entrySet()) {
            Path p = base.resolve(e.getKey());
            String got = Rig.sha256(Files.readAllBytes(p));
            if (!got.equals(e.getValue())) {
                throw new AssertionError("acknowledged file " + p + " has the wrong content " + when);
            }
        }
        return copy.size();
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
