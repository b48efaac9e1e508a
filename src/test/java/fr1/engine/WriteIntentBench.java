package fr1.engine;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.roaringbitmap.RoaringBitmap;

/**
 * Not a test: measurements run by hand, quoted in docs/FORMAT.md and in the commit that chose the default bitmap
 * chunk. Nothing here sleeps; time is simulated.
 * <pre>
 * mvn -B -q test-compile
 * java -cp target/classes:target/test-classes:$(cat cp.txt) fr1.engine.WriteIntentBench time
 * java -cp ... fr1.engine.WriteIntentBench simulate
 * </pre>
 * {@code time}: ns per markDirty of an already durable chunk (the fast path), one thread and two.
 * {@code commit}: ns per markDirty that needs a commit (a no-op sink), on a page already half full.
 * {@code simulate}: random 4 KiB writes at a steady rate over a working set, a sweep every 2 s of simulated time,
 * for several bitmap chunks: the share of writes that pay a bitmap commit, and the dirty bytes a crash would resync.
 */
public final class WriteIntentBench {

    private WriteIntentBench() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "time";
        if (mode.equals("time")) {
            time();
        } else if (mode.equals("commit")) {
            commit();
        } else {
            simulate();
        }
    }

    static void time() throws Exception {
        int chunks = 1 << 16; // 4 GiB of 64 KiB chunks
        AtomicLong commits = new AtomicLong();
        WriteIntent wi = new WriteIntent((p, c) -> commits.incrementAndGet(), chunks, 1, 2, new RoaringBitmap(),
                false);
        wi.markDirty(0, chunks - 1);
        int[] targets = new int[1 << 16];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < targets.length; i++) {
            targets[i] = r.nextInt(chunks);
        }
        for (int threads : new int[] {1, 2}) {
            for (int round = 0; round < 5; round++) {
                long n = 20_000_000;
                Thread[] ts = new Thread[threads];
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    int seed = t;
                    ts[t] = new Thread(() -> {
                        try {
                            for (long i = 0; i < n; i++) {
                                int c = targets[(int) ((i + seed * 7919) & (targets.length - 1))];
                                wi.markDirty(c, c);
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    ts[t].start();
                }
                for (Thread t : ts) {
                    t.join();
                }
                long ns = System.nanoTime() - t0;
                System.out.printf("threads %d round %d: %.1f ns per markDirty (per thread)%n", threads, round,
                        (double) ns / n);
            }
        }
        System.out.println("commits " + commits.get());
    }

    static void commit() throws Exception {
        int chunks = 1 << 16;
        for (int round = 0; round < 5; round++) {
            WriteIntent wi = new WriteIntent((p, c) -> { }, chunks, 1, 2, new RoaringBitmap(), false);
            for (int c = 0; c < 32640; c += 2) {
                wi.markDirty(c, c);
            }
            long t0 = System.nanoTime();
            int n = 0;
            for (int c = 1; c < 32640; c += 2) {
                wi.markDirty(c, c);
                n++;
            }
            System.out.printf("round %d: %.0f ns per markDirty with a commit of a half-full page%n", round,
                    (double) (System.nanoTime() - t0) / n);
        }
    }

    static void simulate() throws Exception {
        long chunkSize = 64 << 10;
        double sweepPeriod = 2.0;
        double seconds = 120;
        for (long workingSet : new long[] {1L << 30, 4L << 30, 16L << 30}) {
            for (int iops : new int[] {100, 1000, 10_000}) {
                for (long bitmapChunk : new long[] {64 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20}) {
                    int chunks = (int) (workingSet / chunkSize);
                    int perBit = (int) (bitmapChunk / chunkSize);
                    AtomicLong commits = new AtomicLong();
                    WriteIntent wi = new WriteIntent((p, c) -> commits.incrementAndGet(), chunks, perBit, 2,
                            new RoaringBitmap(), false);
                    SplittableRandom r = new SplittableRandom(42);
                    double t = 0;
                    double nextSweep = sweepPeriod;
                    long writes = 0;
                    long markCommits = 0;
                    double dirtySum = 0;
                    int dirtySamples = 0;
                    while (t < seconds) {
                        t += -Math.log(1 - r.nextDouble()) / iops;
                        while (nextSweep <= t) {
                            long before = commits.get();
                            wi.sweep((a, b) -> false);
                            long sweepCommits = commits.get() - before;
                            commits.addAndGet(-sweepCommits);
                            nextSweep += sweepPeriod;
                            if (nextSweep > 20) { // after warm-up
                                dirtySum += wi.snapshot().getLongCardinality() * (double) chunkSize;
                                dirtySamples++;
                            }
                        }
                        long offset = r.nextLong(workingSet / 4096) * 4096;
                        int c = (int) (offset / chunkSize);
                        long before = commits.get();
                        wi.markDirty(c, c);
                        if (t > 20) {
                            writes++;
                            markCommits += commits.get() - before;
                        }
                    }
                    System.out.printf("set %5d MiB  %6d IOPS  bitmap chunk %6d KiB: %7.3f%% of writes pay a "
                                    + "bitmap commit (%7.1f/s), crash resyncs %8.1f MiB on average%n",
                            workingSet >> 20, iops, bitmapChunk >> 10, 100.0 * markCommits / writes,
                            markCommits / (seconds - 20), dirtySum / dirtySamples / (1 << 20));
                }
            }
        }
    }
}
