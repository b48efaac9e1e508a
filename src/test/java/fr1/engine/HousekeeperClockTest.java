package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Path checks on a fake clock: a check that does not answer fails its member once io-timeout has passed on the
 * clock, not before, and holds one thread however many rounds pass. The housekeeper's own thread waits a quiet
 * period (1 h of real time, see {@link ClockedArray#options}) before its first round, so only the test runs rounds.
 */
class HousekeeperClockTest {

    static final int CHUNK = 4096;
    static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    /** Member 1's path checks block until released; member 0's answer. Counts member 1's checks. */
    static class HangingChecks {
        final Path hung;
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger returned = new AtomicInteger();

        HangingChecks(Path hung) {
            this.hung = ClockedArray.key(hung);
        }

        Object fileKey(Path p) {
            if (ClockedArray.key(p).equals(hung)) {
                calls.incrementAndGet();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    return null;
                } finally {
                    returned.incrementAndGet();
                }
            }
            return PathFacts.fileKey(p);
        }
    }

    @Test
    void aPathCheckThatDoesNotAnswerFailsTheMemberAfterIoTimeoutOnTheClock() throws Exception {
        ClockedArray a = new ClockedArray(new TestArray(dir, 2, SIZE, CHUNK));
        Duration timeout = Duration.ofSeconds(60);
        try (Mirror m = a.open(ClockedArray.options().withIoTimeout(timeout))) {
            Housekeeper h = ClockedArray.part(m, "housekeeper", Housekeeper.class);
            HangingChecks checks = new HangingChecks(a.t.paths.get(1));
            h.fileKeys(checks::fileKey);
            try {
                h.round(); // starts the check at this time
                a.clock.advance(timeout.toNanos() / 2);
                h.round();
                a.clock.advance(timeout.toNanos() / 2);
                h.round();
                assertEquals("in_sync", m.status().members().get(1).state(), "failed at the deadline, not after");
                assertEquals(1, checks.calls.get(), "a second check of a path that hangs");
                a.clock.advance(1);
                h.round();
                assertEquals("faulty", m.status().members().get(1).state());
                assertEquals("path check: member 1 did not answer in time", m.status().members().get(1).reason());
                assertEquals("in_sync", m.status().members().get(0).state());
                assertEquals(1, checks.calls.get());
            } finally {
                checks.release.countDown();
            }
        }
    }

    @Test
    void aSlowPathCheckThatAnswersInTimeFailsNothing() throws Exception {
        ClockedArray a = new ClockedArray(new TestArray(dir, 2, SIZE, CHUNK));
        Duration timeout = Duration.ofSeconds(60);
        try (Mirror m = a.open(ClockedArray.options().withIoTimeout(timeout))) {
            Housekeeper h = ClockedArray.part(m, "housekeeper", Housekeeper.class);
            HangingChecks checks = new HangingChecks(a.t.paths.get(1));
            h.fileKeys(checks::fileKey);
            try {
                h.round();
                a.clock.advance(timeout.toNanos() / 2);
                checks.release.countDown(); // answers late, but within io-timeout (the same file)
                ClockedArray.await("the check answered", () -> checks.returned.get() == 1);
                h.round(); // takes the answer (it waits up to 50 ms of real time for it)
                assertEquals("in_sync", m.status().members().get(1).state());
                a.clock.advance(timeout.toNanos() + 1);
                h.round(); // the answer was taken: a new check, answered at once
                assertEquals(2, checks.calls.get());
                assertEquals("in_sync", m.status().members().get(1).state());
            } finally {
                checks.release.countDown();
            }
        }
    }

    /**
     * Found by FaultsIT (SSHFS, link cut): a path check started while the link was cut answered "vanished" after the
     * member had failed and come back, and failed the new incarnation. A check's answer is about the incarnation it
     * was started for.
     */
    @Test
    void aCheckOfAnEarlierIncarnationDoesNotFailTheMemberAfterItCameBack() throws Exception {
        ClockedArray a = new ClockedArray(new TestArray(dir, 2, SIZE, CHUNK));
        Duration timeout = Duration.ofSeconds(60);
        try (Mirror m = a.open(ClockedArray.options().withIoTimeout(timeout))) {
            Housekeeper h = ClockedArray.part(m, "housekeeper", Housekeeper.class);
            java.util.concurrent.atomic.AtomicBoolean vanish = new java.util.concurrent.atomic.AtomicBoolean(true);
            HangingChecks checks = new HangingChecks(a.t.paths.get(1)) {
                @Override
                Object fileKey(Path p) {
                    Object k = super.fileKey(p);
                    return ClockedArray.key(p).equals(hung) && vanish.get() ? null : k;
                }
            };
            h.fileKeys(checks::fileKey);
            h.round(); // a check of member 1 starts, and hangs
            m.fail("1");
            m.add("1", false);
            TestArray.awaitIdle(m);
            assertEquals("in_sync", m.status().members().get(1).state());
            checks.release.countDown(); // the old check answers: "vanished"
            ClockedArray.await("the old check answered", () -> checks.returned.get() == 1);
            h.round();
            assertEquals("in_sync", m.status().members().get(1).state(),
                    "a check of the earlier incarnation failed the member: " + m.status());
            vanish.set(false);
            h.round(); // a fresh check of this incarnation, answered at once
            assertEquals("in_sync", m.status().members().get(1).state());
            assertEquals(2, checks.calls.get(), "no fresh check after the stale one was dropped");
        }
    }
}
