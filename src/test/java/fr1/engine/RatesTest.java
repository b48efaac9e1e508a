package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RatesTest {

    static final long MS = 1_000_000L;

    /** A fast first run then a steady throttled 20 MiB/s: the rate (and so the ETA) is within 20% at once. */
    @Test
    void firstBurstDoesNotLinger() {
        Rates r = new Rates(0);
        long t = 0;
        r.add(4 << 20, t += 2 * MS); // the first 4 MiB run, unthrottled
        long steady = 20L << 20;
        for (int i = 0; i < 200; i++) { // then 1 MiB every 50 ms
            t += 50 * MS;
            r.add(1 << 20, t);
            if (t > 1000 * MS) {
                assertEquals(steady, r.bytesPerSecond(), steady * 0.2, "at " + t / MS + " ms");
            }
        }
        assertEquals(steady, r.bytesPerSecond(), steady * 0.02);
    }

    @Test
    void followsAChangeOfSpeed() {
        Rates r = new Rates(0);
        long t = 0;
        for (int i = 0; i < 200; i++) {
            r.add(1 << 20, t += 10 * MS); // 100 MiB/s for 2 s
        }
        for (int i = 0; i < 400; i++) {
            r.add(1 << 20, t += 100 * MS); // then 10 MiB/s for 40 s
        }
        assertEquals(10 << 20, r.bytesPerSecond(), (10 << 20) * 0.05);
    }
}
