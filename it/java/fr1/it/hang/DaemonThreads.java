package fr1.it.hang;

import fr1.it.support.Sh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Why a daemon froze, for failure messages: {@code jcmd PID Thread.print} of the fr1 daemon, reduced to its threads
 * that wait for a monitor, sit in a file-system call or serve an image request (FUSE), each with its top frame and
 * its first fr1 frames.
 */
public final class DaemonThreads {

    private static final int FR1_FRAMES = 4;
    private static final int MAX_THREADS = 12;
    /** Frames of a thread inside a file-system call (it may be the one that hangs). */
    private static final List<String> FS_CALLS = List.of("sun.nio.fs.UnixNativeDispatcher",
            "sun.nio.ch.UnixFileDispatcherImpl", "sun.nio.ch.FileDispatcherImpl", "java.io.RandomAccessFile");

    private DaemonThreads() {
    }

    /** The fr1 daemon serving {@code mountpoint}: the {@code mount} process whose command line names it. */
    public static long daemonPid(Path mountpoint) {
        String m = mountpoint.toString();
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self)
                .filter(p -> p.info().commandLine()
                        .map(c -> c.contains(m) && c.contains(" mount ") && !c.contains(HangFs.class.getName()))
                        .orElse(false))
                .mapToLong(ProcessHandle::pid)
                .findFirst().orElse(-1);
    }

    /** A few lines on the daemon's stuck threads, or why there are none. */
    public static String summary(Path mountpoint) {
        long pid = daemonPid(mountpoint);
        if (pid < 0) {
            return "(no fr1 daemon found for " + mountpoint + ")";
        }
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Sh.Result r = Sh.attempt(Duration.ofSeconds(15), jcmd, Long.toString(pid), "Thread.print");
        if (!r.ok()) {
            return "(jcmd " + pid + " Thread.print failed: " + r.describe() + ")";
        }
        List<String> lines = new ArrayList<>();
        for (String block : r.out().split("\n\n")) {
            String s = summarize(block);
            if (s != null && lines.size() < MAX_THREADS) {
                lines.add(s);
            }
        }
        return lines.isEmpty() ? "(no fr1 thread of daemon " + pid + " is blocked or in a file-system call)"
                : "threads of the fr1 daemon (pid " + pid + "):\n    " + String.join("\n    ", lines);
    }

    private static String summarize(String block) {
        String[] l = block.strip().split("\n");
        if (l.length < 3 || !l[0].startsWith("\"")) {
            return null;
        }
        String name = l[0].substring(1, l[0].indexOf('"', 1));
        String state = "";
        String top = null;
        String lock = null;
        boolean fsCall = false;
        boolean imageCall = false;
        List<String> fr1 = new ArrayList<>();
        for (String raw : l) {
            String x = raw.strip();
            if (x.startsWith("java.lang.Thread.State:")) {
                state = x.substring("java.lang.Thread.State:".length()).strip();
            } else if (x.startsWith("at ")) {
                String frame = x.substring(3);
                if (top == null) {
                    top = frame;
                }
                if (FS_CALLS.stream().anyMatch(frame::startsWith)) {
                    fsCall = true;
                }
                if (frame.startsWith("fr1.fuse.ImageFs.")) {
                    imageCall = true;
                }
                if (frame.startsWith("fr1.") && fr1.size() < FR1_FRAMES) {
                    // fr1.engine.Mirror.write(Mirror.java:428) -> Mirror.write:428
                    fr1.add(frame.replaceAll("\\(\\w+\\.java:(\\d+)\\)", ":$1").replaceFirst("^fr1\\.\\w+\\.", ""));
                }
            } else if (x.startsWith("- waiting to lock") && lock == null) {
                lock = x.substring(2);
            }
        }
        if (fr1.isEmpty() || !(state.startsWith("BLOCKED") || fsCall || imageCall)) {
            return null;
        }
        return name + " " + state + (lock != null ? " " + lock : "")
                + (top != null && !top.startsWith("fr1.") ? " in " + top : "") + " <- " + String.join(" <- ", fr1);
    }
}
