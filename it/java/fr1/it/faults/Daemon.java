package fr1.it.faults;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A long-running helper process the test started (nbdfuse, sshd, sshfs), kept in the foreground so the test holds its
 * handle: output appended to a log file, stopped by its own pid and those of its descendants only (SIGTERM, then
 * SIGKILL).
 */
public final class Daemon implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;

    private Daemon(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    public static Daemon start(String name, Path log, List<String> cmd) throws IOException {
        Files.writeString(log, "---- " + String.join(" ", cmd) + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return new Daemon(name, pb.start(), log);
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** The last lines of its log, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return name + " log " + log + ":\n  "
                    + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return name + " log " + log + " unreadable: " + e.getMessage();
        }
    }

    /** Stops it and everything it started; fails if any of them is still running. */
    @Override
    public void close() {
        List<ProcessHandle> tree = process.descendants().toList();
        process.destroy();
        tree.forEach(ProcessHandle::destroy);
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long end = System.nanoTime() + 5_000_000_000L;
        while (tree.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < end) {
            sleep(50);
        }
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (process.isAlive() || tree.stream().anyMatch(ProcessHandle::isAlive)) {
            throw new AssertionError(name + " (pid " + process.pid() + ") or a child of it is still running");
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
