package fr1.cli;

import fr1.control.StatusText;
import fr1.control.Units;

import java.io.PrintWriter;

/**
 * One progress line on a terminal, rewritten in place ({@code \r} and erase-to-end-of-line) on stderr; ends
 * with a newline when closed, if anything was shown. Off (shows nothing) when stderr is not a terminal, so
 * scripts and logs get only the final messages.
 */
final class Progress implements AutoCloseable {

    private final PrintWriter err;
    private final boolean enabled;
    private boolean shown;

    Progress(PrintWriter err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    /** A progress line for this process's terminal: enabled when it has one. */
    static Progress onTerminal(PrintWriter err) {
        return new Progress(err, isTerminal());
    }

    static boolean isTerminal() {
        return System.console() != null && System.console().isTerminal();
    }

    boolean enabled() {
        return enabled;
    }

    synchronized void show(String line) {
        if (enabled) {
            err.print("\r" + line + "\u001b[K");
            err.flush();
            shown = true;
        }
    }

    @Override
    public synchronized void close() {
        if (shown) {
            err.println();
            err.flush();
            shown = false;
        }
    }

    /**
     * {@code LABEL = 42.0% (DONE/TOTAL) [========>...........] RATE eta m:ss}, as fr1 status shows a resync;
     * sizes in bytes are shown human-readable.
     */
    static String bytesLine(String label, long done, long total, double bytesPerSecond) {
        long d = Math.max(0, Math.min(done, total));
        StringBuilder line = new StringBuilder(label).append(" = ").append(StatusText.percent(d, total))
                .append(" (").append(Units.human(d)).append('/').append(Units.human(total)).append(") ")
                .append(StatusText.bar(d, total)).append(' ').append(Units.rate(bytesPerSecond)).append(" eta ");
        line.append(StatusText.eta(total - d, bytesPerSecond));
        return line.toString();
    }

    /** A rate smoothed over the last few samples (exponential, ~5 samples), from (time, amount) pairs. */
    static final class Rate {
        private long lastNanos = -1;
        private long lastAmount;
        private double rate;

        /** Adds a sample; returns the smoothed rate per second. */
        double sample(long nanos, long amount) {
            if (lastNanos >= 0 && nanos > lastNanos) {
                double now = (amount - lastAmount) * 1e9 / (nanos - lastNanos);
                rate = rate == 0 ? now : rate + (now - rate) / 5;
            }
            lastNanos = nanos;
            lastAmount = amount;
            return rate;
        }
    }
}
