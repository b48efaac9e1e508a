package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FaultyStorage.Fault;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full member (ENOSPC: writes fail, reads work) answers every probe, is re-added, and fails again at its first
 * write, over and over until space is freed. Found with FaultsIT (nbdkit error=ENOSPC, and a full tmpfs): after two
 * such rounds the member was declared split-brain, because each re-add's metadata write rotated the member's
 * remembered (events, generation) pairs although it never reached the member, so neither pair matched its superblock
 * any more. It must come back by itself, with a fast resync, once the space is there.
 */
class FlappingMemberTest {

    static final int CHUNK = 4096;
    static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    final List<EventListener.MirrorEvent> events = new CopyOnWriteArrayList<>();

    @Test
    void fullMemberThatKeepsFailingAfterEachReaddIsNotSplitBrain() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        MirrorOptions probing = new MirrorOptions(Duration.ofSeconds(2), Duration.ofMillis(100), 4)
                .withProbeInterval(Duration.ofMillis(20), Duration.ofMillis(40))
                .withEvents(events::add);
        try (Mirror m = t.open(t.paths, probing)) {
            t.fault(1).set(Fault.ENOSPC);
            m.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 5L * CHUNK);
            long end = System.nanoTime() + 1_500_000_000L;
            int rounds = 0;
            while (System.nanoTime() < end) { // many probe rounds: re-added, failed again
                m.write(ByteBuffer.wrap(new byte[] {(byte) rounds}), (long) (rounds % 50) * CHUNK);
                rounds++;
                Thread.sleep(5);
            }
            assertEquals(0, events.stream().filter(e -> e.name().equals("split-brain")).count(),
                    "a member that only failed was reported split-brain: " + events);
            long readds = events.stream().filter(e -> e.name().equals("member-recovered")).count();
            assertTrue(readds >= 3, "the full member should have been re-added and failed again several times, "
                    + "was re-added " + readds + " times: " + events);
            t.fault(1).set(Fault.NONE);
            ProberTest.waitFor(m, 1, "in_sync");
            assertEquals(0, events.stream().filter(e -> e.name().equals("split-brain")).count(),
                    "a member that only failed was reported split-brain: " + events);
            long copied = m.status().members().get(1).lastResyncChunks();
            assertTrue(copied > 0 && copied < SIZE / CHUNK,
                    "fast resync expected, copied " + copied);
        }
        assertArrayEquals(t.image(0), t.image(1));
    }

    /**
     * As on a full tmpfs: a write that needs new space stops half way (the metadata slot it writes is torn) and the
     * member fails. The probe wrote its first superblock after a re-add to a slot chosen as if the member were new
     * (sequence 0), i.e. over the newest valid one: torn, only the stale other slot remained, and the next probe
     * read the superblock of the array's creation and declared split brain.
     */
    @Test
    void memberWhoseWritesTearAfterEachReaddIsNotSplitBrain() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        MirrorOptions probing = new MirrorOptions(Duration.ofSeconds(2), Duration.ofMillis(100), 4)
                .withProbeInterval(Duration.ofMillis(20), Duration.ofMillis(40))
                .withEvents(events::add);
        try (Mirror m = t.open(t.paths, probing)) {
            for (int round = 0; round < 8; round++) {
                t.fault(1).set(Fault.SHORT_WRITE); // the next write tears, then everything fails (EIO)
                m.write(ByteBuffer.wrap(new byte[2 * CHUNK]), (long) round * 2 * CHUNK);
                long end = System.nanoTime() + 5_000_000_000L;
                while (!List.of("faulty", "split-brain").contains(m.status().members().get(1).state())) {
                    if (System.nanoTime() > end) {
                        throw new AssertionError("round " + round + ": member 1 never failed: " + m.status());
                    }
                    Thread.sleep(5);
                }
                // Reads work again, the next write tears again: the probe re-adds it, its first write fails it.
                long readds = events.stream().filter(e -> e.name().equals("member-recovered")).count();
                t.fault(1).set(Fault.SHORT_WRITE);
                end = System.nanoTime() + 5_000_000_000L;
                while (events.stream().filter(e -> e.name().equals("member-recovered")).count() == readds
                        && !m.status().members().get(1).state().equals("split-brain")) {
                    if (System.nanoTime() > end) {
                        throw new AssertionError("round " + round + ": member 1 was not re-added: " + m.status());
                    }
                    Thread.sleep(5);
                }
                assertEquals(0, events.stream().filter(e -> e.name().equals("split-brain")).count(),
                        "round " + round + ": a member that only failed was reported split-brain: " + events);
            }
            t.fault(1).set(Fault.NONE);
            ProberTest.waitFor(m, 1, "in_sync");
            assertEquals(0, events.stream().filter(e -> e.name().equals("split-brain")).count(),
                    "a member that only failed was reported split-brain: " + events);
        }
        assertArrayEquals(t.image(0), t.image(1));
    }
}
