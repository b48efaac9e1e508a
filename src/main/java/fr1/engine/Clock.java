package fr1.engine;

/**
 * The engine's time source (monotonic nanoseconds). The prober, back-off, path checks, the bitmap sweeper, the
 * inline-call watchdog, the throttle and the resync rate read it; tests pass a fake one and advance it. The throttle
 * also sleeps on it, so its pauses pass on the same clock its pacing is computed from.
 */
@FunctionalInterface
public interface Clock {

    Clock SYSTEM = System::nanoTime;

    long nanoTime();

    /** Waits {@code nanos} on this clock (the throttle's pauses). A fake clock advances instead, or lets the test. */
    default void sleepNanos(long nanos) throws InterruptedException {
        Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    }
}
