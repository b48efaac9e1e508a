package fr1.control;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Mount option {@code metrics-file=PATH}: the daemon rewrites PATH with {@link PrometheusText} every
 * {@link #INTERVAL}, atomically (a temporary file in the same directory, then a rename), as node_exporter's
 * textfile collector expects: a scrape sees the old file or the new one, never half of one. The temporary file is
 * hidden ({@code .NAME.tmp}) and does not end in {@code .prom}, so the collector never reads it. The file is
 * removed when the array is closed cleanly: a stopped array has no metrics (alert on their absence).
 */
public final class MetricsFile implements Closeable {

    public static final Duration INTERVAL = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(MetricsFile.class);

    private final Path file;
    private final Path temp;
    private final ControlTarget target;
    private final String mountpoint;
    private final ScheduledExecutorService timer;
    /** The last write's failure, logged once until a write succeeds again. */
    private String lastProblem;

    private MetricsFile(Path file, ControlTarget target, String mountpoint) {
        this.file = file;
        this.temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        this.target = target;
        this.mountpoint = mountpoint;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fr1-metrics");
            t.setDaemon(true);
            return t;
        });
    }

    /** The option's value as a path: it must be absolute (the daemon runs in /). */
    public static Path path(String value) {
        Path p = Path.of(value);
        if (!p.isAbsolute() || p.getFileName() == null) {
            throw new IllegalArgumentException("mount option 'metrics-file' needs an absolute file path, not '"
                    + value + "'");
        }
        return p.normalize();
    }

    /**
     * Writes the file once (so a directory that is not there or not writable fails the mount, with the reason) and
     * then every {@code every}. Returns null when {@code file} is null (the option is not given).
     */
    public static MetricsFile start(Path file, ControlTarget target, String mountpoint, Duration every)
            throws IOException {
        if (file == null) {
            return null;
        }
        MetricsFile m = new MetricsFile(file, target, mountpoint);
        try {
            m.write();
        } catch (IOException e) {
            m.timer.shutdownNow();
            throw new IOException("cannot write the metrics file " + file + ": " + reason(e), e);
        }
        m.timer.scheduleWithFixedDelay(m::writeQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return m;
    }

    public static MetricsFile start(Path file, ControlTarget target, String mountpoint) throws IOException {
        return start(file, target, mountpoint, INTERVAL);
    }

    /** Rewrites the file now. */
    void write() throws IOException {
        String text = PrometheusText.format(mountpoint, target.status(), target.counters());
        Files.writeString(temp, text, StandardCharsets.UTF_8);
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    private void writeQuietly() {
        try {
            write();
            if (lastProblem != null) {
                log.info("metrics file {} written again", file);
                lastProblem = null;
            }
        } catch (IOException | RuntimeException e) {
            String why = reason(e);
            if (!Objects.equals(why, lastProblem)) {
                log.warn("cannot write the metrics file {}: {}", file, why);
                lastProblem = why;
            }
        }
    }

    /** Stops rewriting and removes the file. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(temp);
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot remove the metrics file {}: {}", file, reason(e));
        }
    }

    private static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return "no such file or directory: " + n.getFile();
        }
        if (e instanceof java.nio.file.AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
