package fr1.cli;

import fr1.control.ControlClient;
import fr1.control.ControlException;
import fr1.control.ControlPaths;
import fr1.control.ErrorCode;
import fr1.control.Request;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Starts {@code fr1 mount -f} as a detached daemon and waits until it serves: the same java binary, JVM
 * flags and class path as this process; a new session ({@code setsid}, so the terminal's hangup and ^C do
 * not reach it); working directory {@code /} (it keeps no directory busy); stdin from /dev/null; stdout and
 * stderr appended to {@code <runDir>/<id>.log}. The mount is up once its control socket answers (the daemon
 * binds it only after the FUSE mount). If the daemon dies first, its last {@code fr1:} error line is shown
 * and its exit status returned.
 */
final class DaemonLauncher {

    static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final String SHOW_DATE_TIME = "org.slf4j.simpleLogger.showDateTime";
    private static final List<String> SETSID = List.of("/usr/bin/setsid", "/bin/setsid");

    private DaemonLauncher() {
    }

    /**
     * Runs the daemon and waits for it.
     *
     * @param fr1Args the daemon's arguments, from {@code mount -f} on, with absolute paths
     * @return the exit status for this command
     */
    static int launch(List<String> fr1Args, ControlPaths.MountFiles files, String mountpoint, PrintWriter err)
            throws IOException, InterruptedException {
        List<String> command = childCommand(javaBinary(), ManagementFactory.getRuntimeMXBean().getInputArguments(),
                System.getProperty("java.class.path"), setsid(), fr1Args);
        Path logFile = files.log();
        Files.writeString(logFile, "---- " + OffsetDateTime.now() + " " + String.join(" ", fr1Args) + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        long logStart = Files.size(logFile);
        Process child = new ProcessBuilder(command)
                .directory(new File("/"))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true)
                .start();
        ControlClient probe = new ControlClient(files.socket(), mountpoint, Duration.ofSeconds(1), Duration.ofSeconds(5));
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (!child.isAlive()) {
                int status = child.exitValue();
                String line = lastErrorLine(logFile, logStart);
                err.println(line != null ? line : "fr1: the mount daemon exited with status " + status
                        + " before the mount was ready (see " + logFile + ")");
                err.flush();
                return status == 0 ? ExitCodes.IO : status;
            }
            if (answers(probe)) {
                return ExitCodes.OK;
            }
            if (System.nanoTime() > deadline) {
                // SIGTERM: the daemon's shutdown hook takes down whatever part of the mount is up.
                child.destroy();
                throw new CliException(ExitCodes.IO, "the mount at " + mountpoint + " did not come up within "
                        + READY_TIMEOUT.toSeconds() + " s (see " + logFile + ")");
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** The full command line of the daemon. {@code setsid} may be null (then no new session). */
    static List<String> childCommand(String java, List<String> jvmArgs, String classPath, String setsid,
                                     List<String> fr1Args) {
        List<String> cmd = new ArrayList<>();
        if (setsid != null) {
            // Java's children are never process-group leaders, so setsid(1) execs in place rather than forking:
            // the Process we watch is the daemon itself.
            cmd.add(setsid);
        }
        cmd.add(java);
        for (String a : jvmArgs) {
            // A debugger agent would fight the parent for its port.
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) {
                cmd.add(a);
            }
        }
        if (jvmArgs.stream().noneMatch(a -> a.startsWith("-D" + SHOW_DATE_TIME))) {
            // The daemon's log is a file read later: every line needs its time.
            cmd.add("-D" + SHOW_DATE_TIME + "=true");
            cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        }
        cmd.add("-cp");
        cmd.add(absoluteClassPath(classPath));
        cmd.add(Main.class.getName());
        cmd.addAll(fr1Args);
        return cmd;
    }

    /** The last line starting with {@code fr1: } written to the log since {@code from}, or null. */
    static String lastErrorLine(Path log, long from) throws IOException {
        String tail;
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(from, f.length() - 64 * 1024);
            byte[] buf = new byte[(int) (f.length() - start)];
            f.seek(start);
            f.readFully(buf);
            tail = new String(buf, StandardCharsets.UTF_8);
        }
        String last = null;
        for (String line : tail.split("\n")) {
            if (line.startsWith("fr1: ")) {
                last = line.strip();
            }
        }
        return last;
    }

    private static boolean answers(ControlClient probe) {
        try {
            probe.call(new Request.Status(false));
            return true;
        } catch (ControlException e) {
            // Any reply but "nobody there" means the daemon serves (a failing status is still an answer).
            return e.code() != ErrorCode.UNREACHABLE;
        } catch (IOException e) {
            return false;
        }
    }

    private static String absoluteClassPath(String classPath) {
        return Arrays.stream(classPath.split(File.pathSeparator))
                .filter(s -> !s.isEmpty())
                .map(s -> Path.of(s).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String setsid() {
        return SETSID.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
    }
}
