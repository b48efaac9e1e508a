package fr1.io;

/** Words for the errno values the native calls report, for one-line messages. */
final class Errno {

    private Errno() {
    }

    static String describe(int errno) {
        return switch (errno) {
            case 5 -> "input/output error";
            case 9 -> "bad file descriptor";
            case 13 -> "permission denied";
            case 27 -> "file too large";
            case 28 -> "no space left on device";
            case 30 -> "read-only file system";
            case 107 -> "transport endpoint is not connected";
            case 116 -> "stale file handle";
            default -> "errno " + errno;
        };
    }
}
