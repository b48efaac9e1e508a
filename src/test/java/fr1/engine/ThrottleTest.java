package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ThrottleTest {

    final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    final AtomicLong slept = new AtomicLong();
    final Throttle.Sleeper sleeper = n -> {
        slept.addAndGet(n);
        now.addAndGet(n);
    };

    @Test
    void idleUsesTheCeilingBusyTheFloor() throws Exception {
        Throttle t = new Throttle(10 << 20, 100 << 20, now::get, sleeper);
        for (int i = 0; i < 10; i++) {
            t.pace(10 << 20); // 100 MiB in all at 100 MiB/s: about 1 s
        }
        assertEquals(1.0, slept.get() / 1e9, 0.05);
        slept.set(0);
        now.addAndGet(5_000_000_000L);
        for (int i = 0; i < 10; i++) {
            t.foreground();
            t.pace(1 << 20); // 10 MiB at the 10 MiB/s floor: about 1 s
        }
        assertEquals(1.0, slept.get() / 1e9, 0.15);
    }

    @Test
    void zeroMeansUnlimited() throws Exception {
        Throttle t = new Throttle(0, 0, now::get, sleeper);
        t.foreground();
        t.pace(1L << 30);
        assertEquals(0, slept.get());
        assertEquals(0, t.limitNow());
    }

    // ------------------------------------------------------------------------------ Throttles: two copiers, one record

    static final long MIB = 1 << 20;

    /**
     * Resync and scrub pace at the same time, each with its own throttle: each gets the limit (its own window), and
     * a foreground I/O recorded once through {@link Throttles} slows both. Their pauses are sleeps on the fake clock,
     * which advance it: one thread plays both copiers, so time spent by one counts for the other, as it does when
     * two threads copy side by side.
     */
    @Test
    void twoThrottlesShareTheForegroundRecordButPaceEachInItsOwnWindow() throws Exception {
        FakeClock clock = new FakeClock();
        Throttles all = new Throttles(clock, 10 * MIB, 100 * MIB);
        Throttle resync = all.newThrottle();
        Throttle scrub = all.newThrottle();
        assertEquals(100 * MIB, resync.limitNow());
        assertEquals(100 * MIB, scrub.limitNow());

        // Idle: 1 MiB each, 50 times over, at 100 MiB/s each: 100 MiB in about 0.5 s, not 1 s.
        long t0 = clock.nanoTime();
        for (int i = 0; i < 50; i++) {
            resync.pace(MIB);
            scrub.pace(MIB);
        }
        assertEquals(0.5, (clock.nanoTime() - t0) / 1e9, 0.03, "each copier should get the ceiling");

        // Foreground I/O, recorded once, makes both slow to the floor: 1 MiB each, 10 times, at 10 MiB/s each.
        clock.advance(2 * Throttle.BUSY_WINDOW_NANOS);
        long t1 = clock.nanoTime();
        for (int i = 0; i < 10; i++) {
            all.foreground();
            assertEquals(10 * MIB, resync.limitNow());
            assertEquals(10 * MIB, scrub.limitNow());
            resync.pace(MIB);
            all.foreground();
            scrub.pace(MIB);
        }
        assertEquals(1.0, (clock.nanoTime() - t1) / 1e9, 0.15, "each copier should get the floor");
    }

    @Test
    void theBusyWindowAndTheRecordsResolutionAreOnTheClock() {
        FakeClock clock = new FakeClock();
        Throttles all = new Throttles(clock, 10 * MIB, 100 * MIB);
        Throttle resync = all.newThrottle();
        Throttle scrub = all.newThrottle();
        all.foreground();
        long at = clock.nanoTime();
        clock.advance(500_000); // within the record's resolution (1 ms): not written again
        all.foreground();
        clock.set(at + Throttle.BUSY_WINDOW_NANOS - 1);
        assertEquals(10 * MIB, resync.limitNow());
        assertEquals(10 * MIB, scrub.limitNow());
        clock.set(at + Throttle.BUSY_WINDOW_NANOS);
        assertEquals(100 * MIB, resync.limitNow(), "busy counted from a foreground I/O the record skipped");
        assertEquals(100 * MIB, scrub.limitNow());
        clock.advance(2_000_000); // past the resolution: recorded
        all.foreground();
        assertEquals(10 * MIB, scrub.limitNow());
    }

    /** A throttle's pause is a sleep on the array's clock: a test's fake clock can see it and let it go. */
    @Test
    void aPauseSleepsOnTheClock() throws Exception {
        FakeClock clock = new FakeClock();
        clock.autoAdvance(false);
        Throttles all = new Throttles(clock, 10 * MIB, 0);
        Throttle scrub = all.newThrottle();
        all.foreground();
        Thread copier = Thread.ofPlatform().start(() -> {
            try {
                scrub.pace(5 * MIB);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            clock.awaitSleepers(1, java.time.Duration.ofSeconds(20));
            clock.advance(500_000_000L - 1); // 5 MiB at 10 MiB/s: half a second
            assertEquals(1, clock.sleepers(), "woke before its pause had passed on the clock");
            clock.advance(1);
            copier.join(20_000);
            assertEquals(false, copier.isAlive(), "still asleep after its pause passed on the clock");
        } finally {
            clock.autoAdvance(true);
            copier.join();
        }
    }
}
