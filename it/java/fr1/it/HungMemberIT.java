package fr1.it;

import static fr1.it.hang.StatusTimer.inSyncAndIdle;
import static fr1.it.hang.StatusTimer.state;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.it.faults.Tools;
import fr1.it.hang.DaemonThreads;
import fr1.it.hang.HangRig;
import fr1.it.hang.ImageWriter;
import fr1.it.hang.StatusTimer;
import fr1.control.StatusJson;
import fr1.it.support.Mounts;
import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A hung member must never freeze the array (issue 9). Member 0 is a local file, member 1 the one file of a
 * {@link fr1.it.hang.HangFs} mount, whose every call (getattr and lookup included, so {@code stat} and
 * {@code toRealPath} of the member path hang too) blocks while a flag file exists: a dead NFS or SSHFS server. fr1
 * runs with {@code -o io-timeout=2s}; a thread writes 4 KiB blocks straight to the image, each followed by an fsync,
 * every write to a new chunk, with a ledger of what was acknowledged when.
 *
 * <p>The flag is created: fr1 must fail member 1 within io-timeout and the writer goes on. While it hangs, the
 * operator runs {@code fr1 down MNT PATH}, {@code fr1 add MNT PATH} and {@code fr1 status MNT}, naming member 1 by
 * its path; every command runs with a deadline (the test never hangs) and while each runs the status is polled on
 * the control socket. Asserted: the writer's slowest write+fsync stays within io-timeout + 1 s, every status answers
 * within 1 s, {@code down} succeeds, {@code add} refuses (or defers) in one line without Java class names, the text
 * status shows member 1 by its path as faulty. Then the flag goes, {@code fr1 up MNT PATH} (down told the prober to
 * leave the member alone), and member 1 must come back in sync with a resync of what it missed, bounded from both
 * sides by the writer's ledger:
 *
 * <ul>
 *   <li>at most the distinct chunks of the writes that started from one second before the flag was created until
 *       member 1 was first seen back (recovering or in sync: its missed set is fixed then), plus
 *       {@value #SLACK_CHUNKS}: every write is fsync'ed, so what member 1 acknowledged before the hang is
 *       flushed on it; only the writes of the last moment before the hang can be at risk, and one second of them
 *       (about 50-100 writes, one chunk each) is a generous margin. A missed set padded with chunks that were
 *       merely recently written (a lazily cleared write-intent bitmap) breaks it;</li>
 *   <li>at least the distinct chunks of the writes that started after member 1 was seen faulty and were acknowledged
 *       before the hang was lifted: member 1 cannot have taken those.</li>
 * </ul>
 * Finally the writer stops, every acknowledged block reads back right through the image, fr1 is unmounted and the
 * image regions of the two members are byte-identical.
 *
 * <p>{@code -Dfr1.it.hang.byIndex=true} names member 1 by its index instead, to tell a freeze in path resolution
 * from one elsewhere. A freeze fails the test within seconds, with the fr1 daemon's stuck threads in the message.
 */
class HungMemberIT {

    private static final String SIZE = "256M";
    private static final long SIZE_BYTES = 256L << 20;
    private static final long IO_TIMEOUT_MS = 2000;
    private static final String OPTIONS = "binding=jfuse,io-timeout=2s,probe-interval=500ms";
    /** The writer's bound: io-timeout + 1 s. */
    private static final long WRITE_BOUND_MS = IO_TIMEOUT_MS + 1000;
    /** Status must answer within this, on the socket (the CLI's JVM start is not counted). */
    private static final long STATUS_BOUND_MS = 1000;
    /** How long before the hang writes still count as possibly not on member 1. */
    private static final long AT_RISK_BEFORE_HANG_NANOS = 1_000_000_000L;
    private static final int SLACK_CHUNKS = 2;
    /**
     * Deadline of a command run during the hang: only there so the test never hangs (the CLI's JVM takes 1-5 s to
     * start on a loaded machine). A frozen array is recognised sooner (see {@link #FROZEN_MS}).
     */
    private static final Duration CLI_WAIT = Duration.ofSeconds(20);
    /** A write in flight this long, or 3 unanswered status polls: the array froze; stop waiting for the command. */
    private static final long FROZEN_MS = WRITE_BOUND_MS + 1000;
    private static final Pattern JAVA_NAMES = Pattern.compile(
            "\\b(java|javax|jdk|sun|fr1|org|com)\\.[a-z]\\w*\\.|\\b[A-Z]\\w*(Exception|Error)\\b|\\n\\s+at ");

    private Rig rig;
    private HangRig hang;
    private ImageWriter writer;
    /** How long each command run during the hang took, for the messages. */
    private final Map<Sh.Result, Long> tookMillis = new IdentityHashMap<>();
    private final ExecutorService commands = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hung-member-cli");
        t.setDaemon(true);
        return t;
    });

    @BeforeAll
    static void tools() {
        Mounts.requireFuseAndLoop();
        Tools.require("fusermount3", "umount");
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void hungMemberNeverBlocksWritesStatusOrCommands() throws Exception {
        long tStart = System.nanoTime();
        rig = Rig.open();
        hang = HangRig.start(rig.dir);
        Path m1 = hang.member();
        rig.members.add(rig.dir.resolve("m0.img"));
        rig.members.add(m1);
        step(tStart, "HangFs up");
        rig.cli.create(SIZE, rig.members); // through HangFs: it sizes and formats member 1 via the mount
        step(tStart, "array created");
        List<String> mount = new ArrayList<>(List.of("mount", "-o", OPTIONS));
        rig.members.forEach(m -> mount.add(m.toString()));
        mount.add(rig.mnt.toString());
        rig.cli.run(mount.toArray(String[]::new));
        step(tStart, "mounted");
        StatusTimer timer = new StatusTimer(rig.mnt);
        StatusJson.Doc st = timer.status();
        assertEquals("in_sync", state(st, 0), "member 0 at start: " + st);
        assertEquals("in_sync", state(st, 1), "member 1 at start: " + st);
        assertEquals(m1.toString(), st.members().get(1).path(), "member 1's path in status: " + st);
        int chunkSize = (int) st.array().chunkSize();
        long seed = System.nanoTime();
        System.out.println("HungMemberIT seed=" + seed + " dir=" + rig.dir + " member1=" + m1 + " chunk=" + chunkSize);
        writer = new ImageWriter(rig.image(), SIZE_BYTES, chunkSize, seed, 10).start();
        writer.awaitProgress(50, 20_000, "before the hang");
        step(tStart, "writer running");

        // ---- member 1 hangs: fr1 fails it within io-timeout, the writer goes on
        SlowWriteWatch slowWrite = new SlowWriteWatch();
        long tFlag = hang.hang();
        StatusTimer.Phase failing = new StatusTimer.Phase();
        long tFaulty = await(timer, failing, "member 1 faulty after the hang began", IO_TIMEOUT_MS + 3000,
                s -> "faulty".equals(state(s, 1)));
        long toFaulty = (tFaulty - tFlag) / 1_000_000;
        writer.awaitProgress(10, WRITE_BOUND_MS, "after member 1 was failed");
        String slowWhere = slowWrite.stop();
        System.out.println("HungMemberIT: member 1 faulty " + toFaulty + " ms after the hang began ("
                + timer.last().members().get(1).reason() + "); slowest write+fsync so far: " + writer.slowest());
        assertAll("member 1 hung (HangFs blocks every call); fr1 -o io-timeout=2s",
                () -> assertTrue(toFaulty <= IO_TIMEOUT_MS + 1000, "member 1 was failed " + toFaulty
                        + " ms after the hang began; io-timeout is " + IO_TIMEOUT_MS + " ms"),
                () -> assertTrue(failing.allWithin(STATUS_BOUND_MS), "status while member 1 was being failed: "
                        + failing),
                () -> assertTrue(writer.worstLatencyMillis() <= WRITE_BOUND_MS, "the writer's slowest write+fsync "
                        + "took " + writer.worstLatencyMillis() + " ms (" + writer.slowest()
                        + "), more than io-timeout + 1 s = " + WRITE_BOUND_MS + " ms" + slowWhere));

        // ---- while it hangs: down, status, add, naming member 1 by its path
        String name = Boolean.getBoolean("fr1.it.hang.byIndex") ? "1" : m1.toString();
        StatusTimer.Phase downPhase = new StatusTimer.Phase();
        Sh.Result down = whileWatching(timer, downPhase, CLI_WAIT, "down", rig.mnt.toString(), name);
        checkResponsive("while `fr1 down MNT " + name + "` ran (" + took(down) + ")", downPhase);
        assertTrue(down.ok(), "fr1 down naming the hung member by its path: " + down.describe());
        assertEquals("faulty", state(timer.status(), 1), "member 1 after fr1 down: " + timer.last());

        StatusTimer.Phase textPhase = new StatusTimer.Phase();
        Sh.Result text = whileWatching(timer, textPhase, CLI_WAIT, "status", rig.mnt.toString());
        checkResponsive("while `fr1 status MNT` ran (" + took(text) + ")", textPhase);
        assertTrue(text.ok(), "fr1 status during the hang: " + text.describe());
        String line1 = text.out().lines().filter(l -> l.contains(m1.toString())).findFirst().orElse("");
        assertTrue(line1.contains("faulty"), "fr1 status should show member 1 by its path as faulty:\n" + text.out());

        // add may wait out the hung calls (io-timeout) and a bounded open (io-timeout); the CLI's own start-up
        // is what `fr1 status` just took.
        long addBound = 2 * IO_TIMEOUT_MS + 2000 + tookMillis.get(text);
        StatusTimer.Phase addPhase = new StatusTimer.Phase();
        Sh.Result add = whileWatching(timer, addPhase, CLI_WAIT, "add", rig.mnt.toString(), name);
        checkResponsive("while `fr1 add MNT " + name + "` ran (" + took(add) + ")", addPhase);
        assertTrue(!add.timedOut() && tookMillis.get(add) <= addBound, "fr1 add of the hung member must answer "
                + "(refuse or defer) within 2 x io-timeout + 2 s + the CLI's start-up = " + addBound + " ms; it "
                + took(add) + ": " + add.describe());
        assertOneLine("fr1 add of the hung member (exit " + add.exit() + ")", add);
        String addSays = (add.err() + add.out()).strip();
        System.out.println("HungMemberIT: fr1 add during the hang, " + took(add) + ": " + addSays);
        StatusJson.Doc afterAdd = timer.status();
        assertFalse(inSyncAndIdle(afterAdd, 1), "member 1 in sync while it still hangs: " + afterAdd);
        long hungFor = (System.nanoTime() - tFlag) / 1_000_000;

        // ---- the hang is lifted: member 1 comes back and resyncs what it missed
        long tLift = hang.lift();
        Set<Long> surelyMissed = writer.chunksWrittenWithin(tFaulty, tLift);
        StatusJson.Doc s = timer.status();
        Sh.Result up = null;
        if ("faulty".equals(state(s, 1))) {
            long t0 = System.nanoTime();
            up = rig.cli.attempt(CLI_WAIT, "up", rig.mnt.toString(), name);
            tookMillis.put(up, (System.nanoTime() - t0) / 1_000_000);
            assertTrue(up.ok(), "fr1 up after the hang: " + up.describe());
        }
        StatusTimer.Phase healing = new StatusTimer.Phase();
        long[] tBack = {0}; // first seen no longer faulty: its missed set is fixed from then on
        StatusJson.Doc[] lastFaulty = {s};
        long tIn = await(timer, healing, "member 1 in sync again after the hang was lifted", 30_000, x -> {
            if (tBack[0] == 0 && !"faulty".equals(state(x, 1))) {
                tBack[0] = System.nanoTime();
            } else if (tBack[0] == 0) {
                lastFaulty[0] = x;
            }
            return inSyncAndIdle(x, 1);
        });
        writer.awaitProgress(10, WRITE_BOUND_MS, "after member 1 is back");
        assertTrue(writer.stop(10_000), "the writer did not stop");
        writer.assertNoError("through the hang");
        StatusJson.Doc done = timer.status();
        long resynced = done.members().get(1).lastResyncChunks();
        Set<Long> atRisk = writer.chunksStartedWithin(tFlag - AT_RISK_BEFORE_HANG_NANOS, tBack[0]);
        long bound = atRisk.size() + SLACK_CHUNKS;
        String resyncReport = "lastResyncChunks " + resynced + "; chunks written while member 1 was surely faulty "
                + surelyMissed.size() + "; chunks of writes started from 1 s before the hang until member 1 was "
                + "seen back " + atRisk.size() + " (bound " + bound + "); last missed set seen: "
                + writer.explainMissed(missedChunks(lastFaulty[0]), tFlag - AT_RISK_BEFORE_HANG_NANOS)
                + "; status: " + done;
        System.out.println("HungMemberIT: " + resyncReport);
        assertEquals(0, done.members().get(1).missedChunks(), "missed after the resync: " + done);
        assertTrue(resynced >= surelyMissed.size() && !surelyMissed.isEmpty(),
                "the resync copied fewer chunks than member 1 surely missed: " + resyncReport);

        step(tStart, "member 1 back in sync, writer stopped");
        int blocks = writer.verify(rig.image(), "after the resync");
        rig.cli.umount(rig.mnt);
        step(tStart, "unmounted");
        assertFalse(Mounts.isMounted(rig.mnt), "still mounted after fr1 umount: " + rig.mnt);
        assertEquals(Rig.sha256(rig.members.get(0), SIZE_BYTES), Rig.sha256(hang.contents(), SIZE_BYTES),
                "the image regions of member 0 and member 1 differ after the resync");
        // Right, then lean: only what it can have missed was copied, and no write waited too long, start to end.
        assertTrue(resynced <= bound, "the resync copied more than member 1 can have missed: " + resyncReport);
        assertTrue(writer.worstLatencyMillis() <= WRITE_BOUND_MS, "the writer's slowest write+fsync took "
                + writer.worstLatencyMillis() + " ms (" + writer.slowest() + "), more than io-timeout + 1 s = "
                + WRITE_BOUND_MS + " ms");
        System.out.printf("HungMemberIT: hang->faulty %d ms, hung %d ms, down %s, add %s, status %s, "
                        + "up %s, lift->in_sync %d ms, writer %d writes (slowest %d ms), %d blocks verified, "
                        + "resynced %d chunks (surely missed %d, bound %d), total %d s%n",
                toFaulty, hungFor, took(down), took(add), took(text), up == null ? "-" : took(up),
                (tIn - tLift) / 1_000_000, writer.acked(), writer.worstLatencyMillis(), blocks, resynced,
                surelyMissed.size(), bound, (System.nanoTime() - tStart) / 1_000_000_000L);
    }

    // ------------------------------------------------------------------------------------------ helpers

    /**
     * While member 1 is being failed: once the writer's op has waited longer than io-timeout + 0.5 s and is still
     * waiting, takes the fr1 daemon's threads once (where does the write wait after its member timed out?).
     */
    private final class SlowWriteWatch {
        private volatile boolean done;
        private volatile String where = "";
        private final Thread thread = Thread.ofPlatform().daemon().name("hung-member-slow-write").start(this::run);

        private void run() {
            while (!done) {
                if (writer.inflightMillis() > IO_TIMEOUT_MS + 500) {
                    where = "\n  with that write in flight for " + writer.inflightMillis() + " ms, "
                            + DaemonThreads.summary(rig.mnt);
                    return;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** What it saw, or "" if no op waited that long. */
        String stop() throws InterruptedException {
            done = true;
            thread.join(20_000);
            return where;
        }
    }

    /** Member 1's missed chunks in a status ({@code missedRuns}: [[first, length], ...]). */
    private static Set<Long> missedChunks(StatusJson.Doc st) {
        Set<Long> chunks = new HashSet<>();
        for (StatusJson.Run run : st.members().get(1).missedRuns()) {
            long first = run.start();
            long length = run.length();
            for (long c = first; c < first + length; c++) {
                chunks.add(c);
            }
        }
        return chunks;
    }

    private static void step(long t0, String what) {
        System.out.printf("HungMemberIT: %6d ms %s%n", (System.nanoTime() - t0) / 1_000_000, what);
    }

    /**
     * Runs {@code fr1 ARGS} with a deadline on another thread while polling the status; gives up on it (killing
     * it) as soon as the array is clearly frozen, so a freeze fails the test in seconds, not at the deadline.
     */
    private Sh.Result whileWatching(StatusTimer timer, StatusTimer.Phase phase, Duration wait, String... args)
            throws Exception {
        long t0 = System.nanoTime();
        Future<Sh.Result> f = commands.submit(() -> rig.cli.attempt(wait, args));
        boolean frozen = timer.pollWhile(f, phase, 100,
                () -> writer.inflightMillis() > FROZEN_MS || phase.unanswered >= 3);
        Sh.Result r;
        if (frozen && !f.isDone()) {
            f.cancel(true); // Sh kills the command
            r = new Sh.Result(List.of("fr1", String.join(" ", args)), -1, "",
                    "given up: the array froze while it ran", true);
        } else {
            r = f.get(wait.toMillis() + 15_000, TimeUnit.MILLISECONDS);
        }
        tookMillis.put(r, (System.nanoTime() - t0) / 1_000_000);
        return r;
    }

    private String took(Sh.Result r) {
        Long ms = tookMillis.get(r);
        String t = ms == null ? "?" : ms + " ms";
        return r.timedOut() ? "no answer, given up after " + t : "exit " + r.exit() + " after " + t;
    }

    /** Status answered within 1 s every time, and the writer never waited more than io-timeout + 1 s. */
    private void checkResponsive(String when, StatusTimer.Phase phase) {
        long worst = writer.worstLatencyMillis();
        String why = "";
        if (!phase.allWithin(STATUS_BOUND_MS) || worst > WRITE_BOUND_MS) {
            why = "\n  " + DaemonThreads.summary(rig.mnt); // taken while frozen, before the hang is lifted
            System.out.println("HungMemberIT: frozen " + when + why);
        }
        String daemon = why;
        assertAll(when,
                () -> assertTrue(phase.allWithin(STATUS_BOUND_MS), "status must answer within " + STATUS_BOUND_MS
                        + " ms: " + phase + daemon),
                () -> assertTrue(worst <= WRITE_BOUND_MS, "the writer's slowest write+fsync took " + worst
                        + " ms (" + writer.slowest() + ")"
                        + ", more than io-timeout + 1 s = " + WRITE_BOUND_MS + " ms"));
        writer.assertNoError(when);
    }

    private static void assertOneLine(String what, Sh.Result r) {
        String msg = (r.err() + r.out()).strip();
        assertFalse(msg.isEmpty(), what + " said nothing");
        assertFalse(msg.contains("\n"), what + " printed more than one line:\n" + msg);
        assertFalse(JAVA_NAMES.matcher(msg).find(), what + " shows Java names to the user: " + msg);
    }

    /** Polls the status until {@code done}; returns when it held (System.nanoTime); fails after {@code millis}. */
    private static long await(StatusTimer timer, StatusTimer.Phase phase, String what, long millis,
                              Predicate<StatusJson.Doc> done) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (true) {
            StatusJson.Doc st = timer.sample(phase);
            long now = System.nanoTime();
            if (st != null && done.test(st)) {
                return now;
            }
            if (now > end) {
                throw new AssertionError(what + " did not happen within " + millis + " ms; " + phase
                        + "; last status: " + timer.last());
            }
            Thread.sleep(20);
        }
    }

    // ------------------------------------------------------------------------------------------ teardown

    /**
     * Always, also when the daemon froze: the hang lifted first (so whatever is blocked behind it returns), the
     * writer stopped, fr1 unmounted, HangFs unmounted and ended (lazily and with SIGKILL if need be), the temp dir.
     */
    @AfterEach
    void tearDown() throws Exception {
        List<Throwable> problems = new ArrayList<>();
        if (hang != null) {
            hang.heal();
        }
        if (writer != null) {
            attempt(problems, () -> {
                if (!writer.stop(20_000)) {
                    throw new AssertionError("the writer is still stuck 20 s after the hang was lifted");
                }
            });
        }
        if (rig != null && Mounts.isMounted(rig.mnt)) {
            attempt(problems, () -> {
                Sh.Result r = rig.cli.attempt(Duration.ofSeconds(30), "umount", rig.mnt.toString());
                if (!r.ok()) {
                    System.err.println("[cleanup] " + r.describe());
                }
                Mounts.unmount(rig.mnt);
            });
        }
        if (hang != null) {
            System.out.println(hang.logTail());
            attempt(problems, hang::close);
        }
        if (rig != null) {
            attempt(problems, rig::close);
        }
        commands.shutdownNow();
        if (!problems.isEmpty()) {
            AssertionError e = new AssertionError("cleanup failed: " + problems.get(0), problems.get(0));
            problems.subList(1, problems.size()).forEach(e::addSuppressed);
            throw e;
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private static void attempt(List<Throwable> problems, Step s) {
        try {
            s.run();
        } catch (Exception | AssertionError e) {
            problems.add(e);
        }
    }
}
