package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A spare stands by and takes a removed member's place with a full resync. */
class SpareTest {

    @TempDir
    Path dir;

    @Test
    void spareReplacesARemovedMember() throws Exception {
        List<Path> members = List.of(dir.resolve("a"), dir.resolve("b"));
        Path spare = dir.resolve("s");
        long size = 1 << 20;
        Mirror.create(new CreateSpec(size, 4096, members, false, null, List.of(spare)));
        byte[] data = new byte[(int) size];
        new Random(1).nextBytes(data);
        try (Mirror m = Mirror.open(List.of(members.get(0), members.get(1), spare), TestArray.fastOptions())) {
            assertEquals("spare", m.status().members().get(2).state());
            assertEquals("active", m.status().state());
            m.write(ByteBuffer.wrap(data), 0);
            m.fail("1");
            m.remove("1");
            TestArray.awaitIdle(m);
            MirrorStatus.Member s = m.status().members().get(2);
            assertEquals("in_sync", s.state());
            assertEquals(size / 4096, s.lastResyncChunks());
        }
        assertArrayEquals(data, java.util.Arrays.copyOf(Files.readAllBytes(spare), (int) size));
        // Next time the former spare is a member like the others.
        try (Mirror m = Mirror.open(List.of(members.get(0), spare), TestArray.fastOptions())) {
            assertEquals("in_sync", m.status().members().get(2).state());
            assertEquals("removed", m.status().members().get(1).state());
        }
    }
}
