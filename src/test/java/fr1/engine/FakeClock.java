package fr1.engine;

import java.time.Duration;

/**
 * A clock that stands still until the test moves it. Its sleeps either advance it by the time asked ({@link
 * #autoAdvance}, the default: a throttle's pause costs no real time) or wait until the test has advanced it far
 * enough, so a test can look at the sleeper between two steps ({@link #awaitSleepers}).
 */
final class FakeClock implements Clock {

    /** An arbitrary start far from 0 and from overflow: code must not assume the clock starts anywhere. */
    static final long START = 1_000_000_000_000L;

    private long now = START;
    private boolean autoAdvance = true;
    private int sleepers;
    private long sleeps;

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    synchronized void advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("a monotonic clock does not go back");
        }
        now += nanos;
        notifyAll();
    }

    void advance(Duration d) {
        advance(d.toNanos());
    }

    /** Moves the clock to {@code t}, which must not be in its past. */
    synchronized void set(long t) {
        advance(t - now);
    }

    /** True: sleeps advance the clock themselves. False: a sleep waits until the test advanced the clock enough. */
    synchronized void autoAdvance(boolean on) {
        autoAdvance = on;
        notifyAll();
    }

    @Override
    public void sleepNanos(long nanos) throws InterruptedException {
        synchronized (this) {
            if (autoAdvance) {
                now += Math.max(0, nanos);
                notifyAll();
                return;
            }
            long until = now + nanos;
            sleepers++;
            sleeps++;
            notifyAll();
            try {
                while (now < until && !autoAdvance) {
                    wait();
                }
            } finally {
                sleepers--;
                notifyAll();
            }
        }
    }

    /** Sleeps that waited for the test so far (not those that advanced the clock themselves). */
    synchronized long sleeps() {
        return sleeps;
    }

    /** Threads sleeping on this clock now. */
    synchronized int sleepers() {
        return sleepers;
    }

    /**
     * Waits (real time, at most {@code timeout}) until the {@code nth} sleep on this clock (counted from 1, sleeps
     * that advanced the clock themselves not counted) has begun and a thread sleeps.
     */
    synchronized void awaitSleep(long nth, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (sleeps < nth || sleepers == 0) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("sleep " + nth + " on the fake clock did not begin (" + sleeps + " so far)");
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Waits (real time, at most {@code timeout}) until {@code n} threads sleep on this clock. */
    synchronized void awaitSleepers(int n, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (sleepers != n) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(sleepers + " threads sleep on the fake clock, expected " + n);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
