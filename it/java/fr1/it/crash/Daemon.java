package fr1.it.crash;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/** The fr1 mount daemon of one mountpoint, as the crash test sees it: its process and its log. */
public final class Daemon {

    private Daemon() {
    }

    /** The running daemon of {@code mnt}: the java process whose command line holds {@code mount -f} and mnt. */
    public static ProcessHandle find(Path mnt) {
        String m = mnt.toString();
        List<ProcessHandle> found = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(" mount -f ")
                        && (c.endsWith(" " + m) || c.contains(" " + m + " "))).orElse(false))
                .toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one fr1 daemon for " + mnt + ", found " + found.size() + ": "
                    + found.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList());
        }
        return found.getFirst();
    }

    /** SIGKILL, and wait until it is gone. */
    public static void kill(ProcessHandle p) throws InterruptedException {
        p.destroyForcibly();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (p.isAlive()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("fr1 daemon " + p.pid() + " still alive 20 s after SIGKILL");
            }
            Thread.sleep(20);
        }
    }

    /**
     * The log a background daemon of {@code mnt} writes: {@code <run dir>/<id>.log}, the id being the first 16 hex
     * digits of the SHA-256 of the mountpoint's real path (fr1.control.ControlPaths); root's run dir is /run/fr1
     * unless FR1_RUN_DIR says otherwise.
     */
    public static Path log(Path mnt) throws IOException {
        String runDir = System.getenv("FR1_RUN_DIR");
        Path dir = runDir == null || runDir.isBlank() ? Path.of("/run/fr1") : Path.of(runDir);
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest(mnt.toRealPath().toString().getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(h, 0, 8) + ".log");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static long size(Path log) throws IOException {
        return Files.exists(log) ? Files.size(log) : 0;
    }

    /** The log's text from byte {@code from} on. */
    public static String since(Path log, long from) throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.min(from, f.length());
            byte[] b = new byte[(int) (f.length() - start)];
            f.seek(start);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }
}
