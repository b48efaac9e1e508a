package fr1.engine;

import fr1.io.FaultyStorage.Fault;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-member I/O counters and event counts, as {@link Mirror#counters()} gives them. */
class IoStatsTest {

    private static final int CHUNK = 4096;

    @TempDir
    Path dir;

    @Test
    void countsEveryMembersWritesTheReadsAndTheFailures() throws Exception {
        TestArray t = new TestArray(dir, 2, 64 * CHUNK, CHUNK);
        try (Mirror m = t.open()) {
            MirrorCounters before = m.counters();
            for (int i = 0; i < 10; i++) {
                m.write(ByteBuffer.allocate(CHUNK), (long) i * CHUNK);
            }
            for (int i = 0; i < 5; i++) {
                m.read(ByteBuffer.allocate(1000), (long) i * CHUNK);
            }
            t.fault(1).set(Fault.EIO);
            m.write(ByteBuffer.allocate(CHUNK), 0);
            t.fault(1).set(Fault.NONE);
            MirrorCounters c = m.counters();

            IoStats.Snapshot m0 = c.members().get(0).io();
            IoStats.Snapshot m1 = c.members().get(1).io();
            assertEquals(11 - before.members().get(0).io().write().ops(), m0.write().ops(), "member 0 took every write");
            assertEquals(11L * CHUNK - before.members().get(0).io().write().bytes(), m0.write().bytes());
            assertEquals(10 - before.members().get(1).io().write().ops(), m1.write().ops(), "member 1 until it failed");
            assertEquals(1, m1.write().errors(), "member 1's failed write");
            assertEquals(0, m0.write().errors());
            long reads = m0.read().ops() + m1.read().ops() - before.members().get(0).io().read().ops()
                    - before.members().get(1).io().read().ops();
            assertEquals(5, reads, "each read from one member");
            assertEquals(5000, m0.read().bytes() + m1.read().bytes() - before.members().get(0).io().read().bytes()
                    - before.members().get(1).io().read().bytes());
            for (IoStats.Counts k : List.of(m0.write(), m1.write(), m0.read())) {
                assertEquals(k.ops(), java.util.Arrays.stream(k.perBucket()).sum(), "every call in one bucket");
                assertTrue(k.ops() == 0 || k.nanos() > 0, "latency summed");
            }
            assertEquals(1L, c.events().get("member-failed"), "events by kind: " + c.events());
            assertEquals(0L, c.events().get("split-brain"), "known kinds start at zero: " + c.events());
        }
    }
}
