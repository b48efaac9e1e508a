package fr1.cli;

import java.util.Locale;

/** Sizes as users type them: a whole number with an optional binary suffix K, M, G or T (1K = 1024). */
final class Sizes {

    private Sizes() {
    }

    /**
     * Parses {@code 4096}, {@code 64K}, {@code 1G}, {@code 2T}; the suffix may be lower case and may be
     * followed by {@code B} or {@code iB} ({@code 64KiB}).
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    static long parse(String text) {
        String s = text.strip();
        String upper = s.toUpperCase(Locale.ROOT);
        if (upper.endsWith("IB")) {
            upper = upper.substring(0, upper.length() - 2);
        } else if (upper.endsWith("B") && upper.length() > 1 && "KMGT".indexOf(upper.charAt(upper.length() - 2)) >= 0) {
            upper = upper.substring(0, upper.length() - 1);
        }
        int shift = 0;
        if (!upper.isEmpty()) {
            switch (upper.charAt(upper.length() - 1)) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                case 'T' -> shift = 40;
                default -> shift = 0;
            }
        }
        String digits = shift == 0 ? upper : upper.substring(0, upper.length() - 1);
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("malformed size '" + text
                    + "': expected a whole number with an optional K, M, G or T suffix (1K = 1024)");
        }
        try {
            long n = Long.parseLong(digits);
            if (n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
    }
}
