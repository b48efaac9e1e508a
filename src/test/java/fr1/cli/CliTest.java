package fr1.cli;

import fr1.control.ControlPaths;
import fr1.control.ControlServer;
import fr1.control.DaemonLock;
import fr1.control.FakeTarget;
import fr1.control.Samples;
import fr1.control.PrometheusText;
import fr1.control.StatusJson;
import fr1.control.StatusText;
import fr1.engine.ArrayException;
import fr1.engine.MirrorCounters;
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
        assertError(fr1(), 2, "missing command: create, mount, status, wait, fail, remove, add, down, up, check, "
                + "repair, resync, umount, mkraid, raidstart, raidstop or lsraid (fr1 help) (see 'fr1 --help')");
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
    @ValueSource(strings = {"create", "mount", "status", "wait", "fail", "remove", "add", "down", "up", "umount",
            "check", "repair", "resync", "mkraid", "raidstart", "raidstop", "lsraid", "raidhotadd", "raidhotremove",
            "raidsetfaulty"})
    void everyCommandHasHelpWithExamples(String command) {
        Run h = fr1(command, "--help");
        assertEquals(0, h.code(), h.err());
        String name = switch (command) {
            case "raidhotadd" -> "add";
            case "raidhotremove" -> "remove";
            case "raidsetfaulty" -> "fail";
            default -> command;
        };
        assertTrue(h.out().contains("Usage: fr1 " + name), h.out());
        assertTrue(h.out().contains("Examples:"), h.out());
        Run help = fr1("help", command);
        assertEquals(0, help.code(), help.err());
        assertEquals(h.out(), help.out(), "fr1 help " + command + " is the same as --help");
        assertEquals(List.of(), h.out().lines().filter(l -> l.length() > 80).toList(), "help fits 80 columns");
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
                "at most 8 members and spares, got 9");
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
        assertErrorStartsWith(fr1("mount"), 2, "expected MEMBER... MOUNTPOINT");
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
    void statusPrintsPrometheusText() throws IOException {
        serve();
        Run prom = fr1("status", "--prometheus", mnt.toString());
        assertEquals(0, prom.code(), prom.err());
        assertEquals(PrometheusText.format(mnt.toString(), Samples.degraded(), MirrorCounters.NONE), prom.out());
        assertErrorStartsWith(fr1("status", "--prometheus", "--json", mnt.toString()), 2, "--prometheus is a format of its own");
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

    // ------------------------------------------------------------------ scrub, resync control, dirty map

    private static MirrorStatus withCheck(MirrorStatus s, MirrorStatus.Check c) {
        return new MirrorStatus(s.uuid(), s.size(), s.chunkSize(), s.events(), s.state(), s.members(), s.resync(), c);
    }

    @Test
    void checkStartsTheScrubAndReturns() throws IOException {
        serve();
        Run r = fr1("check", mnt.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("fr1: check of " + mnt + " started in the background ('fr1 status " + mnt
                + "' shows its progress and result)\n", r.err());
        assertEquals(0, fr1("repair", mnt.toString()).code());
        assertEquals(0, fr1("repair", mnt.toString(), "/data/a.img").code());
        assertEquals(List.of("check", "repair", "repair /data/a.img"), target.calls);
    }

    @Test
    void checkWaitListsMismatchesAndExits6() throws IOException {
        serve();
        target.status = withCheck(Samples.degraded(), new MirrorStatus.Check(false, false, 16384, 16384, 2, 0,
                List.of(12L, 16383L)));
        Run r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fr1("check", "--wait", mnt.toString()));
        assertEquals(6, r.code(), r.toString());
        assertEquals("""
                mismatch chunk 12 offset 786432 (768.0K) length 65536
                mismatch chunk 16383 offset 1073676288 (1023.9M) length 65536
                """, r.out());
        assertEquals("fr1: check of " + mnt + ": 16384 chunks compared, 2 mismatched chunks\n", r.err());

        target.status = withCheck(Samples.degraded(), new MirrorStatus.Check(false, false, 16384, 16384, 0, 0, List.of()));
        Run clean = fr1("check", "-w", mnt.toString());
        assertEquals(new Run(0, "", "fr1: check of " + mnt + ": 16384 chunks compared, no mismatches\n"), clean);
    }

    @Test
    void checkWaitFollowsARunningCheck() throws IOException {
        serve();
        target.status = withCheck(Samples.degraded(), new MirrorStatus.Check(true, false, 100, 16384, 0, 0, List.of()));
        Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(700);
            } catch (InterruptedException e) {
                return;
            }
            target.status = withCheck(Samples.degraded(),
                    new MirrorStatus.Check(false, false, 16384, 16384, 1, 0, List.of(7L)));
        });
        Run r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fr1("check", "--wait", mnt.toString()));
        assertEquals(6, r.code(), r.toString());
        assertEquals("mismatch chunk 7 offset 458752 (448.0K) length 65536\n", r.out());
        assertTrue(target.calls.stream().filter("status"::equals).count() >= 2, "polled: " + target.calls);
    }

    @Test
    void repairWaitIsGoodOnlyIfEveryMismatchWasRepaired() throws IOException {
        serve();
        target.status = withCheck(Samples.degraded(), new MirrorStatus.Check(false, true, 16384, 16384, 3, 3,
                List.of(1L, 2L, 3L)));
        Run ok = fr1("repair", "--wait", mnt.toString(), "0");
        assertEquals(0, ok.code(), ok.toString());
        assertTrue(ok.err().endsWith("3 mismatched chunks, 3 repaired\n"), ok.err());
        target.status = withCheck(Samples.degraded(), new MirrorStatus.Check(false, true, 16384, 16384, 3, 1,
                List.of(1L, 2L, 3L)));
        assertEquals(6, fr1("repair", "--wait", mnt.toString()).code());
        target.status = withCheck(Samples.degraded(), new MirrorStatus.Check(false, false, 40, 16384, 0, 0, List.of()));
        assertErrorStartsWith(fr1("check", "--wait", mnt.toString()), 5, "check of " + mnt + " stopped at chunk 40 of 16384");
        target.failure = new ArrayException("with 2 in-sync members there is no majority: name the member to repair from");
        assertError(fr1("repair", mnt.toString()), 3,
                "with 2 in-sync members there is no majority: name the member to repair from");
    }

    @Test
    void resyncPauseAndResume() throws IOException {
        serve();
        target.status = Samples.recovering();
        assertEquals(new Run(0, "", "fr1: resync of " + mnt + " paused\n"), fr1("resync", "pause", mnt.toString()));
        assertEquals(new Run(0, "", "fr1: resync of " + mnt + " resumed\n"), fr1("resync", "resume", mnt.toString()));
        target.status = Samples.degraded();
        assertEquals(new Run(0, "", "fr1: resync of " + mnt + " paused (none is running; the next one waits "
                + "until 'fr1 resync resume')\n"), fr1("resync", "pause", mnt.toString()));
        assertEquals(List.of("resync pause", "status", "resync resume", "status", "resync pause", "status"), target.calls);
        assertErrorStartsWith(fr1("resync", "stop", mnt.toString()), 2, "Invalid value for positional parameter at index 0");
    }

    @Test
    void statusMapDrawsTheDirtyMap() throws IOException {
        serve();
        Run r = fr1("status", "--map", mnt.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(StatusText.format(mnt.toString(), Samples.degraded())), r.out());
        assertTrue(r.out().contains("dirty map: 64 columns of 256 chunks (16.0M) each; '#' = missed\n"), r.out());
        assertTrue(r.out().contains("[1] |#" + ".".repeat(61) + "#.| faulty, 123 chunks missed\n"), r.out());
        assertErrorStartsWith(fr1("status", "--map", "--json", mnt.toString()), 2, "--map draws text");
    }

    @Test
    void lsraidListsEveryRunningMount() throws IOException {
        Run none = fr1("lsraid");
        assertEquals(new Run(0, "", "fr1: no fr1 arrays are running\n"), none);
        serve();
        Run r = fr1("lsraid");
        assertEquals(new Run(0, StatusText.format(mnt.toString(), Samples.degraded()), ""), r);
        Run json = fr1("lsraid", "--json");
        assertEquals("[" + StatusJson.format(mnt.toString(), Samples.degraded()) + "]\n", json.out());
        assertEquals(StatusText.format(mnt.toString(), Samples.degraded()), fr1("lsraid", mnt.toString()).out());
        assertError(fr1("lsraid", dir.toString()), 4, "no fr1 mount at " + dir);
    }

    // ------------------------------------------------------------------ raidtab and raidtools2 verbs

    private Path raidtab(String body) throws IOException {
        return Files.writeString(dir.resolve("vol.raidtab"), body);
    }

    private String volArray(String extra) {
        return "raiddev vol.img\n"
                + "  raid-level 1\n  nr-raid-disks 2\n  nr-spare-disks 1\n  chunk-size 16\n"
                + "  device " + dir.resolve("a.img") + "\n  raid-disk 0\n"
                + "  device " + dir.resolve("b.img") + "\n  raid-disk 1\n"
                + "  device " + dir.resolve("s.img") + "\n  spare-disk 0\n" + extra;
    }

    @Test
    void createFromRaidtabMakesMembersAndSpares() throws Exception {
        Path tab = raidtab(volArray("  fr1-size 4M\n"));
        Run r = fr1("create", "--config", tab.toString());
        assertEquals(new Run(0, "", "fr1: created 2-member array with 1 spare, size 4.0M, chunk 16K\n"), r);
        try (fr1.engine.Mirror m = fr1.engine.Mirror.open(List.of(dir.resolve("a.img"), dir.resolve("b.img"),
                dir.resolve("s.img")), fr1.engine.MirrorOptions.defaults())) {
            MirrorStatus s = m.status();
            assertEquals(4L << 20, s.size());
            assertEquals(16 << 10, s.chunkSize());
            assertEquals(List.of("in_sync", "in_sync", "spare"), s.members().stream().map(MirrorStatus.Member::state).toList());
        }
        assertErrorStartsWith(fr1("mkraid", "--config", tab.toString(), "vol.img"), 3, dir.resolve("a.img")
                + " already holds fr1 metadata");
        assertEquals(0, fr1("mkraid", "-c", tab.toString(), "--force", "vol.img").code(), "mkraid --force");
    }

    @Test
    void withoutASizeTheSmallestMemberGivesIt() throws Exception {
        // raidtools2 takes the size from the component devices: here 40M and 33M files, the spare is made.
        try (var a = new java.io.RandomAccessFile(dir.resolve("a.img").toFile(), "rw");
             var b = new java.io.RandomAccessFile(dir.resolve("b.img").toFile(), "rw")) {
            a.setLength(40 << 20);
            b.setLength(33 << 20);
        }
        Path tab = raidtab(volArray(""));
        long chunks = (33L << 20) / (16 << 10);
        while (new fr1.meta.Layout(chunks * (16 << 10), 16 << 10, 8, 16 << 20).minCapacity() > 33 << 20) {
            chunks--;
        }
        fr1.meta.Layout expected = new fr1.meta.Layout(chunks * (16 << 10), 16 << 10, 8, 16 << 20);
        assertTrue(new fr1.meta.Layout(expected.size() + (16 << 10), 16 << 10, 8, 16 << 20).minCapacity() > 33 << 20,
                "one chunk more does not");
        Run r = fr1("mkraid", "--config", tab.toString(), "vol.img");
        assertEquals(new Run(0, "", "fr1: size " + fr1.control.Units.human(expected.size()) + " from the smallest "
                + "member " + dir.resolve("b.img") + "\nfr1: created 2-member array with 1 spare, size "
                + fr1.control.Units.human(expected.size()) + ", chunk 16K\n"), r);
        try (fr1.engine.Mirror m = fr1.engine.Mirror.open(List.of(dir.resolve("a.img"), dir.resolve("b.img"),
                dir.resolve("s.img")), fr1.engine.MirrorOptions.defaults())) {
            assertEquals(expected.size(), m.status().size());
        }
        assertEquals(40L << 20, Files.size(dir.resolve("a.img")), "an existing member keeps its length");
        // Members that hold data still need --force; the plain create form behaves the same.
        assertErrorStartsWith(fr1("create", dir.resolve("a.img").toString(), dir.resolve("b.img").toString()), 3,
                dir.resolve("a.img") + " already holds fr1 metadata");
        Run forced = fr1("create", "--force", "--chunk-size", "16K", dir.resolve("a.img").toString(),
                dir.resolve("b.img").toString());
        assertEquals(0, forced.code(), forced.toString());
        assertTrue(forced.err().startsWith("fr1: size " + fr1.control.Units.human(expected.size())
                + " from the smallest member " + dir.resolve("b.img") + "\n"), forced.err());
        assertError(fr1("create", dir.resolve("a.img").toString(), dir.resolve("new.img").toString()), 2,
                "--size is required when a member does not exist yet (" + dir.resolve("new.img") + " does not; "
                        + "without --size the smallest member gives the size)");
        Files.writeString(dir.resolve("tiny.img"), "x");
        assertErrorStartsWith(fr1("create", "--force", dir.resolve("a.img").toString(),
                dir.resolve("tiny.img").toString()), 3, dir.resolve("tiny.img") + " has 1 bytes: too small");
    }

    @Test
    void theImagePathStandsForItsMount() throws Exception {
        serve();
        Files.createFile(mnt.resolve("vol.img")); // what the FUSE mount shows
        Run r = fr1("status", mnt.resolve("vol.img").toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(0, fr1("raidsetfaulty", mnt.resolve("vol.img").toString(), "1").code());
        assertEquals(List.of("status", "fail 1"), target.calls);
        // Not mounted (no image there yet): the raidtab's raiddev names it, its directory is the mountpoint.
        Path elsewhere = Files.createDirectory(dir.resolve("srv"));
        Path tab = Files.writeString(dir.resolve("img.raidtab"), "raiddev " + elsewhere.resolve("vol.img") + "\n"
                + "  raid-level 1\n  nr-raid-disks 2\n  device /x/a\n  raid-disk 0\n  device /x/b\n  raid-disk 1\n");
        Raidtab.Array a = Raidtab.read(tab).select(null);
        assertEquals(elsewhere, a.mountpoint());
        assertEquals("vol.img", a.imageName());
        assertEquals(elsewhere.toString(), Raidtab.resolveMountpoint(elsewhere.resolve("vol.img").toString(), tab,
                true));
        assertError(fr1("status", dir.resolve("nothing/vol.img").toString()), 4,
                "no fr1 mount at " + dir.resolve("nothing/vol.img"));
    }

    @Test
    void createFromRaidtabRefusals() throws IOException {
        Path tab = raidtab(volArray(""));
        assertError(fr1("create", "--config", tab.toString()), 2,
                tab + ":1: raiddev vol.img has no fr1-size and device " + dir.resolve("a.img") + " does not exist: "
                        + "give fr1-size (the image size), or create the devices first (the smallest gives the size)");
        assertErrorStartsWith(fr1("create", "--config", tab.toString(), "x.img"), 2,
                "with --config the members, spares, size and chunk size come from the raidtab");
        assertErrorStartsWith(fr1("create", "--array", "x", "a", "b"), 2, "--array needs --config");
        assertError(fr1("mkraid", "--config", tab.toString(), "md7"), 2,
                "no raiddev 'md7' in " + tab + " (it has vol.img)");
        Path failed = Files.writeString(dir.resolve("failed.raidtab"), "raiddev v\nraid-level 1\nnr-raid-disks 2\n"
                + "device /x/a\nraid-disk 0\ndevice /x/b\nfailed-disk 1\nfr1-size 1M\n");
        assertErrorStartsWith(fr1("create", "-c", failed.toString()), 2, failed + ":7: failed-disk 1: create makes "
                + "every member");
        Path typo = Files.writeString(dir.resolve("typo.raidtab"), volArray("  raid-dsik 2\n"));
        assertError(fr1("create", "--config", typo.toString()), 2, typo + ":12: unknown key 'raid-dsik'");
        assertError(fr1("mount", "--config", typo.toString(), mnt.toString()), 2, typo + ":12: unknown key 'raid-dsik'");
        assertFalse(Files.exists(dir.resolve("a.img")), "nothing created");
    }

    @Test
    void mountFromRaidtab() throws IOException {
        Path tab = raidtab(volArray(""));
        assertError(fr1("mount", "--config", tab.toString()), 2,
                tab + ":1: raiddev vol.img has no fr1-mountpoint: give the MOUNTPOINT");
        assertErrorStartsWith(fr1("mount", "--config", tab.toString(), "a", mnt.toString()), 2,
                "with --config give only the MOUNTPOINT");
        assertErrorStartsWith(fr1("mount", "--array", "vol.img", "a", mnt.toString()), 2, "--array needs --config");
        assertError(fr1("mount", "--config", tab.toString(), dir.resolve("nope").toString()), 3,
                "mountpoint " + dir.resolve("nope") + " does not exist");
        Path withMnt = Files.writeString(dir.resolve("m.raidtab"), volArray("  fr1-mountpoint " + mnt + "\n"
                + "  fr1-options bogus-option\n"));
        assertError(fr1("mount", "-c", withMnt.toString()), 2, withMnt + ":13: fr1-options: unknown mount option "
                + "'bogus-option'");
        assertEquals("fsname=" + tab + ",name=vol.img,async,mode=0640",
                MountCommand.configOptions(Raidtab.parse(volArray("fr1-options async\n"), tab),
                        Raidtab.parse(volArray("fr1-options async\n"), tab).select(null), "mode=0640"));
    }

    @Test
    void raidstartAndRaidstopUseTheFr1Mountpoint() throws Exception {
        Path tab = raidtab(volArray("  fr1-mountpoint " + mnt + "\n"));
        paths.ensureRunDir();
        Optional<DaemonLock> lock = DaemonLock.tryAcquire(paths.forMountpoint(mnt).lock());
        try {
            assertError(fr1("raidstart", "--config", tab.toString(), "vol.img"), 3,
                    "an fr1 daemon is already running for " + mnt.toRealPath());
        } finally {
            lock.orElseThrow().close();
        }
        assertErrorStartsWith(fr1("raidstart", "--config", tab.toString()), 2, "give either ARRAY or --all");
        serve();
        DaemonLock held = DaemonLock.tryAcquire(paths.forMountpoint(mnt).lock()).orElseThrow();
        target.onUnmount = () -> Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(200);
                server.close();
                held.close();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        Run r = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> fr1("raidstop", "--config", tab.toString(), "vol.img"));
        assertEquals(new Run(0, "", "fr1: stopped " + mnt + "\n"), r);
        assertTrue(target.calls.contains("unmount"), target.calls.toString());
        assertError(fr1("raidstop", "--config", tab.toString(), "md5"), 2, "no raiddev 'md5' in " + tab + " (it has vol.img)");
    }

    @Test
    void createCopyProgressCountsTheBytesCopied() throws IOException {
        assertTrue(CopyProgress.written() >= 0, "/proc/self/io is readable");
        Path from = Files.write(dir.resolve("from.img"), new byte[8192]);
        assertEquals(8192 * 2, CreateCommand.copyBytes(null, List.of(dir.resolve("x"), dir.resolve("y")), from));
        assertEquals(8192, CreateCommand.copyBytes(null, List.of(from, dir.resolve("y")), from), "--from as a member");
        assertEquals(4096 * 2, CreateCommand.copyBytes(4096L, List.of(dir.resolve("x"), dir.resolve("y"), dir.resolve("z")), null));
    }
}
