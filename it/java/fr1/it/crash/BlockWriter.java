package fr1.it.crash;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The crash test's writer, run as its own process on the loop device: {@code THREADS} threads, each writing the
 * blocks of its {@link Blocks.Plan} with O_DIRECT, one at a time, each followed by fsync. Only after fsync returned
 * is the write acknowledged: the line {@code A EPOCH THREAD SEQ} is appended to the ack file (one write(2) per line,
 * O_APPEND, so a line is whole even if this process dies). A thread stops at its first error (the daemon was
 * killed: EIO) and prints it; the process ends when every thread has stopped or after {@code SECONDS}.
 *
 * <p>Its own process so that a write stuck in the kernel when the daemon dies can never hang the test JVM.
 *
 * <pre>BlockWriter DEVICE ACKFILE SEED EPOCH THREADS REGION_SECTORS SECONDS</pre>
 */
public final class BlockWriter {

    private BlockWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path dev = Path.of(args[0]);
        Path ackFile = Path.of(args[1]);
        long seed = Long.parseLong(args[2]);
        int epoch = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]);
        int regionSectors = Integer.parseInt(args[5]);
        long seconds = Long.parseLong(args[6]);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        try (FileChannel ack = FileChannel.open(ackFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            List<Thread> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                running.add(Thread.ofPlatform().name("writer-" + t).start(() ->
                        run(dev, ack, new Blocks.Plan(seed, epoch, thread, (long) thread * regionSectors,
                                regionSectors), epoch, thread, end)));
            }
            for (Thread t : running) {
                t.join();
            }
        }
        System.out.println("writer done");
        System.exit(0);
    }

    private static void run(Path dev, FileChannel ack, Blocks.Plan plan, int epoch, int thread, long end) {
        long seq = 0;
        try (FileChannel ch = FileChannel.open(dev, StandardOpenOption.READ, StandardOpenOption.WRITE,
                ExtendedOpenOption.DIRECT)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(Blocks.MAX_SECTORS * Blocks.SECTOR + Blocks.SECTOR)
                    .alignedSlice(Blocks.SECTOR);
            while (System.nanoTime() < end) {
                seq++;
                Blocks.Extent e = plan.get(seq);
                Blocks.fill(buf, epoch, thread, seq, e);
                long pos = e.first() * Blocks.SECTOR;
                while (buf.hasRemaining()) {
                    pos += ch.write(buf, pos);
                }
                ch.force(false);
                ByteBuffer line = ByteBuffer.wrap(("A " + epoch + " " + thread + " " + seq + "\n")
                        .getBytes(StandardCharsets.US_ASCII));
                synchronized (ack) {
                    while (line.hasRemaining()) {
                        ack.write(line);
                    }
                }
            }
            System.out.println("thread " + thread + ": time is up after " + seq + " writes");
        } catch (IOException | RuntimeException e) {
            System.out.println("thread " + thread + ": stopped at write " + seq + " at " + System.currentTimeMillis()
                    + ": " + e);
        }
    }
}
