package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The inline-call watchdog on a fake clock, without its thread: the test scans. */
class WatchdogTest {

    static final long TIMEOUT = 2_000_000_000L;

    final FakeClock clock = new FakeClock();
    final List<Topology.Slot> overdue = new CopyOnWriteArrayList<>();
    final Watchdog w = new Watchdog(clock, TIMEOUT, overdue::add, false);

    static Topology.Slot slot(int index) {
        return new Topology.Slot(new Member(index, UUID.randomUUID(), 64), MemberState.IN_SYNC, null, null, null, false,
                true, 0);
    }

    @AfterEach
    void close() {
        w.close();
    }

    @Test
    void aCallPastTheDeadlineIsReportedOnceAndNotBefore() {
        Topology.Slot s = slot(1);
        Watchdog.Entry e = w.start(s);
        w.scan();
        clock.advance(TIMEOUT);
        w.scan();
        assertEquals(List.of(), overdue, "reported at the deadline, before it passed");
        clock.advance(1);
        w.scan();
        assertEquals(List.of(s), overdue);
        for (int i = 0; i < 5; i++) {
            clock.advance(TIMEOUT);
            w.scan();
        }
        assertEquals(List.of(s), overdue, "one overrun reported more than once");
        assertTrue(w.end(e), "the caller must count an overrun call as failed");

        // The thread's next call has its own deadline, and one that ends in time is never reported.
        Watchdog.Entry again = w.start(s);
        clock.advance(TIMEOUT);
        w.scan();
        assertFalse(w.end(again));
        clock.advance(10 * TIMEOUT);
        w.scan();
        assertEquals(List.of(s), overdue);
    }

    @Test
    void aDeadlineCountsFromTheCallsStartNotTheEntrys() {
        Topology.Slot s = slot(0);
        w.end(w.start(s)); // the entry is made now ...
        clock.advance(5 * TIMEOUT);
        Watchdog.Entry e = w.start(s); // ... the call starts much later
        clock.advance(TIMEOUT);
        w.scan();
        assertEquals(List.of(), overdue);
        clock.advance(1);
        w.scan();
        assertEquals(List.of(s), overdue);
        assertTrue(w.end(e));
    }

    @Test
    void eachThreadsCallIsTimedOnItsOwn() throws Exception {
        Topology.Slot s0 = slot(0);
        Topology.Slot s1 = slot(1);
        Watchdog.Entry mine = w.start(s0);
        clock.advance(TIMEOUT / 2);
        Watchdog.Entry[] other = new Watchdog.Entry[1];
        Thread th = Thread.ofPlatform().start(() -> other[0] = w.start(s1));
        th.join();
        clock.advance(TIMEOUT / 2 + 1);
        w.scan();
        assertEquals(List.of(s0), overdue);
        clock.advance(TIMEOUT / 2);
        w.scan();
        assertEquals(List.of(s0, s1), overdue);
        assertTrue(w.end(mine));
    }

    @Test
    void theEntryOfAThreadThatEndedIsDropped() throws Exception {
        w.end(w.start(slot(0))); // this thread's entry: it lives on
        Thread th = Thread.ofPlatform().start(() -> w.end(w.start(slot(1))));
        th.join();
        assertEquals(2, w.entries());
        w.scan();
        assertEquals(1, w.entries(), "the ended thread's entry was kept");
        w.scan();
        assertEquals(1, w.entries(), "a live thread's entry was dropped");
        assertEquals(List.of(), overdue);
    }
}
