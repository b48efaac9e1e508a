package fr1.engine;

import fr1.io.FileStorage;
import fr1.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Not a test: the resync copy rate measured by hand against {@code dd bs=4M conv=fsync} of as many bytes on the
 * same store, as bench/run's resync phase does (without FUSE). Two members on {@code dir} (tmpfs: /dev/shm), 64 KiB
 * chunks; per level: a fresh sparse array, member 1 failed, that share of distinct chunks written at random, member
 * 1 added back; the engine's time is the one its resync-finished event reports.
 * <pre>
 * mvn -B -q test-compile
 * java -cp target/classes:target/test-classes:$(cat cp.txt) fr1.engine.ResyncBench /dev/shm/rb 4 "1 10" 3 [slowMs]
 * </pre>
 * With {@code slowMs}, every write to member 1 takes that long first (a remote member, handed off to its pool).
 */
public final class ResyncBench {

    private static final int CHUNK = 64 * 1024;

    private ResyncBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "/dev/shm/fr1-resync-bench");
        long size = (long) Double.parseDouble(args.length > 1 ? args[1] : "4") * (1L << 30);
        String[] levels = (args.length > 2 ? args[2] : "1 10").trim().split("\\s+");
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        long slowMs = args.length > 4 ? Long.parseLong(args[4]) : 0;
        Files.createDirectories(dir);
        Path full = dir.resolve("full.img");
        try {
            fill(full, size / 10 + (4 << 20));
            run(dir, size, 1, slowMs, -1); // JIT warm-up
            System.out.printf("%6s %7s %9s %9s %9s %8s %9s %9s%n", "dirty", "chunks", "resync ms", "MiB/s",
                    "raw MiB/s", "rate/raw", "cpu us/ch", "dd us/ch");
            for (int r = 0; r < rounds; r++) {
                for (String l : levels) {
                    double pct = Double.parseDouble(l);
                    long[] res = run(dir, size, pct, slowMs, r);
                    long bytes = res[0] * CHUNK;
                    double[] rawS = dd(full, dir.resolve("copy.img"), bytes);
                    double rate = bytes / 1048576.0 / (res[1] / 1000.0);
                    double raw = bytes / 1048576.0 / rawS[0];
                    System.out.printf("%5s%% %7d %9d %9.0f %9.0f %8.2f %9.1f %9.1f%n", l, res[0], res[1], rate, raw,
                            rate / raw, res[2] / 1e3 / res[0], rawS[1] * 1e6 / res[0]);
                }
            }
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** One level on a fresh array: {chunks copied, engine ms, process CPU ns from add to the event}. */
    private static long[] run(Path dir, long size, double pct, long slowMs, long seed) throws Exception {
        List<Path> paths = List.of(dir.resolve("m0.img"), dir.resolve("m1.img"));
        for (Path p : paths) {
            Files.deleteIfExists(p);
        }
        Mirror.create(new CreateSpec(size, CHUNK, paths, false, null, List.of(), 0));
        LinkedBlockingQueue<String> done = new LinkedBlockingQueue<>();
        MirrorOptions o = MirrorOptions.defaults().withProbeInterval(Duration.ofHours(1), Duration.ofHours(1))
                .withEvents(e -> {
                    if (e.name().equals("resync-finished")) {
                        done.add(e.detail());
                    }
                });
        Path slow = paths.get(1);
        try (Mirror m = Mirror.open(paths, o, p -> {
            FileStorage f = FileStorage.open(p);
            return slowMs > 0 && p.equals(slow) ? new SlowWrites(f, slowMs) : f;
        })) {
            m.fail("1");
            long chunks = size / CHUNK;
            int n = (int) Math.max(1, Math.round(chunks * pct / 100));
            SplittableRandom r = new SplittableRandom(seed);
            java.util.BitSet picked = new java.util.BitSet();
            ByteBuffer b = ByteBuffer.allocateDirect(CHUNK);
            for (int i = 0; i < n; ) {
                int c = r.nextInt((int) chunks);
                if (picked.get(c)) {
                    continue;
                }
                picked.set(c);
                i++;
                b.clear();
                b.putLong(0, seed * 1_000_003 + c);
                m.write(b, (long) c * CHUNK);
            }
            // Past the throttle's busy window, as in bench/run (where the CLI's start takes longer than that).
            Thread.sleep(Throttle.BUSY_WINDOW_NANOS / 1_000_000 + 100);
            long cpu0 = cpu();
            m.add("1", false);
            String detail = done.poll(10, TimeUnit.MINUTES);
            long cpu = cpu() - cpu0;
            if (detail == null) {
                throw new IllegalStateException("no resync-finished: " + m.status());
            }
            Matcher mm = Pattern.compile("(\\d+) chunks copied in (\\d+) ms").matcher(detail);
            if (!mm.find()) {
                throw new IllegalStateException(detail);
            }
            return new long[] {Long.parseLong(mm.group(1)), Long.parseLong(mm.group(2)), cpu};
        } finally {
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void fill(Path p, long bytes) throws Exception {
        exec(List.of("dd", "if=/dev/urandom", "of=" + p, "bs=4M", "iflag=count_bytes", "count=" + bytes,
                "status=none"));
    }

    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** dd bs=4M conv=fsync of {@code bytes} from {@code src} to a new file: {wall seconds, CPU seconds}. */
    private static double[] dd(Path src, Path dst, long bytes) throws Exception {
        Path times = dst.resolveSibling("dd.time");
        long t0 = System.nanoTime();
        exec(List.of("/usr/bin/time", "-o", times.toString(), "-f", "%U %S", "dd", "if=" + src, "of=" + dst, "bs=4M",
                "iflag=count_bytes", "count=" + bytes, "conv=fsync", "status=none"));
        double s = (System.nanoTime() - t0) / 1e9;
        Files.deleteIfExists(dst);
        String[] us = Files.readString(times).trim().split("\\s+");
        Files.deleteIfExists(times);
        return new double[] {s, Double.parseDouble(us[0]) + Double.parseDouble(us[1])};
    }

    private static void exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(cmd)).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("failed: " + cmd);
        }
    }

    /** Every write call takes {@code ms} first; not local, so the engine hands calls to the member's pool. */
    static final class SlowWrites implements Storage {
        private final Storage inner;
        private final long ms;

        SlowWrites(Storage inner, long ms) {
            this.inner = inner;
            this.ms = ms;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return inner.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
            return inner.write(src, position);
        }

        @Override
        public void force() throws IOException {
            inner.force();
        }

        @Override
        public long capacity() throws IOException {
            return inner.capacity();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
