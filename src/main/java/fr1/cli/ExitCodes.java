package fr1.cli;

import fr1.control.ControlException;
import fr1.engine.ArrayException;
import fr1.engine.Reasons;
import fr1.meta.CorruptMetadataException;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * fr1's exit statuses, and the one place where an exception becomes a status and a message.
 * <pre>
 * 0  success
 * 1  internal error (a bug)
 * 2  usage error: unknown option, malformed size or option value
 * 3  refused: the array or the CLI refused the request, or metadata is corrupt; nothing changed
 * 4  no fr1 mount at the mountpoint, or its control channel cannot be reached
 * 5  I/O error
 * 6  check/repair --wait: mismatches found (check), or some left unrepaired (repair)
 * </pre>
 */
final class ExitCodes {

    static final int OK = 0;
    static final int INTERNAL = 1;
    static final int USAGE = 2;
    static final int REFUSED = 3;
    static final int NO_MOUNT = 4;
    static final int IO = 5;
    static final int MISMATCH = 6;

    private ExitCodes() {
    }

    static int of(Throwable t) {
        return switch (t) {
            case CommandLine.ParameterException e -> USAGE;
            case CliException e -> e.exitCode();
            case ControlException e -> switch (e.code()) {
                case USAGE -> USAGE;
                case REFUSED -> REFUSED;
                case DENIED, BUSY, UNREACHABLE -> NO_MOUNT;
                case IO -> IO;
                case INTERNAL -> INTERNAL;
            };
            case ArrayException e -> REFUSED;
            case CorruptMetadataException e -> REFUSED;
            case IOException e -> IO;
            default -> INTERNAL;
        };
    }

    /** The message for the {@code fr1: } line: one line, naming the file for file-system errors. */
    static String message(Throwable t) {
        String m = switch (t) {
            case NoSuchFileException e -> e.getFile() + ": no such file or directory";
            case AccessDeniedException e -> e.getFile() + ": permission denied";
            case FileAlreadyExistsException e -> e.getFile() + ": already exists";
            case NotDirectoryException e -> e.getFile() + ": not a directory";
            case FileSystemException e when e.getReason() != null && e.getFile() != null ->
                    e.getFile() + ": " + e.getReason();
            case UnsupportedOperationException e -> "not supported yet: " + e.getMessage();
            case ControlException e -> e.getMessage();
            case CliException e -> e.getMessage();
            case CommandLine.ParameterException e -> e.getMessage();
            case IOException e -> Reasons.withFile(e);
            default -> "internal error: " + Reasons.of(t) + " (a bug; FR1_DEBUG=1 prints where)";
        };
        if (m == null || m.isBlank()) {
            m = Reasons.withFile(t);
        }
        return m.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
