package fr1.it;

import static fr1.it.support.Fr1Cli.memberState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.control.StatusJson;
import fr1.it.support.Mounts;
import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who may do what with root's mount, checked as other users ({@code setpriv}): the control channel answers only
 * root and the mount's owner, even when the run directory and socket are opened up; the image's mode and owner
 * follow {@code -o mode=,uid=,gid=}, and other users cannot even look at the image unless {@code allow_other}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AccessIT {

    private static final int NOBODY = 65534;
    private static final Duration T = Duration.ofSeconds(60);

    private Rig rig;
    private Path jar;

    @BeforeEach
    void setUp() throws IOException {
        rig = Rig.open();
        // Other users must reach the mountpoint and a copy of the jar (the checkout may sit under /root).
        Files.setPosixFilePermissions(rig.dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        jar = rig.dir.resolve("fr1.jar");
        Files.copy(Path.of(System.getProperty("fr1.jar", "target/fr1.jar")), jar);
        rig.create("4M", 2);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (rig != null) {
            rig.close();
        }
    }

    /** Runs {@code cmd} as uid:gid with no supplementary groups and a clean environment plus {@code env}. */
    private static Sh.Result as(int uid, int gid, Map<String, String> env, String... cmd) {
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
                "--", "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"));
        env.forEach((k, v) -> c.add(k + "=" + v));
        c.addAll(List.of(cmd));
        return Sh.exec(T, Map.of(), c);
    }

    /** {@code fr1 ARGS} as {@code uid}, straight from the jar with the JDK running the tests. */
    private Sh.Result fr1As(int uid, Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        return as(uid, uid, env, cmd.toArray(String[]::new));
    }

    /** {@code fr1 ARGS} as root with extra environment. */
    private static Sh.Result fr1Root(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("fr1.launcher", "mount-scripts/fr1"))
                .toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put("JAVA_HOME", System.getProperty("java.home"));
        e.put("FR1_JAR", System.getProperty("fr1.jar", Path.of("target/fr1.jar").toAbsolutePath().toString()));
        return Sh.exec(T, e, cmd);
    }

    private void mount(Map<String, String> env, String... options) {
        List<String> args = new ArrayList<>(List.of("mount"));
        args.addAll(List.of(options));
        rig.members.forEach(m -> args.add(m.toString()));
        args.add(rig.mnt.toString());
        fr1Root(env, args.toArray(String[]::new)).check();
    }

    private static void assertDenied(Sh.Result r, String what) {
        assertEquals(4, r.exit(), what + ": " + r.describe());
        String err = r.err().strip();
        assertTrue(err.startsWith("fr1: ") && err.lines().count() == 1, what + ": one fr1: line: " + r.describe());
        System.out.println("AccessIT " + what + ": " + err);
    }

    @Test
    void theControlChannelRefusesOtherUsers() throws Exception {
        // Root's run directory (/run/fr1, 0700): another user does not even find the mount.
        mount(Map.of());
        Sh.Result r = fr1As(NOBODY, Map.of(), "status", rig.mnt.toString());
        assertDenied(r, "status as nobody");
        r = fr1As(NOBODY, Map.of("FR1_RUN_DIR", "/run/fr1"), "fail", rig.mnt.toString(), "1");
        assertDenied(r, "fail as nobody through /run/fr1");
        assertEquals("in_sync", memberState(rig.cli.status(rig.mnt), 1));
        rig.cli.umount(rig.mnt);

        // A run directory and socket opened to everyone: the daemon still checks the peer (SO_PEERCRED).
        Path run = rig.dir.resolve("run");
        Map<String, String> env = Map.of("FR1_RUN_DIR", run.toString());
        mount(env);
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<Path> sockets;
        try (var s = Files.list(run)) {
            sockets = s.filter(p -> p.toString().endsWith(".sock")).toList();
        }
        assertEquals(1, sockets.size(), "sockets in " + run + ": " + sockets);
        Files.setPosixFilePermissions(sockets.getFirst(), PosixFilePermissions.fromString("rw-rw-rw-"));
        for (String[] args : new String[][] {{"status", rig.mnt.toString()}, {"fail", rig.mnt.toString(), "1"},
            {"umount", rig.mnt.toString()}}) {
            r = fr1As(NOBODY, env, args);
            assertDenied(r, String.join(" ", args) + " as nobody");
            assertTrue(r.err().contains("permission denied") && r.err().contains("may not control this mount"),
                    "the daemon's refusal: " + r.describe());
        }
        StatusJson.Doc st = StatusJson.read(fr1Root(env, "status", "--json", rig.mnt.toString()).check().out());
        assertEquals("in_sync", memberState(st, 1), "member 1 after nobody's fail: " + st);
        assertTrue(Mounts.isMounted(rig.mnt), "unmounted by nobody");
        fr1Root(env, "umount", rig.mnt.toString()).check();
    }

    @Test
    void theImageFollowsModeUidGidAndOthersStayOutWithoutAllowOther() throws Exception {
        Path image = rig.image();
        mount(Map.of());
        assertEquals("600 0 0", Sh.run("stat", "-c", "%a %u %g", image.toString()).out().strip());
        assertFalse(mountOptions().contains("allow_other"), "allow_other without asking: " + mountOptions());
        assertTrue(mountOptions().contains("default_permissions"), mountOptions());
        Sh.Result r = as(NOBODY, NOBODY, Map.of(), "stat", image.toString());
        assertFalse(r.ok(), "nobody could stat the image without allow_other: " + r.describe());
        assertTrue(r.err().contains("Permission denied"), r.describe());
        assertFalse(as(NOBODY, NOBODY, Map.of(), "ls", rig.mnt.toString()).ok(), "nobody could list the mount");
        rig.cli.umount(rig.mnt);

        mount(Map.of(), "-o", "allow_other,mode=0640,uid=1234,gid=" + NOBODY);
        assertTrue(mountOptions().contains("allow_other"), mountOptions());
        assertEquals("640 1234 " + NOBODY, Sh.run("stat", "-c", "%a %u %g", image.toString()).out().strip());
        // Group nogroup may read, not write; anyone else may look but not read. The kernel checks the mode.
        r = as(NOBODY, NOBODY, Map.of(), "stat", "-c", "%a %u %g", image.toString());
        assertEquals("640 1234 " + NOBODY, r.check().out().strip());
        r = as(NOBODY, NOBODY, Map.of(), "dd", "if=" + image, "of=/dev/null", "bs=4096", "count=1");
        assertTrue(r.ok(), "group read: " + r.describe());
        r = as(NOBODY, NOBODY, Map.of(), "dd", "if=/dev/zero", "of=" + image, "bs=4096", "count=1", "conv=notrunc");
        assertFalse(r.ok(), "group write succeeded: " + r.describe());
        assertTrue(r.err().contains("Permission denied"), r.describe());
        r = as(4321, 4321, Map.of(), "dd", "if=" + image, "of=/dev/null", "bs=4096", "count=1");
        assertFalse(r.ok(), "another user could read a 0640 image: " + r.describe());
        assertTrue(r.err().contains("Permission denied"), r.describe());
        r = as(1234, 4321, Map.of(), "dd", "if=/dev/zero", "of=" + image, "bs=4096", "count=1", "conv=notrunc");
        assertTrue(r.ok(), "the owner could not write: " + r.describe());
        rig.cli.umount(rig.mnt);
    }

    /** The options of the mount at MNT as /proc/mounts shows them. */
    private String mountOptions() throws IOException {
        String mnt = rig.mnt.toString();
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 3 && f[1].equals(mnt)) {
                return f[3];
            }
        }
        throw new AssertionError(mnt + " is not in /proc/mounts");
    }
}
