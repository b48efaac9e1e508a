package fr1.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.it.faults.NbdRig;
import fr1.it.faults.Tools;
import fr1.control.StatusJson;
import fr1.it.support.Mounts;
import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Async mode under sustained load (issue 10), on a real mount: member 1 behind nbdfuse + nbdkit's delay filter (every
 * write +20 ms). Writers never wait for it (it goes behind), it catches up once they stop ({@code fr1 wait
 * --caught-up}), and when the fast member fails while it is behind, reads never return stale data.
 */
class AsyncIT {

    private static final long SIZE = 256L << 20;
    private static final long EXPORT = SIZE + (64L << 20);
    private static final int BLOCK = 4096;
    private static final int CHUNK = 64 << 10;
    private static final int BLOCKS = (int) (SIZE / BLOCK);
    private static final String DELAY = "20ms";

    private Rig rig;
    private NbdRig nbd;

    @BeforeAll
    static void tools() {
        Mounts.requireFuseAndLoop();
        Tools.require("nbdkit", "nbdfuse", "fusermount3");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (rig != null) {
            try {
                if (Mounts.isMounted(rig.mnt)) {
                    rig.cli.attempt(Duration.ofSeconds(120), "umount", rig.mnt.toString());
                }
            } finally {
                if (nbd != null) {
                    nbd.close();
                }
                rig.close();
            }
        }
    }

    private void start() throws IOException {
        rig = Rig.open();
        nbd = NbdRig.start(rig.dir, EXPORT, NbdRig.Kind.EIO, DELAY);
        rig.members.add(rig.dir.resolve("m0.img"));
        rig.members.add(nbd.member());
        rig.cli.create("256M", rig.members);
        rig.cli.run("mount", "-o", "async,write-behind=" + nbd.member() + ",io-timeout=5s",
                rig.members.get(0).toString(), rig.members.get(1).toString(), rig.mnt.toString());
    }

    /**
     * Writers at O_DIRECT, 4 KiB at random blocks, each thread its own blocks; a block's content names its index
     * and version, and {@link #versions} holds the last acknowledged version of each.
     */
    private final AtomicLongArray versions = new AtomicLongArray(BLOCKS);
    private final AtomicLong acknowledged = new AtomicLong();

    private static byte[] content(int block, long version) {
        byte[] b = new byte[BLOCK];
        if (version == 0) {
            return b;
        }
        new Random(block * 1_000_003L + version).nextBytes(b);
        ByteBuffer.wrap(b).putInt(block).putLong(version);
        return b;
    }

    private List<Thread> writers(int threads, int spanBlocks, long untilNanos, List<Throwable> errors) {
        List<Thread> list = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            list.add(Thread.ofPlatform().name("writer-" + t).start(() -> {
                Random r = new Random(me);
                ByteBuffer buf = ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK);
                try (FileChannel ch = FileChannel.open(rig.image(), StandardOpenOption.WRITE,
                        com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
                    int n = 0;
                    while (System.nanoTime() < untilNanos) {
                        int block = r.nextInt(spanBlocks / threads) * threads + me;
                        long v = versions.get(block) + 1;
                        buf.clear().put(content(block, v)).flip();
                        ch.write(buf, (long) block * BLOCK);
                        if (++n % 32 == 0) {
                            ch.force(false);
                        }
                        versions.set(block, v);
                        acknowledged.incrementAndGet();
                    }
                    ch.force(false);
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        return list;
    }

    private static void join(List<Thread> threads, List<Throwable> errors) throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
        if (!errors.isEmpty()) {
            throw new AssertionError("a writer saw an error: " + errors.get(0), errors.get(0));
        }
    }

    /** Reads block {@code block} with O_DIRECT; null on EIO. */
    private static byte[] read(FileChannel ch, ByteBuffer buf, int block) {
        buf.clear();
        try {
            ch.read(buf, (long) block * BLOCK);
        } catch (IOException e) {
            return null;
        }
        byte[] out = new byte[BLOCK];
        buf.flip().get(out);
        return out;
    }

    private StatusJson.Doc status() {
        return rig.cli.status(rig.mnt);
    }

    private void waitCaughtUp(String when) {
        long t0 = System.nanoTime();
        Sh.Result r = rig.cli.attempt(Duration.ofMinutes(4), "wait", "--caught-up", rig.mnt.toString());
        assertEquals(0, r.exit(), () -> "fr1 wait --caught-up " + when + ": " + r.describe() + "\ndaemon warnings:\n"
                + daemonWarnings());
        System.out.printf("AsyncIT: %s: caught up in %d ms%n", when, (System.nanoTime() - t0) / 1_000_000);
        StatusJson.Doc st = status();
        assertEquals(0, st.members().get(1).lag().chunks(), "nothing lacking: " + st);
        assertEquals(0, st.members().get(1).lagWrites(), "nothing queued: " + st);
    }

    /** The daemon log's WARN and ERROR lines, other than the reads the test expects to fail. */
    private String daemonWarnings() {
        try {
            return fr1.it.crash.Daemon.since(fr1.it.crash.Daemon.log(rig.mnt), 0).lines()
                    .filter(l -> (l.contains(" WARN ") || l.contains(" ERROR ")) && !l.contains("failed (errno 5)"))
                    .limit(40).reduce("", (a, b) -> a + b + "\n");
        } catch (IOException e) {
            return "(no daemon log: " + e.getMessage() + ")";
        }
    }

    private void checkEveryBlock() throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK);
        try (FileChannel ch = FileChannel.open(rig.image(), StandardOpenOption.READ,
                com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            for (int b = 0; b < BLOCKS; b++) {
                long v = versions.get(b);
                if (v > 0) {
                    assertArrayEquals(content(b, v), read(ch, buf, b), "block " + b + " version " + v);
                }
            }
        }
    }

    private void umountAndCompare() throws Exception {
        rig.cli.umount(rig.mnt);
        // The rig's other processes (nbdfuse, nbdkit) name its dir too: wait for the fr1 daemon (java) alone.
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (rig.daemons().stream().anyMatch(p -> p.info().command().map(c -> c.endsWith("java")).orElse(false))) {
            assertTrue(System.nanoTime() < deadline, "the fr1 daemon still runs 60 s after fr1 umount");
            Thread.sleep(100);
        }
        assertEquals(Rig.sha256(rig.members.get(0), SIZE), Rig.sha256(rig.members.get(1), SIZE),
                "the members' images differ");
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void sustainedWritesGoAtTheFastMembersPaceAndTheSlowOneCatchesUp() throws Exception {
        start();
        long seconds = Long.getLong("fr1.async.seconds", 10);
        List<Throwable> errors = new ArrayList<>();
        long t0 = System.nanoTime();
        List<Thread> w = writers(4, BLOCKS, t0 + seconds * 1_000_000_000L, errors);
        long maxRp = 0;
        long maxChunks = 0;
        boolean behindSeen = false;
        while (w.stream().anyMatch(Thread::isAlive)) {
            StatusJson.Doc st = status();
            String mode = st.members().get(1).lag().mode();
            behindSeen |= mode.equals("behind");
            maxRp = Math.max(maxRp, st.members().get(1).lag().recoveryPointMs());
            maxChunks = Math.max(maxChunks, st.members().get(1).lag().chunks());
            assertEquals("in_sync", st.members().get(1).state(), "never failed: " + st);
            Thread.sleep(500);
        }
        join(w, errors);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("AsyncIT: %d writes of 4 KiB in %d ms (%.0f/s) with member 1 at +%s per write; "
                + "recovery point at most %d ms, at most %d chunks lacking%n", acknowledged.get(), ms,
                acknowledged.get() * 1000.0 / ms, DELAY, maxRp, maxChunks);
        assertTrue(behindSeen, "member 1 never went behind: the load did not test pull-ahead");
        // At +20 ms per call a writer that waited for member 1 would manage 50 writes a second per thread.
        assertTrue(acknowledged.get() > 4 * 50 * seconds * 2,
                acknowledged.get() + " writes: the writers waited for the slow member");
        waitCaughtUp("after " + seconds + " s of writes");
        checkEveryBlock();
        umountAndCompare();
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void theFastMemberFailingWhileTheSlowOneIsBehindNeverServesStaleData() throws Exception {
        start();
        // Every block has a first version on both members (the slow one too), then a burst that leaves it behind.
        List<Throwable> errors = new ArrayList<>();
        join(writers(4, 4096, System.nanoTime() + 2_000_000_000L, errors), errors);
        waitCaughtUp("after the first writes");
        join(writers(4, BLOCKS, System.nanoTime() + 6_000_000_000L, errors), errors);
        Sh.Result refused = rig.cli.attempt(Duration.ofSeconds(30), "fail", rig.mnt.toString(), "0");
        assertEquals(3, refused.exit(), "fail refused while member 1 lacks chunks only member 0 holds: "
                + refused.describe());
        rig.cli.run("down", rig.mnt.toString(), "0");
        StatusJson.Doc st = status();
        long unavailable = st.unavailable().chunks();
        assertTrue(unavailable > 0, "member 1 had caught up before member 0 failed: no race: " + st);
        assertEquals(0, st.unavailable().currentDataOn(), st.toString());
        assertTrue(rig.cli.statusText(rig.mnt).contains("chunks unavailable"), "status says so");
        int eio = 0;
        int ok = 0;
        int firstUnavailable = -1;
        int per = CHUNK / BLOCK;
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK + BLOCK).alignedSlice(BLOCK);
        try (FileChannel ch = FileChannel.open(rig.image(), StandardOpenOption.READ,
                com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            for (int c = 0; c < BLOCKS / per; c++) {
                buf.clear().limit(CHUNK);
                try {
                    ch.read(buf, (long) c * CHUNK);
                } catch (IOException e) {
                    eio++;
                    firstUnavailable = firstUnavailable < 0 ? c * per : firstUnavailable;
                    continue;
                }
                ok++;
                for (int i = 0; i < per; i++) {
                    byte[] got = new byte[BLOCK];
                    buf.get(i * BLOCK, got);
                    int b = c * per + i;
                    assertArrayEquals(content(b, versions.get(b)), got, "block " + b + ": stale data");
                }
            }
        }
        System.out.printf("AsyncIT: member 0 failed while member 1 was behind: %d chunks unavailable; %d blocks "
                + "read EIO, %d read right, none stale (64 KiB chunks)%n", unavailable, eio, ok);
        assertTrue(eio > 0 && ok > 0, eio + " EIO, " + ok + " right");
        int victim = firstUnavailable;
        try (FileChannel ch = FileChannel.open(rig.image(), StandardOpenOption.WRITE,
                com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            ByteBuffer b = ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK);
            b.put(content(victim, 999)).flip();
            assertThrows(IOException.class, () -> ch.write(b, (long) victim * BLOCK),
                    "a 4 KiB write into an unavailable 64 KiB chunk");
        }
        rig.cli.add(rig.mnt, 0);
        rig.cli.awaitInSync(rig.mnt, 0, Duration.ofMinutes(3));
        waitCaughtUp("after member 0 came back");
        assertEquals(0, status().unavailable().chunks());
        checkEveryBlock();
        umountAndCompare();
    }
}
