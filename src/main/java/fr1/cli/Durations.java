package fr1.cli;

import java.time.Duration;

/** Durations as users type them in mount options: a whole number with a unit, {@code ms}, {@code s} or {@code m}. */
final class Durations {

    /** The longest duration taken: a day. */
    static final Duration MAX = Duration.ofDays(1);

    private Durations() {
    }

    /**
     * Parses {@code 500ms}, {@code 5s}, {@code 2m}, up to a day. A unit is required: a bare number is ambiguous.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    static Duration parse(String text) {
        String s = text.strip();
        int split = 0;
        while (split < s.length() && Character.isDigit(s.charAt(split))) {
            split++;
        }
        String digits = s.substring(0, split);
        String unit = s.substring(split);
        if (digits.isEmpty() || unit.isEmpty()) {
            throw new IllegalArgumentException("malformed duration '" + text + "': expected a number and a unit, "
                    + "ms, s or m (e.g. 5s)");
        }
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw tooLarge(text);
        }
        Duration d;
        try {
            d = switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> throw new IllegalArgumentException("malformed duration '" + text + "': unknown unit '"
                        + unit + "' (use ms, s or m)");
            };
        } catch (ArithmeticException e) {
            throw tooLarge(text);
        }
        // The engine adds timeouts to System.nanoTime() and doubles back-offs: keep far from long overflow.
        if (d.compareTo(MAX) > 0) {
            throw tooLarge(text);
        }
        return d;
    }

    private static IllegalArgumentException tooLarge(String text) {
        return new IllegalArgumentException("duration '" + text + "' is too large (at most " + MAX.toMinutes() + "m)");
    }
}
