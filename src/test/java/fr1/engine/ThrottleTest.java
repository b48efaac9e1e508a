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
}
