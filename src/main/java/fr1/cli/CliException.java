package fr1.cli;

/** A failure the CLI itself decides on (bad mountpoint, timeout), with the exit status it calls for. */
final class CliException extends RuntimeException {

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
