package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FaultyStorage.Fault;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local member is called on the writer's own thread (no hand-off). If such a call hangs, the watchdog fails the
 * member at io-timeout: other writes go on without it, and the hung writer, once its call returns, has its write
 * acknowledged by the other member with the chunk in the failed member's missed set.
 */
class InlineCallTest {

    static final int CHUNK = 4096;

    @TempDir
    Path dir;

    @Test
    void hungInlineCallFailsTheMemberAtTheDeadlineAndOthersGoOn() throws Exception {
        TestArray t = new TestArray(dir, 2, 1L << 20, CHUNK);
        t.shared.computeIfAbsent(t.paths.get(0), k -> new fr1.io.FaultyStorage.Faults());
        try (Mirror m = t.open()) {
            t.fault(0).local(true);
            t.fault(1).local(true);
        }
        try (Mirror m = t.open()) {
            // Opened again: both members now report local storage (the switch is kept per path), so writes run
            // inline on this thread.
            m.write(ByteBuffer.allocate(CHUNK), 0); // the bit of chunk 0 is durable: the next write is data only
            long inlineBefore = Thread.getAllStackTraces().keySet().stream()
                    .filter(th -> th.getName().startsWith("fr1-m1-io")).count();
            assertEquals(0, inlineBefore, "a local member's writes made a hand-off thread");
            t.fault(1).set(Fault.HANG);
            CompletableFuture<Long> hung = CompletableFuture.supplyAsync(() -> {
                long t0 = System.nanoTime();
                try {
                    m.write(ByteBuffer.wrap(new byte[] {7}), 0);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return (System.nanoTime() - t0) / 1_000_000;
            });
            long end = System.nanoTime() + 10_000_000_000L;
            while (!m.status().members().get(1).state().equals("faulty")) {
                assertTrue(System.nanoTime() < end, "the watchdog never failed the hung member: " + m.status());
                Thread.sleep(10);
            }
            // The watchdog, not an error, failed it: the call was still hanging at the deadline. (Closing the failed
            // member's storage releases this test's hang, so the hung writer may return from here on.)
            assertTrue(m.status().members().get(1).reason().contains("did not answer in time"), m.status().toString());
            // Others go on: member 1 is out of every write now.
            long t0 = System.nanoTime();
            m.write(ByteBuffer.wrap(new byte[] {9}), 8L * CHUNK);
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 1000, "a write waited for the failed member");
            t.fault(1).set(Fault.NONE);
            long ms = hung.get(10, TimeUnit.SECONDS);
            assertTrue(ms >= 2000, "the hung write returned after " + ms + " ms, before io-timeout");
            assertTrue(m.status().members().get(1).missedRuns().stream().anyMatch(r -> r.start() == 0),
                    "the hung write's chunk is not missed: " + m.status());
            m.add("1", false);
            TestArray.awaitIdle(m);
        }
        assertArrayEquals(t.image(0), t.image(1));
    }
}
