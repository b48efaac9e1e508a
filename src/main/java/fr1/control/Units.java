package fr1.control;

import java.util.Locale;

/** Human-readable sizes, rates and durations for status text. Binary units; Locale.ROOT so a '.' is a '.'. */
public final class Units {

    private static final String[] SUFFIXES = {"K", "M", "G", "T", "P", "E"};

    private Units() {
    }

    /** An exact size with the largest binary unit that divides it: {@code 65536 -> 64K}, {@code 1000 -> 1000B}. */
    public static String exact(long bytes) {
        if (bytes <= 0) {
            return bytes + "B";
        }
        int unit = -1;
        long value = bytes;
        while (unit + 1 < SUFFIXES.length && value % 1024 == 0) {
            value /= 1024;
            unit++;
        }
        return unit < 0 ? bytes + "B" : value + SUFFIXES[unit];
    }

    /** A size to one decimal in the largest unit it reaches: {@code 1073741824 -> 1.0G}, {@code 512 -> 512B}. */
    public static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        double value = bytes;
        int unit = -1;
        while (unit + 1 < SUFFIXES.length && value >= 1024) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f%s", value, SUFFIXES[unit]);
    }

    /** A transfer rate: {@code 52.3MiB/s}; below 1 KiB/s in whole bytes. */
    public static String rate(double bytesPerSecond) {
        if (!(bytesPerSecond >= 1024)) {
            return Math.round(Double.isFinite(bytesPerSecond) ? Math.max(0, bytesPerSecond) : 0) + "B/s";
        }
        double value = bytesPerSecond;
        int unit = -1;
        while (unit + 1 < SUFFIXES.length && value >= 1024) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f%siB/s", value, SUFFIXES[unit]);
    }

    /** A remaining time as {@code m:ss}, or {@code h:mm:ss} from one hour on. */
    public static String clock(long seconds) {
        long s = Math.max(0, seconds);
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
                : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }

    /** A duration in milliseconds as {@code 850ms}, {@code 2.4s} or {@code 3m05s}. */
    public static String seconds(long millis) {
        if (millis < 1000) {
            return millis + "ms";
        }
        if (millis < 60_000) {
            return String.format(java.util.Locale.ROOT, "%.1fs", millis / 1000.0);
        }
        long s = millis / 1000;
        return String.format(java.util.Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
