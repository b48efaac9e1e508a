package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fr1.io.FaultyStorage.Fault;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prober's schedule, on a fake clock: when a faulty member is probed, how the wait grows while it keeps failing,
 * and what resets it. The test calls {@link Prober#tick} after each step of the clock.
 *
 * <p>The prober's own thread also ticks (about once a second of real time, and when a member fails or comes up),
 * reading the same fake clock, so whether a probe is due never depends on which of the two ticks: both see the same
 * time, and a probe started by one is running (or already rescheduled) when the other looks. The assertions count
 * the probes started ({@link Prober#started}), which tick updates before it returns.
 */
class ProberClockTest {

    static final int CHUNK = 4096;
    static final long SIZE = 4L << 20;
    static final long SECOND = 1_000_000_000L;
    /** The options' probe interval and its cap. */
    static final long FIRST = SECOND;
    static final long CAP = 4 * SECOND;

    @TempDir
    Path dir;

    /** Member 1 fails on a write now (its storage answers EIO, and keeps doing so for its probes). */
    static void failMember1(ClockedArray a, Mirror m) throws Exception {
        a.t.fault(1).set(Fault.EIO);
        m.write(ByteBuffer.wrap(new byte[] {7}), 3L * CHUNK);
        assertEquals("faulty", m.status().members().get(1).state());
    }

    /**
     * The next probe is due exactly at {@code due}: none is started at {@code due - 1}, one is at {@code due}. Waits
     * until it returned. Returns {@code due}.
     */
    static long probedAt(ClockedArray a, Prober p, long due) throws InterruptedException {
        long before = p.started();
        a.clock.set(due - 1);
        p.tick();
        assertEquals(before, p.started(), "probed before it was due, at " + (due - 1 - FakeClock.START) + " ns");
        a.clock.set(due);
        p.tick();
        assertEquals(before + 1, p.started(), "not probed when due, at " + (due - FakeClock.START) + " ns");
        ClockedArray.await("the probe returned", () -> p.probing() == 0);
        return due;
    }

    /** Fails member 1 and lets it fail 3 probes: its back-off is then at the cap. Returns the last probe's time. */
    static long failUntilCapped(ClockedArray a, Mirror m, Prober p) throws Exception {
        failMember1(a, m);
        long t0 = a.clock.nanoTime();
        long t = probedAt(a, p, t0 + FIRST); // back-off FIRST from here
        t = probedAt(a, p, t + FIRST); // 2 x FIRST
        t = probedAt(a, p, t + 2 * FIRST); // 4 x FIRST = CAP
        return t;
    }

    @Test
    void failedMemberIsProbedAfterTheIntervalAndBackOffDoublesUpToTheCap() throws Exception {
        ClockedArray a = new ClockedArray(new TestArray(dir, 2, SIZE, CHUNK));
        try (Mirror m = a.open(ClockedArray.options())) {
            Prober p = ClockedArray.part(m, "prober", Prober.class);
            int opensAtAssembly = a.opens(1);
            long t = failUntilCapped(a, m, p);
            t = probedAt(a, p, t + CAP);
            t = probedAt(a, p, t + CAP); // 8 x FIRST capped
            probedAt(a, p, t + CAP);
            assertEquals(6, p.started());
            assertEquals(opensAtAssembly + 6, a.opens(1), "each probe opens the path once");
            assertEquals("faulty", m.status().members().get(1).state());
        }
    }

    @Test
    void upForgetsTheBackOff() throws Exception {
        ClockedArray a = new ClockedArray(new TestArray(dir, 2, SIZE, CHUNK));
        try (Mirror m = a.open(ClockedArray.options())) {
            Prober p = ClockedArray.part(m, "prober", Prober.class);
            failUntilCapped(a, m, p);
            long before = p.started();
            m.up("1"); // probe now, whatever the back-off: no step of the clock
            long now = a.clock.nanoTime();
            p.tick();
            assertEquals(before + 1, p.started(), "up did not probe at once");
            ClockedArray.await("the probe returned", () -> p.probing() == 0);
            // It failed again; the wait starts over from the first interval, not the cap.
            probedAt(a, p, now + FIRST);
        }
    }

    @Test
    void aFinishedResyncForgetsTheBackOff() throws Exception {
        ClockedArray a = new ClockedArray(new TestArray(dir, 2, SIZE, CHUNK));
        try (Mirror m = a.open(ClockedArray.options())) {
            Prober p = ClockedArray.part(m, "prober", Prober.class);
            long t = failUntilCapped(a, m, p);
            a.t.fault(1).set(Fault.NONE);
            probedAt(a, p, t + CAP); // answers: re-added, resynced
            ProberTest.waitFor(m, 1, "in_sync");
            TestArray.awaitIdle(m); // the resync's end, where the back-off is reset, is behind us
            assertEquals(1, m.status().members().get(1).lastResyncChunks());

            // Fails again: probed after the first interval. Had the back-off stayed, it would wait the cap.
            failMember1(a, m);
            probedAt(a, p, a.clock.nanoTime() + FIRST);
        }
    }

    /**
     * An open that hangs holds the member's one probe thread: however many back-off rounds pass on the clock, no
     * second probe of that member starts, and the member comes back once the open returns.
     */
    @Test
    void aHungProbeIsNeverStartedTwice() throws Exception {
        ClockedArray a = new ClockedArray(new TestArray(dir, 2, SIZE, CHUNK));
        try (Mirror m = a.open(ClockedArray.options())) {
            Prober p = ClockedArray.part(m, "prober", Prober.class);
            try {
                a.hangOpens(1);
                failMember1(a, m);
                a.t.fault(1).set(Fault.NONE);
                a.clock.advance(FIRST);
                p.tick();
                assertEquals(1, p.started());
                ClockedArray.await("the probe hangs in its open", () -> a.blockedOpens(1) == 1);
                for (int round = 0; round < 20; round++) {
                    a.clock.advance(CAP);
                    p.tick();
                    assertEquals(1, p.started(), "round " + round + ": a second probe started");
                    assertEquals(1, p.probing());
                }
                assertEquals(1, a.blockedOpens(1));
                assertEquals("faulty", m.status().members().get(1).state());
            } finally {
                a.releaseOpens(1);
            }
            ProberTest.waitFor(m, 1, "in_sync");
            assertEquals(1, p.started());
        }
        assertArrayEquals(a.t.image(0), a.t.image(1));
    }

    /** An operator's fail leaves the member alone, whatever the clock says, until up. */
    @Test
    void aManuallyFailedMemberIsNotProbed() throws Exception {
        ClockedArray a = new ClockedArray(new TestArray(dir, 2, SIZE, CHUNK));
        try (Mirror m = a.open(ClockedArray.options())) {
            Prober p = ClockedArray.part(m, "prober", Prober.class);
            m.fail("1");
            for (int i = 0; i < 5; i++) {
                a.clock.advance(CAP);
                p.tick();
            }
            assertEquals(0, p.started());
            m.up("1");
            p.tick();
            assertEquals(1, p.started());
            ProberTest.waitFor(m, 1, "in_sync");
        }
    }
}
