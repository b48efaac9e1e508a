package fr1.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.control.StatusJson;
import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Running an array for years, on a real mount: scrub ({@code check}/{@code repair --wait} and their exit
 * statuses), {@code resync pause|resume}, the dirty map ({@code status --map}, {@code missedRuns}),
 * {@code lsraid}, and the progress bars of {@code wait}, {@code check --wait} and {@code create --from} on a
 * terminal ({@code script -qec}, as a user at a terminal sees them).
 */
class OperateIT {

    private static final int MIB = 1 << 20;

    private Rig rig;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (rig != null) {
            rig.close();
        }
    }

    /** {@code fr1 ARGS} under script(1), so stderr is a terminal; the typescript (stdout) and exit status. */
    private Sh.Result onTerminal(Duration timeout, String... args) {
        StringBuilder cmd = new StringBuilder(launcher());
        for (String a : args) {
            cmd.append(' ').append(a);
        }
        return Sh.exec(timeout, Map.of("JAVA_HOME", System.getProperty("java.home"), "FR1_JAR",
                System.getProperty("fr1.jar", Path.of("target/fr1.jar").toAbsolutePath().toString())),
                List.of("script", "-qec", cmd.toString(), "/dev/null"));
    }

    private static String launcher() {
        return Path.of(System.getProperty("fr1.launcher", "mount-scripts/fr1")).toAbsolutePath().toString();
    }

    /** Writes {@code length} bytes of a pattern into the image through the mount. */
    private void write(long offset, int length, byte value) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(rig.image().toFile(), "rw")) {
            byte[] b = new byte[length];
            java.util.Arrays.fill(b, value);
            f.seek(offset);
            f.write(b);
            f.getFD().sync();
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void checkFindsWhatDiffersAndRepairFixesIt() throws Exception {
        rig = Rig.open();
        rig.create("64M", 2);
        rig.mount("jfuse");
        write(0, 8 * MIB, (byte) 7);
        Sh.Result clean = rig.cli.attempt(Duration.ofMinutes(2), "check", "--wait", rig.mnt.toString());
        assertEquals(0, clean.exit(), clean.describe());
        assertTrue(clean.err().contains("1024 chunks compared, no mismatches"), clean.describe());

        // Member 1 changes behind fr1's back in chunk 40 (64K chunks).
        try (RandomAccessFile m1 = new RandomAccessFile(rig.members.get(1).toFile(), "rw")) {
            m1.seek(40L * 65536 + 100);
            m1.write(new byte[] {1, 2, 3});
            m1.getFD().sync();
        }
        Sh.Result bad = rig.cli.attempt(Duration.ofMinutes(2), "check", "--wait", rig.mnt.toString());
        assertEquals(6, bad.exit(), bad.describe());
        assertEquals("mismatch chunk 40 offset 2621440 (2.5M) length 65536\n", bad.out());
        assertTrue(rig.cli.statusText(rig.mnt).contains("last check: 1 mismatched chunk (chunks 40)"),
                rig.cli.statusText(rig.mnt));
        StatusJson.Doc st = rig.cli.status(rig.mnt);
        assertEquals(1, st.check().mismatches());

        Sh.Result noMajority = rig.cli.attempt(Duration.ofMinutes(1), "repair", rig.mnt.toString());
        assertEquals(3, noMajority.exit(), noMajority.describe());
        Sh.Result repair = rig.cli.attempt(Duration.ofMinutes(2), "repair", "--wait", rig.mnt.toString(), "0");
        assertEquals(0, repair.exit(), repair.describe());
        assertTrue(repair.err().contains("1 mismatched chunk, 1 repaired"), repair.describe());
        assertEquals(0, rig.cli.attempt(Duration.ofMinutes(2), "check", "--wait", rig.mnt.toString()).exit());
        assertEquals(Rig.sha256(rig.members.get(0), 64L * MIB), Rig.sha256(rig.members.get(1), 64L * MIB));
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void pausedResyncWaitsAndTheMapShowsWhatIsMissed() throws Exception {
        rig = Rig.open();
        rig.create("128M", 2);
        rig.cli.run("mount", "-o", "resync-max=8,resync-min=0", rig.members.get(0).toString(),
                rig.members.get(1).toString(), rig.mnt.toString());
        rig.cli.fail(rig.mnt, 1);
        write(32L * MIB, 16 * MIB, (byte) 1);   // chunks 512..767: columns 16..23 of 64 (32 chunks each)
        write(120L * MIB, 4 * MIB, (byte) 2);   // chunks 1920..1983: columns 60..61

        StatusJson.Doc st = rig.cli.status(rig.mnt);
        assertEquals(List.of(new StatusJson.Run(512, 256), new StatusJson.Run(1920, 64)), st.members().get(1).missedRuns());
        String map = rig.cli.run("status", "--map", rig.mnt.toString()).out();
        String bar = ".".repeat(16) + "#".repeat(8) + ".".repeat(36) + "##" + "..";
        assertTrue(map.contains("dirty map: 64 columns of 32 chunks (2.0M) each; '#' = missed\n"), map);
        assertTrue(map.contains("[1] |" + bar + "| faulty, 320 chunks missed\n"), map);

        rig.cli.run("resync", "pause", rig.mnt.toString());
        rig.cli.add(rig.mnt, 1);
        Thread.sleep(1500);
        st = rig.cli.status(rig.mnt);
        assertTrue(st.resync().paused(), st.toString());
        assertEquals(0, st.resync().doneChunks(), "nothing copied while paused: " + st);
        assertTrue(rig.cli.statusText(rig.mnt).contains("(paused)"), rig.cli.statusText(rig.mnt));

        // Resumed, at 8 MiB/s: 20 MiB take 2.5 s, longer than fr1 wait's JVM takes to start on a loaded machine (at
        // 16 MiB/s the resync was sometimes over before wait looked), so wait shows its bar on a terminal.
        rig.cli.run("resync", "resume", rig.mnt.toString());
        Sh.Result wait = onTerminal(Duration.ofMinutes(2), "wait", rig.mnt.toString());
        assertEquals(0, wait.exit(), wait.describe());
        assertTrue(wait.out().contains("\rrecovery = ") && wait.out().contains("MiB/s eta "), wait.out());
        st = rig.cli.awaitInSync(rig.mnt, 1, Duration.ofSeconds(30));
        assertEquals(320, st.members().get(1).lastResyncChunks());
        assertTrue(rig.cli.run("status", "--map", rig.mnt.toString()).out()
                .contains("every member is in sync: nothing missed"));

        Sh.Result check = onTerminal(Duration.ofMinutes(2), "check", "--wait", rig.mnt.toString());
        assertEquals(0, check.exit(), check.describe());
        assertTrue(check.out().contains("\rcheck = ") && check.out().contains("no mismatches"), check.out());

        String ls = rig.cli.run("lsraid").out();
        assertTrue(ls.contains("fr1 " + rig.mnt + ": active raid1 2 members [UU]"), ls);
        assertEquals(rig.mnt.toString(), StatusJson.readAll(rig.cli.run("lsraid", "--json").out()).getFirst().mountpoint());
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void createFromAnImageShowsItsCopyOnATerminal() throws Exception {
        rig = Rig.open();
        Path source = rig.dir.resolve("old.img");
        try (RandomAccessFile f = new RandomAccessFile(source.toFile(), "rw")) {
            f.setLength(512L * MIB);
            f.seek(100L * MIB);
            f.write("data".getBytes());
        }
        Path copy = rig.dir.resolve("copy.img");
        Sh.Result r = onTerminal(Duration.ofMinutes(2), "create", "--from", source.toString(), copy.toString());
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.out().contains("\rcopy = ") && r.out().contains("(512.0M/512.0M)"), r.out());
        assertTrue(r.out().contains("fr1: created 2-member array"), r.out());
        assertEquals(Rig.sha256(source, 512L * MIB), Rig.sha256(copy, 512L * MIB));
        Sh.Result quiet = rig.cli.attempt(Duration.ofMinutes(2), "create", "--force", "--from", source.toString(),
                copy.toString());
        assertEquals(0, quiet.exit(), quiet.describe());
        assertFalse(quiet.err().contains("copy ="), "no bar when stderr is not a terminal: " + quiet.err());
    }
}
