package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FaultyStorage.Fault;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A throttled resync on a fake clock, run by run: the throttle admits each run before it is copied, its pauses are
 * sleeps on the array's clock (the test lets each one pass), and the rate the status reports (what the ETA is
 * computed from) is measured on that clock. Copying itself takes no time on it, so the numbers are exact.
 */
class ResyncClockTest {

    static final int CHUNK = 4096;
    static final int MIB = 1 << 20;
    static final int RUNS = 16;
    static final long SIZE = 2L * RUNS * MIB;
    static final long SECOND = 1_000_000_000L;
    static final Duration REAL = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void resyncPacesAndMeasuresItsRateOnTheArraysClock() throws Exception {
        ClockedArray a = new ClockedArray(new TestArray(dir, 2, SIZE, CHUNK));
        MirrorOptions options = ClockedArray.options().withResyncSpeed(MIB, MIB); // 1 MiB/s, busy or idle
        try (Mirror m = a.open(options)) {
            try {
                // Member 1 misses 1 MiB every 2 MiB: 16 runs of 1 MiB for the resync, 1 s each at the limit.
                a.t.fault(1).set(Fault.EIO);
                for (int i = 0; i < RUNS; i++) {
                    m.write(ByteBuffer.allocate(MIB), 2L * i * MIB);
                }
                assertEquals("faulty", m.status().members().get(1).state());
                a.t.fault(1).set(Fault.NONE);
                a.clock.autoAdvance(false);
                long t0 = a.clock.nanoTime();
                m.up("1");
                for (int k = 1; k <= RUNS; k++) {
                    // Run k is admitted: the throttle sleeps until t0 + k s before it is copied. Runs 1..k-1 were
                    // copied at t0 + 1..k-1 s (right after their pauses; the copiers waiting to pace hold no run).
                    a.clock.awaitSleep(k, REAL);
                    MirrorStatus.Resync rs = awaitDone(m, (long) (k - 1) * MIB / CHUNK);
                    assertEquals(1, rs.member());
                    assertEquals((long) RUNS * MIB / CHUNK, rs.totalChunks());
                    double rate = rs.bytesPerSecond() / MIB;
                    if (k == 1) {
                        assertEquals(0, rate, "nothing copied yet");
                    } else {
                        // k-1 MiB in k-1 seconds, then steady: exactly the limit.
                        assertEquals(1.0, rate, 1e-9, "after run " + (k - 1));
                    }
                    a.clock.advance(SECOND - 1);
                    assertEquals(k, a.clock.sleeps(), "the pause ended before its second passed on the clock");
                    assertEquals(1, a.clock.sleepers());
                    a.clock.advance(1);
                }
                ProberTest.waitFor(m, 1, "in_sync");
                assertEquals(RUNS * MIB / CHUNK, m.status().members().get(1).lastResyncChunks());
                assertEquals(RUNS * SECOND, a.clock.nanoTime() - t0, "16 MiB at 1 MiB/s on the clock");
            } finally {
                a.clock.autoAdvance(true);
            }
        }
        assertArrayEquals(a.t.image(0), a.t.image(1));
    }

    /** The resync's status once it has copied exactly {@code chunks} (copying takes real time, none on the clock). */
    private static MirrorStatus.Resync awaitDone(Mirror m, long chunks) throws InterruptedException {
        long end = System.nanoTime() + REAL.toNanos();
        while (true) {
            MirrorStatus.Resync rs = m.status().resync();
            if (rs.doneChunks() == chunks) {
                return rs;
            }
            assertTrue(rs.doneChunks() < chunks && System.nanoTime() < end, "expected " + chunks + ": " + rs);
            Thread.sleep(1);
        }
    }
}
