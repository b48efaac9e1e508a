package fr1.it;

import static fr1.it.support.Fr1Cli.memberState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.it.crash.BlockWriter;
import fr1.it.crash.Blocks;
import fr1.it.crash.Daemon;
import fr1.it.crash.Ledger;
import fr1.control.StatusJson;
import fr1.it.support.Mounts;
import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Crash at any moment: a writer on a loop device over the fr1 image writes checksummed blocks with O_DIRECT and
 * fsync and records each as acknowledged once fsync returned; the fr1 daemon is killed with SIGKILL at a random
 * moment (in some iterations in the middle of a resync: member 1 failed, written past, added back, killed while it
 * catches up). Then the dead mount is cleared the way a user would (losetup -d, fusermount3 -uz), the array is
 * mounted again, must report the unclean shutdown and resync, and afterwards: every acknowledged block reads back
 * whole with the last acknowledged version or a newer one ({@link Ledger}), and the members' image regions are
 * byte-identical. Iterations continue on the same array, so damage would accumulate.
 *
 * <p>System properties: {@code fr1.crash.iterations} (per test, default 4: about 40 s each in CI),
 * {@code fr1.crash.seed} (default: the clock; printed, so a failure can be replayed). A local soak:
 * {@code mvn -B verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=CrashIT -Dfr1.crash.iterations=200}.
 */
class CrashIT {

    private static final int THREADS = 4;
    private static final int REGION_SECTORS = 8192; // 32 MiB per writer thread
    private static final long SIZE = (long) THREADS * REGION_SECTORS * Blocks.SECTOR; // 128 MiB
    private static final Pattern RESYNC_LINE =
            Pattern.compile("resync of member 1 \\([^)]*\\) (started|finished)");

    private Rig rig;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void syncModeSurvivesSigkillAtAnyMoment() throws Exception {
        crashLoop(List.of());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void asyncModeSurvivesSigkillAtAnyMoment() throws Exception {
        crashLoop(List.of("-o", "async"));
    }

    /**
     * Async with a queue of 2 writes (64 KiB): the write-behind member goes behind again and again under the
     * writer's threads, and is killed in every mode (streaming, behind, catching up). After the remount it is
     * brought current from the synchronous member: nothing acknowledged lost, members identical.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void asyncPullAheadSurvivesSigkillAtAnyMoment() throws Exception {
        // Member 1 is the write-behind one (the loop fails and adds member 1); "{m1}" is its path.
        crashLoop(List.of("-o", "async,write-behind={m1},write-behind-max=2,write-behind-bytes=64K"),
                Integer.getInteger("fr1.crash.pullahead.iterations", 2));
        assertTrue(behindSeen > 0, "the write-behind member never went behind: the test did not test pull-ahead");
    }

    /** Epochs whose daemon log showed the write-behind member going behind before the kill. */
    private int behindSeen;

    private void crashLoop(List<String> mountOptions) throws Exception {
        crashLoop(mountOptions, Integer.getInteger("fr1.crash.iterations", 4));
    }

    private void crashLoop(List<String> mountOptions, int iterations) throws Exception {
        long seed = Long.getLong("fr1.crash.seed", System.nanoTime());
        System.out.println("CrashIT " + mountOptions + " seed=" + seed + " iterations=" + iterations
                + " (replay with -Dfr1.crash.seed=" + seed + ")");
        Random rnd = new Random(seed);
        rig = Rig.open();
        rig.create(SIZE / (1 << 20) + "M", 2);
        Ledger ledger = new Ledger(seed, THREADS, REGION_SECTORS);
        Path log = null;
        int midResync = 0;
        int resyncKills = 0;
        long started = System.nanoTime();
        for (int epoch = 0; epoch < iterations; epoch++) {
            boolean duringResync = epoch % 2 == 1;
            long logFrom = log == null ? 0 : Daemon.size(log);
            mount(mountOptions);
            if (log == null) {
                log = Daemon.log(rig.mnt);
                logFrom = 0;
            }
            String dev = rig.attachLoop();
            Path acks = rig.dir.resolve("acks-" + epoch + ".txt");
            Path out = rig.dir.resolve("writer-" + epoch + ".txt");
            Process writer = startWriter(dev, acks, out, seed, epoch);
            String when;
            CompletableFuture<Sh.Result> adding = null;
            if (duringResync) {
                Thread.sleep(200 + rnd.nextInt(400));
                rig.cli.fail(rig.mnt, 1);
                Thread.sleep(300 + rnd.nextInt(700));
                // add runs in the background: the kill is timed from the resync's start in the daemon log.
                long addFrom = Daemon.size(log);
                adding = CompletableFuture.supplyAsync(
                        () -> rig.cli.attempt(Duration.ofSeconds(60), "add", rig.mnt.toString(), "1"));
                awaitResyncStart(log, addFrom, adding);
                int ms = rnd.nextInt(100);
                Thread.sleep(ms);
                when = ms + " ms after the resync of member 1 started";
            } else {
                int ms = 300 + rnd.nextInt(2200);
                Thread.sleep(ms);
                when = ms + " ms after the writer started";
            }
            assertTrue(writer.isAlive(), "epoch " + epoch + ": the writer stopped before the kill:\n"
                    + Files.readString(out));
            long killedAt = System.currentTimeMillis();
            Daemon.kill(Daemon.find(rig.mnt));
            if (!writer.waitFor(60, TimeUnit.SECONDS)) {
                writer.destroyForcibly();
                throw new AssertionError("epoch " + epoch + ": the writer hangs 60 s after the daemon was killed");
            }
            if (adding != null) {
                adding.get(90, TimeUnit.SECONDS); // killed under it: its outcome does not matter
            }
            String writerOut = Files.readString(out);
            checkWriterStoppedByTheKill(epoch, writerOut, killedAt);
            String beforeRemount = Daemon.since(log, logFrom);
            if (beforeRemount.contains(" is behind: ")) {
                behindSeen++;
            }
            if (duringResync) {
                resyncKills++;
                if (killedMidResync(beforeRemount)) {
                    midResync++;
                }
            }
            clearDeadMount(dev);

            long remountFrom = Daemon.size(log);
            mount(mountOptions);
            Sh.Result waited = rig.cli.attempt(Duration.ofMinutes(3), "wait", rig.mnt.toString());
            assertEquals(0, waited.exit(), "fr1 wait: " + waited.describe());
            StatusJson.Doc st = rig.cli.status(rig.mnt);
            assertEquals("in_sync", memberState(st, 0), "epoch " + epoch + " member 0: " + st);
            assertEquals("in_sync", memberState(st, 1), "epoch " + epoch + " member 1: " + st);
            assertFalse(st.resync().active(), "resync still active: " + st);
            String remountLog = Daemon.since(log, remountFrom);
            assertTrue(remountLog.contains("unclean shutdown"),
                    "epoch " + epoch + ": the mount after SIGKILL did not report an unclean shutdown:\n" + remountLog);

            long acked = ledger.record(acks, epoch);
            Ledger.Report report = ledger.check(rig.image());
            System.out.printf("CrashIT epoch %d%s: killed %s; %d writes acknowledged; %s%n", epoch,
                    duringResync ? " (resync)" : "", when, acked, report);
            assertTrue(report.ok(), "epoch " + epoch + " (seed " + seed + "): " + report + "\nwriter: " + writerOut
                    + "\ndaemon log:\n" + Daemon.since(log, logFrom));

            rig.cli.umount(rig.mnt);
            assertTrue(rig.awaitNoDaemon(Duration.ofSeconds(30)), "daemon still running after fr1 umount");
            assertEquals(Rig.sha256(rig.members.get(0), SIZE), Rig.sha256(rig.members.get(1), SIZE),
                    "epoch " + epoch + " (seed " + seed + "): the image regions of m0.img and m1.img differ");
        }
        System.out.printf("CrashIT %s: %d iterations (%d kills timed from a resync start, %d of them before it finished), "
                        + "%d writes acknowledged, 0 failures, %d s%n", mountOptions, iterations, resyncKills,
                midResync, ledger.acknowledged(), (System.nanoTime() - started) / 1_000_000_000L);
        assertTrue(ledger.acknowledged() > 0, "the writer never got a write acknowledged");
    }

    /**
     * ext4 on the loop device: a writer makes files (write, fsync, rename, fsync of the directory, then
     * acknowledged), the daemon is killed, and after the remount and resync ext4 replays its journal, every
     * acknowledged file has its content, and {@code fsck.ext4 -fn} finds nothing. Iterations from
     * {@code fr1.crash.ext4.iterations} (default 2).
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void ext4SurvivesSigkillAndFsckIsClean() throws Exception {
        int iterations = Integer.getInteger("fr1.crash.ext4.iterations", 2);
        long seed = Long.getLong("fr1.crash.seed", System.nanoTime());
        System.out.println("CrashIT ext4 seed=" + seed + " iterations=" + iterations);
        Random rnd = new Random(seed);
        rig = Rig.open();
        rig.create("256M", 2);
        Path script = rig.dir.resolve("ext4-writer.py");
        Files.writeString(script, EXT4_WRITER);
        java.util.Map<String, String> acked = new java.util.TreeMap<>();
        long total = 0;
        for (int epoch = 0; epoch < iterations; epoch++) {
            mount(List.of());
            String dev = rig.attachLoop();
            if (epoch == 0) {
                Sh.run(Duration.ofMinutes(2), "mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0",
                        dev);
            }
            Sh.run("mount", "-o", "noatime", dev, rig.fs.toString());
            Path acks = rig.dir.resolve("ext4-acks-" + epoch + ".txt");
            Process writer = new ProcessBuilder("python3", script.toString(), rig.fs.toString(), acks.toString(),
                    Long.toString(seed), Integer.toString(epoch))
                    .redirectErrorStream(true).redirectOutput(rig.dir.resolve("ext4-writer-" + epoch + ".txt").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            int ms = 500 + rnd.nextInt(2500);
            Thread.sleep(ms);
            assertTrue(writer.isAlive(), "the ext4 writer stopped before the kill: "
                    + Files.readString(rig.dir.resolve("ext4-writer-" + epoch + ".txt")));
            Daemon.kill(Daemon.find(rig.mnt));
            if (!writer.waitFor(60, TimeUnit.SECONDS)) {
                writer.destroyForcibly();
                writer.waitFor(30, TimeUnit.SECONDS);
            }
            // ext4 on a dead device: lazily unmounted, then the loop device and the dead FUSE mount.
            Sh.attempt(Duration.ofSeconds(30), "umount", "-l", rig.fs.toString());
            clearDeadMount(dev);
            long n = 0;
            if (Files.exists(acks)) {
                for (String line : Files.readAllLines(acks)) {
                    String[] f = line.split(" ");
                    acked.put(f[0], f[1]);
                    n++;
                    total++;
                }
            }

            mount(List.of());
            Sh.Result waited = rig.cli.attempt(Duration.ofMinutes(3), "wait", rig.mnt.toString());
            assertEquals(0, waited.exit(), "fr1 wait: " + waited.describe());
            dev = rig.attachLoop();
            Sh.run("mount", "-o", "noatime", dev, rig.fs.toString()); // replays the journal
            for (var e : acked.entrySet()) {
                Path f = rig.fs.resolve(e.getKey());
                assertTrue(Files.exists(f), "epoch " + epoch + " (seed " + seed + "): acknowledged " + f + " is gone");
                assertEquals(e.getValue(), Rig.sha256(Files.readAllBytes(f)), "epoch " + epoch + ": content of " + f);
            }
            // Verified: made room for the next iteration's files (a long soak would fill the file system).
            try (var files = Files.list(rig.fs)) {
                for (Path f : files.filter(p -> p.getFileName().toString().startsWith("e")).toList()) {
                    Files.delete(f);
                }
            }
            acked.clear();
            Sh.run("umount", rig.fs.toString());
            Sh.Result fsck = Sh.attempt(Duration.ofMinutes(2), "fsck.ext4", "-fn", dev);
            assertEquals(0, fsck.exit(), "epoch " + epoch + " (seed " + seed + "): fsck.ext4 -fn: " + fsck.describe());
            System.out.printf("CrashIT ext4 epoch %d: killed %d ms after the writer started; %d files acknowledged, "
                    + "read back; fsck clean%n", epoch, ms, n);
            rig.detachLoop();
            rig.cli.umount(rig.mnt);
            assertTrue(rig.awaitNoDaemon(Duration.ofSeconds(30)), "daemon still running after fr1 umount");
            assertEquals(Rig.sha256(rig.members.get(0), 256L << 20), Rig.sha256(rig.members.get(1), 256L << 20),
                    "epoch " + epoch + ": the image regions of m0.img and m1.img differ");
        }
        assertTrue(total > 0, "no file was ever acknowledged");
    }

    /** Makes files in DIR: write, fsync, rename into place, fsync the directory, then "NAME SHA256" in ACKS. */
    private static final String EXT4_WRITER = """
            import hashlib, os, random, sys
            d, acks, seed, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
            r = random.Random(seed * 1000 + epoch)
            a = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            dfd = os.open(d, os.O_RDONLY)
            i = 0
            try:
                while True:
                    data = r.randbytes(r.choice([1, 4096, 65536, 1 << 20]) + r.randrange(8192))
                    name = "e%d-%d" % (epoch, i)
                    tmp = os.path.join(d, name + ".tmp")
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.write(fd, data)
                    os.fsync(fd)
                    os.close(fd)
                    os.rename(tmp, os.path.join(d, name))
                    os.fsync(dfd)
                    os.write(a, ("%s %s\\n" % (name, hashlib.sha256(data).hexdigest())).encode())
                    i += 1
            except OSError as e:
                print("stopped after %d files: %s" % (i, e), flush=True)
            """;

    private void mount(List<String> options) {
        List<String> args = new ArrayList<>(List.of("mount"));
        options.forEach(o -> args.add(o.replace("{m1}", rig.members.get(1).toString())));
        rig.members.forEach(m -> args.add(m.toString()));
        args.add(rig.mnt.toString());
        rig.cli.run(args.toArray(String[]::new));
    }

    private static Process startWriter(String dev, Path acks, Path out, long seed, int epoch) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = new File(BlockWriter.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        return new ProcessBuilder(java, "-cp", cp, BlockWriter.class.getName(), dev, acks.toString(),
                Long.toString(seed), Integer.toString(epoch), Integer.toString(THREADS),
                Integer.toString(REGION_SECTORS), "120")
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
    }

    /** Every writer thread must have stopped on an I/O error after the kill, none before it. */
    private static void checkWriterStoppedByTheKill(int epoch, String out, long killedAt) {
        Matcher m = Pattern.compile("thread (\\d+): stopped at write (\\d+) at (\\d+): (.*)").matcher(out);
        int stopped = 0;
        while (m.find()) {
            stopped++;
            long at = Long.parseLong(m.group(3));
            assertTrue(at >= killedAt - 50, "epoch " + epoch + ": writer thread " + m.group(1) + " failed "
                    + (killedAt - at) + " ms before the daemon was killed: " + m.group(4) + "\n" + out);
        }
        assertEquals(THREADS, stopped, "epoch " + epoch + ": writer output:\n" + out);
    }

    /** Waits until the daemon log, from byte {@code from}, shows that the resync of member 1 started. */
    private static void awaitResyncStart(Path log, long from, CompletableFuture<Sh.Result> adding)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Daemon.since(log, from).matches("(?s).*resync of member 1 \\([^)]*\\) started.*")) {
            if (adding.isDone() && !adding.get().ok()) {
                throw new AssertionError("fr1 add failed: " + adding.get().describe());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no resync of member 1 started within 60 s of fr1 add; log:\n"
                        + Daemon.since(log, from));
            }
            Thread.sleep(5);
        }
    }

    /** True if the last resync of member 1 the log shows had started but not finished. */
    private static boolean killedMidResync(String log) {
        Matcher m = RESYNC_LINE.matcher(log);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        return "started".equals(last);
    }

    /** losetup -d (it may complain: the image is gone), then the lazy unmount of the dead FUSE mount. */
    private void clearDeadMount(String dev) throws InterruptedException {
        rig.detachLoop(); // may fail: the loop device's backing file is on the dead mount
        Sh.Result fuse = Sh.attempt(Duration.ofSeconds(30), "fusermount3", "-uz", rig.mnt.toString());
        if (Mounts.isMounted(rig.mnt)) {
            Sh.attempt(Duration.ofSeconds(30), "umount", "-l", rig.mnt.toString());
        }
        assertFalse(Mounts.isMounted(rig.mnt), "dead mount still there: " + fuse.describe());
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Mounts.loopsUnder(rig.dir).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("loop device " + dev + " still attached after losetup -d and the "
                        + "lazy unmount: " + Mounts.loopsUnder(rig.dir));
            }
            Sh.attempt(Duration.ofSeconds(30), "losetup", "-d", dev);
            Thread.sleep(200);
        }
    }
}
