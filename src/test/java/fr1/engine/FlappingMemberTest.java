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
}
