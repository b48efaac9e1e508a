package fr1.cli;

import fr1.control.ControlPaths;
import fr1.control.ControlServer;
import fr1.control.DaemonLock;
import fr1.control.FakeTarget;
import fr1.control.Samples;
import fr1.control.StatusJson;
import fr1.control.StatusText;
import fr1.engine.ArrayException;
import fr1.engine.MirrorStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as users meet it: exit statuses, the one-line errors, and talking to a (fake) mount. */
class CliTest {

    @TempDir
    Path dir;

    private ControlPaths paths;
    private Path mnt;
    private ControlServer server;
    private final FakeTarget target = new FakeTarget();

    record Run(int code, String out, String err) {
    }

    @BeforeEach
    void setUp() throws IOException {
        paths = new ControlPaths(dir.resolve("run"));
        mnt = Files.createDirectory(dir.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private Run fr1(String... args) {
        CommandLine cmd = Fr1Command.commandLine(paths);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A fake daemon serving the mountpoint's control socket. */
    private void serve() throws IOException {
        paths.ensureRunDir();
        server = ControlServer.start(paths.forMountpoint(mnt).socket(), target, mnt.toString());
    }

    private static void assertError(Run r, int code, String message) {
        assertEquals(code, r.code(), r.toString());
        assertEquals("fr1: " + message + "\n", r.err(), "exactly one line on stderr");
        assertEquals("", r.out());
    }

    private static void assertErrorStartsWith(Run r, int code, String start) {
        assertEquals(code, r.code(), r.toString());
        assertTrue(r.err().startsWith("fr1: " + start), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    }

    @Test
    void noCommandIsAUsageError() {
        assertError(fr1(), 2, "missing command: create, mount, status, wait, fail, remove, add, down, up or umount (see 'fr1 --help')");
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        assertErrorStartsWith(fr1("--bogus"), 2, "Unknown option: '--bogus'");
        assertErrorStartsWith(fr1("status", "--bogus", "/x"), 2, "Unknown option: '--bogus'");
        assertTrue(fr1("status", "--bogus", "/x").err().endsWith("(see 'fr1 status --help')\n"));
        assertErrorStartsWith(fr1("frobnicate"), 2, "Unmatched argument at index 0: 'frobnicate'");
        assertErrorStartsWith(fr1("fail", "/mnt"), 2, "Missing required parameter: 'MEMBER'");
    }

    @Test
    void versionAndHelp() {
        Run v = fr1("--version");
        assertEquals(0, v.code());
        assertTrue(v.out().startsWith("fr1 "), v.out());
        Run h = fr1("--help");
        assertEquals(0, h.code());
        assertTrue(h.out().contains("Exit status:"), h.out());
        assertTrue(h.out().contains("4   no fr1 mount at MOUNTPOINT"), h.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"create", "mount", "status", "wait", "fail", "remove", "add", "down", "up", "umount"})
    void everyCommandHasHelpWithExamples(String command) {
        Run h = fr1(command, "--help");
        assertEquals(0, h.code(), h.err());
        assertTrue(h.out().contains("Usage: fr1 " + command), h.out());
        assertTrue(h.out().contains("Examples:"), h.out());
    }

    @Test
    void createValidatesBeforeTouchingAnything() {
        assertErrorStartsWith(fr1("create", "--size", "1X", "a", "b"), 2, "Invalid value for option '--size'");
        assertTrue(fr1("create", "--size", "1X", "a", "b").err().contains("malformed size '1X'"));
        assertErrorStartsWith(fr1("create", "--size", "1G", "--chunk-size", "3K", "a", "b"), 2,
                "--chunk-size 3K: must be a power of two from 4K to 64M");
        assertErrorStartsWith(fr1("create", "--size", "1G", "--chunk-size", "128M", "a", "b"), 2,
                "--chunk-size 128M: must be a power of two from 4K to 64M");
        assertErrorStartsWith(fr1("create", "--size", "1G", "--chunk-size", "2K", "a", "b"), 2, "--chunk-size 2K");
        assertErrorStartsWith(fr1("create", "--size", "1000", "a", "b"), 2, "--size 1000: must be a positive multiple of 4K");
        assertErrorStartsWith(fr1("create", "a", "b"), 2, "--size is required");
        assertErrorStartsWith(fr1("create", "--size", "1G", "a"), 2, "a mirror needs at least 2 members, got 1");
        assertErrorStartsWith(fr1("create", "--size", "1G", "a", "b", "c", "d", "e", "f", "g", "h", "i"), 2,
                "at most 8 members, got 9");
        assertErrorStartsWith(fr1("create", "--size", "1G", "a", "./a"), 2, "a member path is given twice");
        assertFalse(Files.exists(Path.of("a")), "nothing created");
    }

    @Test
    void mountValidatesBeforeStartingAnything() throws IOException {
        Path file = Files.createFile(dir.resolve("file"));
        assertErrorStartsWith(fr1("mount", "-o", "bogus", "a", mnt.toString()), 2, "unknown mount option 'bogus'");
        assertErrorStartsWith(fr1("mount", "-o", "rw", "-o", "mode=999", "a", mnt.toString()), 2,
                "mount option 'mode=999': expected octal permission bits");
        assertErrorStartsWith(fr1("mount", "-o", "io-timeout=5", "a", mnt.toString()), 2,
                "mount option 'io-timeout': malformed duration '5'");
        assertError(fr1("mount", mnt.toString()), 2,
                "expected MEMBER... MOUNTPOINT: at least one member path, then the mountpoint (see 'fr1 mount --help')");
        assertErrorStartsWith(fr1("mount"), 2, "Missing required parameter: 'MEMBER... MOUNTPOINT'");
        assertError(fr1("mount", "a", dir.resolve("nope").toString()), 3,
                "mountpoint " + dir.resolve("nope") + " does not exist");
        assertError(fr1("mount", "a", file.toString()), 3, "mountpoint " + file + " is not a directory");
    }

    @Test
    void mountRefusesAMountpointWithARunningDaemon() throws IOException {
        paths.ensureRunDir();
        Optional<DaemonLock> lock = DaemonLock.tryAcquire(paths.forMountpoint(mnt).lock());
        try {
            assertError(fr1("mount", "-f", "a", "b", mnt.toString()), 3,
                    "an fr1 daemon is already running for " + mnt.toRealPath());
        } finally {
            lock.orElseThrow().close();
        }
    }

    @Test
    void commandsOnAMountpointWithoutMountSayNoMount() {
        assertError(fr1("status", mnt.toString()), 4, "no fr1 mount at " + mnt);
        assertError(fr1("status", "/no/such/dir"), 4, "no fr1 mount at /no/such/dir");
        assertError(fr1("fail", mnt.toString(), "1"), 4, "no fr1 mount at " + mnt);
        assertError(fr1("umount", mnt.toString()), 4, "no fr1 mount at " + mnt);
        assertError(fr1("wait", mnt.toString()), 4, "no fr1 mount at " + mnt);
    }

    @Test
    void statusPrintsTextOrJson() throws IOException {
        serve();
        Run text = fr1("status", mnt.toString());
        assertEquals(0, text.code(), text.err());
        assertEquals(StatusText.format(mnt.toString(), Samples.degraded()), text.out());
        Run json = fr1("status", "--json", mnt.toString());
        assertEquals(0, json.code(), json.err());
        assertEquals(StatusJson.format(mnt.toString(), Samples.degraded()) + "\n", json.out());
    }

    @Test
    void failRemoveAddReachTheDaemon() throws IOException {
        serve();
        assertEquals(new Run(0, "", "fr1: set 1 faulty in " + mnt + "\n"), fr1("fail", mnt.toString(), "1"));
        assertEquals(0, fr1("remove", mnt.toString(), "/nfs/b.img").code());
        assertEquals(0, fr1("add", "--full", mnt.toString(), "/nfs/new.img").code());
        assertEquals(0, fr1("raidhotadd", mnt.toString(), "1").code());
        assertEquals(new Run(0, "", ""), fr1("down", mnt.toString(), "1"));
        assertEquals(new Run(0, "", ""), fr1("up", mnt.toString(), "1"));
        assertEquals(List.of("fail 1", "remove /nfs/b.img", "add /nfs/new.img full", "add 1", "down 1", "up 1"),
                target.calls);
    }

    @Test
    void daemonRefusalsAndErrorsKeepTheirExitCodes() throws IOException {
        serve();
        target.failure = new ArrayException("member 0 is the last in_sync member");
        assertError(fr1("fail", mnt.toString(), "0"), 3, "member 0 is the last in_sync member");
        target.failure = new IOException("/nfs/b.img: Stale file handle");
        assertError(fr1("add", mnt.toString(), "1"), 5, "/nfs/b.img: Stale file handle");
    }

    @Test
    void umountWaitsUntilTheDaemonRemovedItsSocket() throws Exception {
        serve();
        DaemonLock lock = DaemonLock.tryAcquire(paths.forMountpoint(mnt).lock()).orElseThrow();
        target.onUnmount = () -> Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(300);
                server.close();
                lock.close();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        Run r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fr1("umount", mnt.toString()));
        assertEquals(new Run(0, "", ""), r);
        assertFalse(Files.exists(paths.forMountpoint(mnt).socket()));
    }

    @Test
    void umountNoticesADaemonThatDiedOnTheWay() throws Exception {
        serve();
        // No lock held: as if the daemon had died after answering, leaving its socket behind.
        Run r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fr1("umount", mnt.toString()));
        assertErrorStartsWith(r, 5, "the fr1 daemon of " + mnt.toRealPath() + " exited before closing the array cleanly");
    }

    @Test
    void umountOfABusyMountIsAnErrorAndLeavesItMounted() throws IOException {
        serve();
        target.failure = new IOException("unmounting " + mnt + ": Device or resource busy");
        assertError(fr1("umount", mnt.toString()), 5, "unmounting " + mnt + ": Device or resource busy");
        assertTrue(Files.exists(paths.forMountpoint(mnt).socket()));
    }

    @Test
    void waitReturnsOnceResyncIsDone() throws Exception {
        serve();
        target.status = Samples.recovering();
        Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(700);
            } catch (InterruptedException e) {
                return;
            }
            MirrorStatus r = Samples.recovering();
            target.status = new MirrorStatus(r.uuid(), r.size(), r.chunkSize(), r.events() + 1, "clean",
                    List.of(r.members().get(0), new MirrorStatus.Member(1, "/nfs/b.img", "in_sync", 0, 1704, null)),
                    MirrorStatus.Resync.idle());
        });
        Run r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fr1("wait", mnt.toString()));
        assertEquals(new Run(0, "", ""), r, "no progress output when stderr is not a terminal");
        assertTrue(target.calls.size() >= 2, "polled: " + target.calls);
    }
}
