package fr1.control;

import fr1.engine.IoStats;
import fr1.engine.MirrorCounters;
import fr1.engine.MirrorStatus;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The metrics output, checked by Prometheus's own parser and linter ({@code promtool check metrics}, Debian's
 * {@code prometheus} package, which it/run installs). Without promtool the parser checks are skipped locally and
 * fail in CI.
 */
class PrometheusTextTest {

    private static final String PROMTOOL = "/usr/bin/promtool";

    @Test
    void promtoolAcceptsTheOutputWithoutALintProblem() throws Exception {
        for (MirrorStatus s : List.of(Samples.degraded(), Samples.recovering(), writeBehind(), awkward())) {
            String text = PrometheusText.format("/mnt/x", s, counters());
            Check c = promtool(text);
            assertEquals(0, c.exit, "promtool check metrics: " + c.output + "\n--- input ---\n" + text);
            assertEquals("", c.output.strip(), "promtool lint problems\n--- input ---\n" + text);
        }
        Check c = promtool(PrometheusText.format("/mnt/\"we\\ird\"\nname", awkward(), MirrorCounters.NONE));
        assertEquals(0, c.exit, c.output);
    }

    @Test
    void promtoolRejectsAMalformedLine() throws Exception {
        String text = PrometheusText.format("/mnt/x", Samples.degraded(), counters());
        // The same output with one sample broken: proof that the check above can fail.
        String broken = text.replace("fr1_array_size_bytes{mountpoint=\"/mnt/x\"} 1073741824",
                "fr1_array_size_bytes{mountpoint=\"/mnt/x\" 1073741824");
        assertNotEquals(text, broken);
        assertNotEquals(0, promtool(broken).exit, "promtool took a malformed line");
    }

    @Test
    void showsStateMissedChunksLagAndResync() {
        String text = PrometheusText.format("/mnt/x", Samples.recovering(), counters());
        assertLine(text, "fr1_array_state{mountpoint=\"/mnt/x\",state=\"recovering\"} 1");
        assertLine(text, "fr1_array_state{mountpoint=\"/mnt/x\",state=\"active\"} 0");
        assertLine(text, "fr1_array_degraded_members{mountpoint=\"/mnt/x\"} 1");
        assertLine(text, "fr1_member_state{mountpoint=\"/mnt/x\",member=\"1\",state=\"recovering\"} 1");
        assertLine(text, "fr1_member_missed_chunks{mountpoint=\"/mnt/x\",member=\"1\"} 1704");
        assertLine(text, "fr1_resync_active{mountpoint=\"/mnt/x\"} 1");
        assertLine(text, "fr1_resync_progress_ratio{mountpoint=\"/mnt/x\"} " + (1234.0 / 2938));
        assertLine(text, "fr1_resync_rate_bytes_per_second{mountpoint=\"/mnt/x\"} 5.48405248E7");
        String wb = PrometheusText.format("/mnt/x", writeBehind(), counters());
        assertLine(wb, "fr1_member_lag_mode{mountpoint=\"/mnt/x\",member=\"1\",mode=\"behind\"} 1");
        assertLine(wb, "fr1_member_lag_writes{mountpoint=\"/mnt/x\",member=\"1\"} 12");
        assertLine(wb, "fr1_member_lag_bytes{mountpoint=\"/mnt/x\",member=\"1\"} 786432");
        assertLine(wb, "fr1_member_lag_chunks{mountpoint=\"/mnt/x\",member=\"1\"} 9");
        assertLine(wb, "fr1_member_recovery_point_seconds{mountpoint=\"/mnt/x\",member=\"1\"} 2.5");
        assertLine(wb, "fr1_array_unavailable_chunks{mountpoint=\"/mnt/x\"} 3");
    }

    @Test
    void showsIoCountersAsCumulativeHistogramsAndEventsByKind() {
        String text = PrometheusText.format("/mnt/x", Samples.degraded(), counters());
        assertLine(text, "fr1_member_io_operations_total{mountpoint=\"/mnt/x\",member=\"0\",op=\"write\"} 7");
        assertLine(text, "fr1_member_io_bytes_total{mountpoint=\"/mnt/x\",member=\"0\",op=\"write\"} 28672");
        assertLine(text, "fr1_member_io_errors_total{mountpoint=\"/mnt/x\",member=\"1\",op=\"write\"} 2");
        assertLine(text, "fr1_member_io_latency_seconds_bucket{mountpoint=\"/mnt/x\",member=\"0\",op=\"write\","
                + "le=\"0.0001\"} 4");
        assertLine(text, "fr1_member_io_latency_seconds_bucket{mountpoint=\"/mnt/x\",member=\"0\",op=\"write\","
                + "le=\"0.00025\"} 6");
        assertLine(text, "fr1_member_io_latency_seconds_bucket{mountpoint=\"/mnt/x\",member=\"0\",op=\"write\","
                + "le=\"+Inf\"} 7");
        assertLine(text, "fr1_member_io_latency_seconds_count{mountpoint=\"/mnt/x\",member=\"0\",op=\"write\"} 7");
        assertLine(text, "fr1_member_io_latency_seconds_sum{mountpoint=\"/mnt/x\",member=\"0\",op=\"write\"} 0.02");
        assertLine(text, "fr1_events_total{mountpoint=\"/mnt/x\",kind=\"member-failed\"} 1");
    }

    @Test
    void escapesLabelValues() {
        String text = PrometheusText.format("/mnt/\"a\"\\b\nc", awkward(), MirrorCounters.NONE);
        assertTrue(text.contains("{mountpoint=\"/mnt/\\\"a\\\"\\\\b\\nc\"}"), text);
        assertTrue(text.contains("path=\"/data/a \\\"quoted\\\" \\\\ back\tslash\\n\u0001\""), text);
    }

    // ---------------------------------------------------------------- samples and promtool

    static MirrorCounters counters() {
        long[] buckets = new long[IoStats.boundsSeconds().length + 1];
        buckets[0] = 4;
        buckets[1] = 2;
        buckets[buckets.length - 1] = 1;
        IoStats.Counts writes = new IoStats.Counts(7, 7 * 4096, 0, 20_000_000, buckets);
        IoStats.Counts failing = new IoStats.Counts(0, 0, 2, 0, new long[buckets.length]);
        return new MirrorCounters(List.of(
                new MirrorCounters.Member(0, new IoStats.Snapshot(IoStats.Counts.ZERO, writes)),
                new MirrorCounters.Member(1, new IoStats.Snapshot(IoStats.Counts.ZERO, failing))),
                Map.of("member-failed", 1L, "resync-finished", 0L));
    }

    private static MirrorStatus writeBehind() {
        return new MirrorStatus("u", 1L << 26, 64 << 10, 4, "active",
                List.of(new MirrorStatus.Member(0, "/data/a.img", "in_sync", 0, 0, null),
                        new MirrorStatus.Member(1, "/nfs/b.img", "in_sync", 0, 0, null, true, 3, List.of(),
                                new MirrorStatus.Lag("behind", 12, 786432, 9, 2500))),
                MirrorStatus.Resync.idle(), MirrorStatus.Check.idle(), new MirrorStatus.Unavailable(3, 1));
    }

    private static MirrorStatus awkward() {
        return new MirrorStatus("u", 4096, 4096, 1, "weird-new-state",
                List.of(new MirrorStatus.Member(0, "/data/a \"quoted\" \\ back\tslash\n\u0001", "in_sync", 0, 0, null),
                        new MirrorStatus.Member(1, "/nfs/ünïcødé €", "faulty", 5, 2, "stale")),
                new MirrorStatus.Resync(true, 1, 1, 3, Double.NaN, true));
    }

    private static void assertLine(String text, String line) {
        assertTrue(Arrays.asList(text.split("\n")).contains(line), "no line '" + line + "' in\n" + text);
    }

    private record Check(int exit, String output) {
    }

    private static Check promtool(String text) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PROMTOOL))) {
            boolean ci = System.getenv("CI") != null && !System.getenv("CI").isEmpty();
            assertTrue(!ci, PROMTOOL + " is missing in CI: it/run installs Debian's prometheus package");
            Assumptions.abort(PROMTOOL + " is missing (apt-get install prometheus): the parser checks are skipped");
        }
        Process p = new ProcessBuilder(PROMTOOL, "check", "metrics").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream is = p.getInputStream()) {
            is.transferTo(out);
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("promtool did not finish in 30 s");
        }
        return new Check(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }
}
