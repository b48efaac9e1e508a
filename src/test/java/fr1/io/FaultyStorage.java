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
        private final AtomicInteger writes = new AtomicInteger();
        private final AtomicInteger reads = new AtomicInteger();
        private volatile long writeDelayMillis;
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

    public Faults faults() {
        return fs;
    }

    public void set(Fault f) {
        if (f == Fault.HANG) {
            fs.hang = new CountDownLatch(1);
        } else {
            fs.hang.countDown();
        }
        fs.fault.set(f);
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
                check(isWrite);
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
        if (fs.writeDelayMillis > 0) {
            try {
                Thread.sleep(fs.writeDelayMillis);
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
        inner.force();
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
