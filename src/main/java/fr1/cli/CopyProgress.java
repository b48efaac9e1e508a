package fr1.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The progress bar of {@code fr1 create} while it copies the image to the other members (with {@code --from},
 * or existing member files). The engine's create reports nothing while it runs, so this counts the bytes the
 * process has written ({@code wchar} in /proc/self/io, every thread) against what the copy writes: an honest
 * measure of a copy that is nearly all of this process's writes. Shown only on a terminal and once writing
 * has begun; a create that copies nothing shows nothing.
 */
final class CopyProgress implements AutoCloseable {

    private static final Path PROC_IO = Path.of("/proc/self/io");
    private static final long POLL_MILLIS = 250;

    private final Progress line;
    private final long total;
    private final long base;
    private final Thread poller;
    private final Progress.Rate rate = new Progress.Rate();
    private volatile boolean stop;

    private CopyProgress(Progress line, long total) {
        this.line = line;
        this.total = total;
        this.base = written();
        this.poller = line.enabled() && total > 0 && base >= 0
                ? Thread.ofPlatform().daemon().name("fr1-progress").unstarted(this::poll) : null;
    }

    static CopyProgress start(PrintWriter err, long totalBytes) {
        CopyProgress p = new CopyProgress(Progress.onTerminal(err), totalBytes);
        if (p.poller != null) {
            p.poller.start();
        }
        return p;
    }

    /** The copy is done: shows 100% if a bar was showing. */
    void finish() {
        halt();
        long done = written() - base;
        if (done > 0 && poller != null) {
            line.show(Progress.bytesLine("copy", total, total, rate.sample(System.nanoTime(), done)));
        }
    }

    @Override
    public void close() {
        halt();
        line.close();
    }

    private void halt() {
        stop = true;
        if (poller != null) {
            poller.interrupt();
            try {
                poller.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void poll() {
        while (!stop) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long done = written() - base;
            double r = rate.sample(System.nanoTime(), done);
            if (done > 0 && !stop) {
                line.show(Progress.bytesLine("copy", Math.min(done, total), total, r));
            }
        }
    }

    /** Bytes this process has written (all threads), or -1 if /proc/self/io cannot be read. */
    static long written() {
        try {
            for (String l : Files.readAllLines(PROC_IO)) {
                if (l.startsWith("wchar:")) {
                    return Long.parseLong(l.substring(6).strip());
                }
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            // No progress then; the create itself is unaffected.
        }
        return -1;
    }
}
