package fr1.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs external commands for the integration tests: stdin from /dev/null, stdout and stderr captured in
 * temporary files (not pipes: a daemon started by the command may keep them open long after it returns),
 * and a deadline after which the command and its children are killed.
 */
public final class Sh {

    /** Deadline of a command when none is given. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    private Sh() {
    }

    /** What a finished (or killed) command left behind. */
    public record Result(List<String> command, int exit, String out, String err, boolean timedOut) {

        public boolean ok() {
            return exit == 0 && !timedOut;
        }

        /** Returns this result, or throws with the command, its exit code and its stderr if it failed. */
        public Result check() {
            if (!ok()) {
                throw new CommandFailedException(this);
            }
            return this;
        }

        /** One line for failure messages. */
        public String describe() {
            String how = timedOut ? "timed out" : "exited " + exit;
            return "`" + String.join(" ", command) + "` " + how
                    + (err.isBlank() ? "" : "\n--- stderr ---\n" + err.strip())
                    + (out.isBlank() ? "" : "\n--- stdout ---\n" + tail(out, 4000));
        }
    }

    /** A command that failed or timed out; the message holds its stderr. */
    public static final class CommandFailedException extends RuntimeException {
        private final Result result;

        CommandFailedException(Result result) {
            super(result.describe());
            this.result = result;
        }

        public Result result() {
            return result;
        }
    }

    /** Runs {@code cmd} with the default deadline and throws if it fails. */
    public static Result run(String... cmd) {
        return exec(DEFAULT_TIMEOUT, Map.of(), List.of(cmd)).check();
    }

    /** Runs {@code cmd} with a deadline and throws if it fails. */
    public static Result run(Duration timeout, String... cmd) {
        return exec(timeout, Map.of(), List.of(cmd)).check();
    }

    /** Runs {@code cmd} and returns whatever happened; never throws for a failing command. */
    public static Result attempt(Duration timeout, String... cmd) {
        return exec(timeout, Map.of(), List.of(cmd));
    }

    /**
     * Runs {@code cmd} with extra environment variables, waits at most {@code timeout}, and returns the result
     * without judging the exit code. A command that cannot be started at all gives exit 127.
     */
    public static Result exec(Duration timeout, Map<String, String> env, List<String> cmd) {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("fr1-sh-out-", ".txt");
            err = Files.createTempFile("fr1-sh-err-", ".txt");
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().putAll(env);
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                return new Result(cmd, 127, "", "cannot start: " + e.getMessage(), false);
            }
            boolean done;
            try {
                done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                kill(p);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + cmd, e);
            }
            if (!done) {
                kill(p);
            }
            return new Result(cmd, done ? p.exitValue() : -1, read(out), read(err), !done);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a leftover temp file is harmless
            }
        }
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s.strip() : "..." + s.substring(s.length() - max).strip();
    }
}
