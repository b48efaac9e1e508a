package fr1.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A storage decorator that injects faults, as H2's FilePathUnstable does: errors (EIO, ENOSPC), a countdown to
 * failure, short writes, and hangs that last until released. Switchable at any time from the test thread.
 */
public final class FaultyStorage implements Storage {

    /** What the next calls do. */
    public enum Fault { NONE, EIO, ENOSPC, SHORT_WRITE, HANG, FAIL_AFTER }

    private final Storage inner;
    private final Faults fs;

    /**
     * The fault switches of one path, shared by every storage opened on it: a member that is reopened (by the
     * prober, by add) still sees the fault the test set.
     */
    public static final class Faults {
        private final AtomicReference<Fault> fault = new AtomicReference<>(Fault.NONE);
        private final AtomicInteger countdown = new AtomicInteger();
        private volatile CountDownLatch hang = new CountDownLatch(0);
        /** Reported as local storage: the engine calls it on the caller's thread. */
        private volatile boolean local;
        private final AtomicInteger writes = new AtomicInteger();
        private final AtomicInteger reads = new AtomicInteger();
        private volatile long writeDelayMillis;
        private final AtomicInteger failNext = new AtomicInteger();
        private final AtomicInteger errors = new AtomicInteger();
        private final AtomicInteger forces = new AtomicInteger();
        private volatile long rangeDelayFrom;
        private volatile long rangeDelayTo;
        private volatile long rangeDelayMillis;
        private final AtomicInteger punches = new AtomicInteger();
        private volatile Runnable beforePunch;
        private volatile long onceFrom = -1;
        private volatile long onceMillis;
        private final java.util.concurrent.ConcurrentLinkedQueue<long[]> log =
                new java.util.concurrent.ConcurrentLinkedQueue<>();
    }

    /** Runs {@code hook} at the start of every punch or zero-range on this path (null: none). */
    public void beforePunch(Runnable hook) {
        fs.beforePunch = hook;
    }

    /** Punches and zero-ranges that reached the storage below. */
    public int punches() {
        return fs.punches.get();
    }

    /** The next write that starts at {@code from} takes this long first (once). */
    public void delayNextWriteAt(long from, long millis) {
        fs.onceMillis = millis;
        fs.onceFrom = from;
    }

    /** Every data write so far: {position, length, start nanos, end nanos (0 while in flight)}. */
    public java.util.List<long[]> writeLog() {
        return java.util.List.copyOf(fs.log);
    }

    /** Writes that start in [from, to) take this long first (a slow region, e.g. the metadata area). 0: off. */
    public void delayWritesIn(long from, long to, long millis) {
        fs.rangeDelayFrom = from;
        fs.rangeDelayTo = to;
        fs.rangeDelayMillis = millis;
    }

    /** The next {@code n} calls fail with EIO, whatever the fault switch says; later calls are served again. */
    public void failNext(int n) {
        fs.failNext.set(n);
    }

    /** Errors injected so far (every fault that threw, counted when thrown). */
    public int errors() {
        return fs.errors.get();
    }

    /** Forces that passed the fault check so far: each one made durable every write that returned before it. */
    public int forces() {
        return fs.forces.get();
    }

    /** Every write takes this long first (a slow remote member). */
    public void delayWrites(long millis) {
        fs.writeDelayMillis = millis;
    }

    public FaultyStorage(Storage inner) {
        this(inner, new Faults());
    }

    public FaultyStorage(Storage inner, Faults shared) {
        this.inner = inner;
        this.fs = shared;
    }

    /** Makes the engine treat this member as local (inline calls) or not (hand-offs, the default here). */
    public void local(boolean on) {
        fs.local = on;
    }

    @Override
    public boolean local() {
        return fs.local;
    }

    public Faults faults() {
        return fs;
    }

    public void set(Fault f) {
        if (f == Fault.HANG) {
            fs.hang = new CountDownLatch(1);
            fs.fault.set(f);
        } else {
            // The fault first, then the release: a released call must not see HANG still set.
            fs.fault.set(f);
            fs.hang.countDown();
        }
    }

    /** Fails every call (EIO) after {@code n} more successful calls. */
    public void failAfter(int n) {
        fs.countdown.set(n);
        fs.fault.set(Fault.FAIL_AFTER);
    }

    public int writes() {
        return fs.writes.get();
    }

    public int reads() {
        return fs.reads.get();
    }

    private void check(boolean isWrite) throws IOException {
        try {
            checkFaults(isWrite);
        } catch (IOException e) {
            fs.errors.incrementAndGet();
            throw e;
        }
    }

    private void checkFaults(boolean isWrite) throws IOException {
        int n = fs.failNext.get();
        while (n > 0 && !fs.failNext.compareAndSet(n, n - 1)) {
            n = fs.failNext.get();
        }
        if (n > 0) {
            throw new IOException("Input/output error (injected, one-off)");
        }
        switch (fs.fault.get()) {
            case NONE, SHORT_WRITE -> { }
            case EIO -> throw new IOException("Input/output error (injected)");
            case ENOSPC -> {
                if (isWrite) {
                    throw new IOException("No space left on device (injected)");
                }
            }
            case HANG -> {
                try {
                    fs.hang.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException();
                }
                if (fs.fault.get() == Fault.HANG) {
                    // Released by close, not by the test: the call fails as one on a closed descriptor would.
                    throw new IOException("Input/output error (hung call ended by close)");
                }
                checkFaults(isWrite);
            }
            case FAIL_AFTER -> {
                if (fs.countdown.getAndDecrement() <= 0) {
                    throw new IOException("Input/output error (injected after countdown)");
                }
            }
        }
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        check(false);
        fs.reads.incrementAndGet();
        return inner.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        check(true);
        long[] entry = {position, src.remaining(), System.nanoTime(), 0};
        fs.log.add(entry);
        try {
            return logged(src, position);
        } finally {
            entry[3] = System.nanoTime();
        }
    }

    private int logged(ByteBuffer src, long position) throws IOException {
        long delay = fs.writeDelayMillis;
        if (fs.onceFrom == position && fs.onceMillis > 0) {
            fs.onceFrom = -1;
            delay += fs.onceMillis;
        }
        if (fs.rangeDelayMillis > 0 && position >= fs.rangeDelayFrom && position < fs.rangeDelayTo) {
            delay += fs.rangeDelayMillis;
        }
        if (delay > 0) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
        }
        fs.writes.incrementAndGet();
        if (fs.fault.get() == Fault.SHORT_WRITE && src.remaining() > 1) {
            ByteBuffer half = src.slice(src.position(), src.remaining() / 2);
            int n = inner.write(half, position);
            src.position(src.position() + n);
            fs.fault.set(Fault.EIO); // a device that wrote half and then stopped answering
            return n;
        }
        return inner.write(src, position);
    }

    @Override
    public void force() throws IOException {
        check(true);
        fs.forces.incrementAndGet();
        inner.force();
    }

    @Override
    public void punchHole(long position, long length) throws IOException {
        discard(position, length, false);
    }

    @Override
    public void zeroRange(long position, long length) throws IOException {
        discard(position, length, true);
    }

    private void discard(long position, long length, boolean zero) throws IOException {
        Runnable hook = fs.beforePunch;
        if (hook != null) {
            hook.run();
        }
        check(true);
        fs.punches.incrementAndGet();
        if (zero) {
            inner.zeroRange(position, length);
        } else {
            inner.punchHole(position, length);
        }
    }

    @Override
    public long seekData(long position) throws IOException {
        check(false);
        return inner.seekData(position);
    }

    @Override
    public long seekHole(long position) throws IOException {
        check(false);
        return inner.seekHole(position);
    }

    @Override
    public long allocatedBytes() throws IOException {
        check(false);
        return inner.allocatedBytes();
    }

    @Override
    public long capacity() throws IOException {
        check(false);
        return inner.capacity();
    }

    @Override
    public void close() throws IOException {
        fs.hang.countDown();
        inner.close();
    }
}
