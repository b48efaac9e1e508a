package fr1.engine;

/**
 * The engine's time source (monotonic nanoseconds). The prober, back-off, path checks, the bitmap sweeper, the
 * inline-call watchdog, the throttle and the resync rate read it; tests pass a fake one and advance it.
 */
@FunctionalInterface
public interface Clock {

    Clock SYSTEM = System::nanoTime;

    long nanoTime();
}
