package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fr1 check / repair, and resync pause/resume. */
class ScrubTest {

    static final int CHUNK = 4096;
    static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    static void damage(Path member, long chunk) throws Exception {
        try (FileChannel ch = FileChannel.open(member, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xEE, 1, 2}), chunk * CHUNK + 7);
        }
    }

    @Test
    void checkFindsMismatchesByChunkAndRepairFixesThemFromTheNamedMember() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        try (Mirror m = t.open()) {
            m.write(ByteBuffer.wrap(new byte[(int) SIZE / 2]), 0);
            damage(t.paths.get(1), 3);
            damage(t.paths.get(1), 700);
            m.check(false, null);
            assertTrue(m.awaitCheckIdle(Duration.ofSeconds(30)));
            MirrorStatus.Check c = m.status().check();
            assertEquals(2, c.mismatches());
            assertEquals(List.of(3L, 700L), c.firstMismatches());
            assertEquals(SIZE / CHUNK, c.doneChunks());
            assertThrows(ArrayException.class, () -> m.check(true, null), "two members: no majority");
            m.check(true, "0");
            assertTrue(m.awaitCheckIdle(Duration.ofSeconds(30)));
            assertEquals(2, m.status().check().repaired());
            m.check(false, null);
            assertTrue(m.awaitCheckIdle(Duration.ofSeconds(30)));
            assertEquals(0, m.status().check().mismatches());
        }
        assertArrayEquals(t.image(0), t.image(1));
    }

    @Test
    void repairByMajorityWithThreeMembers() throws Exception {
        TestArray t = new TestArray(dir, 3, SIZE, CHUNK);
        try (Mirror m = t.open()) {
            damage(t.paths.get(2), 9);
            m.check(true, null);
            assertTrue(m.awaitCheckIdle(Duration.ofSeconds(30)));
            assertEquals(1, m.status().check().repaired());
        }
        assertArrayEquals(t.image(0), t.image(2));
    }

    @Test
    void pausedResyncWaitsAndResumes() throws Exception {
        TestArray t = new TestArray(dir, 2, SIZE, CHUNK);
        try (Mirror m = t.open()) {
            m.fail("1");
            m.write(ByteBuffer.wrap(new byte[64 * CHUNK]), 0);
            m.pauseResync();
            m.add("1", false);
            Thread.sleep(300);
            MirrorStatus s = m.status();
            assertEquals("recovering", s.members().get(1).state());
            assertEquals(64, s.members().get(1).missedChunks());
            assertEquals(List.of(new MirrorStatus.Run(0, 64)), s.members().get(1).missedRuns());
            assertTrue(s.resync().paused());
            m.resumeResync();
            TestArray.awaitIdle(m);
            assertEquals(64, m.status().members().get(1).lastResyncChunks());
        }
    }
}
