package fr1.it.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test-side view of the mount table and a last-resort unmount, so no test leaves a mount behind. */
public final class MountTable {

    private MountTable() {
    }

    /** True if a FUSE file system is mounted at {@code mountpoint} (a real, absolute path). */
    public static boolean isFuseMounted(Path mountpoint) throws IOException {
        String target = mountpoint.toString().replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011");
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            int sep = List.of(f).indexOf("-");
            if (f.length > 4 && sep > 0 && sep + 1 < f.length && f[4].equals(target) && f[sep + 1].startsWith("fuse")) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command, returns its exit status; output goes to {@code out} if given. */
    public static int run(List<String> command, StringBuilder out, long timeoutSeconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile("fr1-it-cmd", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command + " did not finish within " + timeoutSeconds + " s");
            }
            if (out != null) {
                out.append(Files.readString(log, StandardCharsets.UTF_8));
            }
            return p.exitValue();
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** fusermount3 -u, then -uz if that did not do it. Never throws. */
    public static void forceUnmount(Path mountpoint) {
        try {
            for (List<String> cmd : List.of(List.of("fusermount3", "-u", mountpoint.toString()),
                    List.of("fusermount3", "-uz", mountpoint.toString()))) {
                if (!isFuseMounted(mountpoint)) {
                    return;
                }
                run(cmd, null, 30);
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("could not unmount " + mountpoint + ": " + e);
        }
    }
}
