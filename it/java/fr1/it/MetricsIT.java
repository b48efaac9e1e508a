package fr1.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Monitoring on a real mount: {@code -o metrics-file=PATH} keeps a node_exporter textfile up to date (rewritten
 * as the array works and changes, parsed and linted by {@code promtool check metrics}, removed at unmount), and
 * {@code fr1 status --prometheus} prints the same format.
 */
class MetricsIT {

    private static final int MIB = 1 << 20;
    private static final Duration REWRITE = Duration.ofSeconds(20); // the daemon rewrites every 5 s

    private Rig rig;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theMetricsFileFollowsTheArrayAndPromtoolReadsIt() throws Exception {
        rig = Rig.open();
        rig.create("64M", 2);
        Path prom = rig.dir.resolve("textfile/fr1.prom");
        Files.createDirectories(prom.getParent());
        rig.cli.run("mount", "-o", "metrics-file=" + prom, rig.members.get(0).toString(),
                rig.members.get(1).toString(), rig.mnt.toString());
        assertTrue(Files.isRegularFile(prom), "written before fr1 mount returns");
        String mnt = "mountpoint=\"" + rig.mnt + "\"";
        assertPromtoolAccepts(Files.readString(prom));
        assertEquals(1, value(Files.readString(prom), "fr1_array_state{" + mnt + ",state=\"active\"}"));

        try (RandomAccessFile f = new RandomAccessFile(rig.image().toFile(), "rw")) {
            f.write(new byte[4 * MIB]);
            f.getFD().sync();
        }
        String written = awaitFile(prom, "member 1's writes counted", t ->
                value(t, "fr1_member_io_bytes_total{" + mnt + ",member=\"1\",op=\"write\"}") >= 4 * MIB);
        assertTrue(value(written, "fr1_member_io_operations_total{" + mnt + ",member=\"0\",op=\"write\"}") > 0,
                written);
        assertEquals(value(written, "fr1_member_io_operations_total{" + mnt + ",member=\"1\",op=\"write\"}"),
                value(written, "fr1_member_io_latency_seconds_count{" + mnt + ",member=\"1\",op=\"write\"}"),
                "every write in the latency histogram");

        rig.cli.run("fail", rig.mnt.toString(), "1");
        String failed = awaitFile(prom, "member 1 faulty", t ->
                value(t, "fr1_member_state{" + mnt + ",member=\"1\",state=\"faulty\"}") == 1);
        assertEquals(1, value(failed, "fr1_array_degraded_members{" + mnt + "}"), failed);
        assertEquals(1, value(failed, "fr1_events_total{" + mnt + ",kind=\"member-failed\"}"), failed);
        assertPromtoolAccepts(failed);

        Sh.Result status = rig.cli.run("status", "--prometheus", rig.mnt.toString());
        assertPromtoolAccepts(status.out());
        assertEquals(1, value(status.out(), "fr1_array_state{" + mnt + ",state=\"degraded\"}"), status.out());

        rig.cli.run("add", rig.mnt.toString(), "1");
        rig.cli.awaitInSync(rig.mnt, 1, Duration.ofSeconds(60));
        rig.cli.umount(rig.mnt);
        assertTrue(rig.awaitNoDaemon(Duration.ofSeconds(30)), "daemon still running after fr1 umount");
        assertFalse(Files.exists(prom), "the metrics file is removed when the array closes");
        try (var ls = Files.list(prom.getParent())) {
            assertEquals(List.of(), ls.toList(), "nothing left in the textfile directory");
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aMetricsFileThatCannotBeWrittenRefusesTheMountInOneLine() throws Exception {
        rig = Rig.open();
        rig.create("16M", 2);
        Sh.Result relative = rig.cli.attempt(Duration.ofSeconds(60), "mount", "-o", "metrics-file=fr1.prom",
                rig.members.get(0).toString(), rig.members.get(1).toString(), rig.mnt.toString());
        assertEquals(2, relative.exit(), relative.describe());
        assertEquals("fr1: mount option 'metrics-file' needs an absolute file path, not 'fr1.prom' "
                + "(see 'fr1 mount --help')",
                relative.err().strip(), relative.describe());
        Path nowhere = rig.dir.resolve("no-such-dir/fr1.prom");
        Sh.Result missing = rig.cli.attempt(Duration.ofSeconds(60), "mount", "-o", "metrics-file=" + nowhere,
                rig.members.get(0).toString(), rig.members.get(1).toString(), rig.mnt.toString());
        assertTrue(missing.exit() != 0, missing.describe());
        assertTrue(missing.err().contains("cannot write the metrics file " + nowhere), missing.describe());
        assertFalse(missing.err().contains("Exception"), "no Java class names: " + missing.describe());
        assertTrue(rig.awaitNoDaemon(Duration.ofSeconds(30)), "a daemon stayed after the refused mount");
    }

    /** The value of the sample whose name and labels are {@code series} exactly; fails if there is none. */
    private static double value(String text, String series) {
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).strip());
            }
        }
        throw new AssertionError("no sample " + series + " in\n" + text);
    }

    private static String awaitFile(Path file, String what, Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + REWRITE.toNanos();
        while (true) {
            String text = Files.readString(file);
            if (done.test(text)) {
                return text;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not in " + file + " after " + REWRITE.toSeconds() + " s:\n" + text);
            }
            Thread.sleep(200);
        }
    }

    private static void assertPromtoolAccepts(String text) throws IOException {
        Path promtool = Path.of("/usr/bin/promtool");
        assertTrue(Files.isExecutable(promtool), "promtool is missing: it/run installs Debian's prometheus package");
        Path in = Files.createTempFile("fr1-metrics", ".prom");
        try {
            Files.writeString(in, text);
            Sh.Result r = Sh.exec(Duration.ofSeconds(30), java.util.Map.of(),
                    List.of("sh", "-c", "promtool check metrics < \"$0\"", in.toString()));
            assertEquals(0, r.exit(), "promtool check metrics: " + r.describe() + "\n--- input ---\n" + text);
            assertEquals("", (r.out() + r.err()).strip(), "promtool lint problems\n--- input ---\n" + text);
        } finally {
            Files.deleteIfExists(in);
        }
    }
}
