package fr1.control;

import fr1.engine.MirrorStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsFileTest {

    @TempDir
    Path dir;

    @Test
    void writesAtOnceRewritesAsTheArrayChangesAndRemovesTheFileOnClose() throws Exception {
        FakeTarget target = new FakeTarget();
        target.counters = PrometheusTextTest.counters();
        Path file = dir.resolve("fr1.prom");
        try (MetricsFile m = MetricsFile.start(file, target, "/mnt/x", Duration.ofMillis(20))) {
            assertEquals(PrometheusText.format("/mnt/x", Samples.degraded(), target.counters), Files.readString(file),
                    "written before start returns");
            target.status = Samples.recovering();
            String want = PrometheusText.format("/mnt/x", Samples.recovering(), target.counters);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!want.equals(Files.readString(file))) {
                assertTrue(System.nanoTime() < deadline, "not rewritten within 10 s: " + Files.readString(file));
                Thread.sleep(10);
            }
            try (var ls = Files.list(dir)) {
                assertEquals(List.of(file), ls.toList(), "only the file: no temporary left beside it");
            }
        }
        assertFalse(Files.exists(file), "removed on close");
    }

    @Test
    void aDirectoryThatIsNotThereFailsTheStartWithTheReason() {
        FakeTarget target = new FakeTarget();
        IOException e = assertThrows(IOException.class,
                () -> MetricsFile.start(dir.resolve("nope/fr1.prom"), target, "/mnt/x"));
        assertEquals("cannot write the metrics file " + dir.resolve("nope/fr1.prom") + ": no such file or directory: "
                + dir.resolve("nope/.fr1.prom.tmp"), e.getMessage());
    }

    @Test
    void aFailedRewriteKeepsTheDaemonGoingAndTheOldFile() throws Exception {
        FakeTarget target = new FakeTarget();
        Path file = dir.resolve("fr1.prom");
        try (MetricsFile m = MetricsFile.start(file, target, "/mnt/x", Duration.ofMillis(10))) {
            String first = Files.readString(file);
            target.failure = new IOException("array busy");
            int calls = target.calls.size();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (target.calls.size() < calls + 3) {
                assertTrue(System.nanoTime() < deadline, "no further attempt within 10 s");
                Thread.sleep(5);
            }
            assertEquals(first, Files.readString(file), "a failed rewrite leaves the last good file");
            target.failure = null;
            target.status = new MirrorStatus("u", 1, 1, 1, "active", List.of(), MirrorStatus.Resync.idle());
            String want = PrometheusText.format("/mnt/x", target.status, target.counters);
            while (!want.equals(Files.readString(file))) {
                assertTrue(System.nanoTime() < deadline, "not rewritten after the failure cleared");
                Thread.sleep(5);
            }
        }
    }

    @Test
    void theOptionTakesOnlyAnAbsolutePath() {
        assertEquals(Path.of("/var/lib/node/fr1.prom"), MetricsFile.path("/var/lib/node/../node/fr1.prom"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetricsFile.path("fr1.prom"));
        assertEquals("mount option 'metrics-file' needs an absolute file path, not 'fr1.prom'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MetricsFile.path("/"));
    }

    @Test
    void noOptionNoFile() throws IOException {
        assertNull(MetricsFile.start(null, new FakeTarget(), "/mnt/x"));
    }
}
