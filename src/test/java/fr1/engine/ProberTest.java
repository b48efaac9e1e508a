package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FaultyStorage.Fault;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faulty members come back by themselves: the prober re-adds what is ours and refuses what was written elsewhere. */
class ProberTest {

    static final int CHUNK = 4096;
    static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    final List<EventListener.MirrorEvent> events = new CopyOnWriteArrayList<>();

    MirrorOptions probing() {
        return new MirrorOptions(Duration.ofSeconds(2), Duration.ofMillis(100), 4)
                .withProbeInterval(Duration.ofMillis(50), Duration.ofMillis(200))
                .withEvents(events::add);
    }

    static void waitFor(Mirror m, int member, String state) throws InterruptedException {
        long end = System.nanoTime() + 20_000_000_000L;
        while (!m.status().members().get(member).state().equals(state)) {
            if (System.nanoTime() > end) {
                throw new AssertionError("member " + member + " never became " + state + ": " + m.status());
            }
            Thread.sleep(20);
        }
    }

    boolean sawEvent(String name) {
        return events.stream().anyMatch(e -> e.name().equals(name));
    }

    @Test
    void memberThatErredIsReaddedByItselfAndGetsOnlyWhatItMissed() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        try (Mirror m = t.open(t.paths, probing())) {
            t.fault(1).set(Fault.EIO);
            m.write(ByteBuffer.allocate(3 * CHUNK), 0);
            m.write(ByteBuffer.allocate(CHUNK), 100L * CHUNK);
            assertEquals("faulty", m.status().members().get(1).state());
            Thread.sleep(300); // several probes fail while the fault lasts
            assertEquals("faulty", m.status().members().get(1).state());
            t.fault(1).set(Fault.NONE);
            waitFor(m, 1, "in_sync");
            assertEquals(4, m.status().members().get(1).lastResyncChunks());
        }
        assertArrayEquals(t.image(0), t.image(1));
        assertTrue(sawEvent("member-failed") && sawEvent("member-recovered") && sawEvent("resync-finished"), "" + events);
    }

    @Test
    void operatorFailedMemberStaysFailedUntilAdded() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        try (Mirror m = t.open(t.paths, probing())) {
            m.fail("1");
            Thread.sleep(500);
            assertEquals("faulty", m.status().members().get(1).state());
            m.down("1"); // already down: stays so
            m.up("1");
            waitFor(m, 1, "in_sync");
        }
    }

    @Test
    void vanishedPathIsFailedAndReaddedWhenItReturns() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        Path away = dir.resolve("away.img");
        try (Mirror m = t.open(t.paths, probing())) {
            Files.move(t.paths.get(1), away);
            waitFor(m, 1, "faulty");
            assertEquals("path vanished", m.status().members().get(1).reason());
            m.write(ByteBuffer.allocate(CHUNK), 7L * CHUNK);
            Thread.sleep(300);
            assertTrue(Files.notExists(t.paths.get(1)), "a probe must never create the member");
            Files.move(away, t.paths.get(1));
            waitFor(m, 1, "in_sync");
            assertEquals(1, m.status().members().get(1).lastResyncChunks());
        }
    }

    @Test
    void replacedFileIsFailedAndAForeignOneIsNotReadded() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        Path other = Files.createDirectory(dir.resolve("other"));
        TestArray foreign = new TestArray(other, 2, SIZE, CHUNK);
        Path saved = dir.resolve("saved.img");
        try (Mirror m = t.open(t.paths, probing())) {
            Files.copy(t.paths.get(1), saved);
            Files.copy(foreign.paths.get(0), t.paths.get(1), StandardCopyOption.REPLACE_EXISTING);
            waitFor(m, 1, "faulty");
            Thread.sleep(400);
            assertEquals("faulty", m.status().members().get(1).state());
            assertTrue(sawEvent("probe-failed"), "" + events);
        }
    }

    @Test
    void memberWrittenElsewhereIsSplitBrainAndUntouched() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        Path side = dir.resolve("side.img");
        try (Mirror m = t.open(t.paths, probing())) {
            Files.move(t.paths.get(1), side);
            waitFor(m, 1, "faulty");
            // Someone mounts member 1 alone and writes to it.
            try (Mirror alone = Mirror.open(List.of(side), TestArray.fastOptions())) {
                alone.write(ByteBuffer.wrap(new byte[] {9}), 0);
            }
            byte[] before = Files.readAllBytes(side);
            Files.move(side, t.paths.get(1));
            waitFor(m, 1, "split-brain");
            Thread.sleep(300);
            assertEquals("split-brain", m.status().members().get(1).state());
            assertArrayEquals(before, Files.readAllBytes(t.paths.get(1)));
            assertTrue(sawEvent("split-brain"));
            m.add("1", true); // the user decides: overwrite it
            waitFor(m, 1, "in_sync");
        }
        assertArrayEquals(t.image(0), t.image(1));
    }
}
