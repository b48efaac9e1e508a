package fr1.engine;

import java.io.EOFException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * What went wrong, in words a person reads: the C library's text for a file-system error ({@code No such file or
 * directory}, as mdadm and cp say it), the message otherwise; never a Java class name, never "null". Used for every
 * reason the engine records, the control channel's error replies and the CLI's {@code fr1: } line.
 */
public final class Reasons {

    /** A qualified class name with its ": " as {@code Throwable.toString()} puts it before a cause's message. */
    private static final Pattern CLASS_PREFIX =
            Pattern.compile("\\b(?:[a-z_][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error)\\b:?\\s*");

    private Reasons() {
    }

    /** The reason alone, for a sentence that names the file already: {@code cannot open member X: REASON}. */
    public static String of(Throwable e) {
        Throwable t = unwrap(e);
        return switch (t) {
            case NoSuchFileException x -> "No such file or directory";
            case AccessDeniedException x -> "Permission denied";
            case FileAlreadyExistsException x -> "File exists";
            case NotDirectoryException x -> "Not a directory";
            case DirectoryNotEmptyException x -> "Directory not empty";
            case FileSystemException x when x.getReason() != null && !x.getReason().isBlank() ->
                    clean(x.getReason());
            case FileSystemException x -> t.getCause() != null ? of(t.getCause()) : "Input/output error";
            case ClosedByInterruptException x -> "interrupted";
            case AsynchronousCloseException x -> "closed while in use";
            case ClosedChannelException x -> "already closed";
            case EOFException x -> message(t, "unexpected end of file");
            case InterruptedIOException x -> message(t, "timed out or interrupted");
            case InterruptedException x -> message(t, "interrupted");
            case TimeoutException x -> message(t, "timed out");
            default -> message(t, null);
        };
    }

    /**
     * The reason with the file it is about, for a sentence of its own: {@code /data/a.img: No such file or
     * directory}. Other errors as {@link #of}.
     */
    public static String withFile(Throwable e) {
        Throwable t = unwrap(e);
        if (t instanceof FileSystemException f && f.getFile() != null && !f.getFile().isBlank()) {
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + of(t);
        }
        return of(t);
    }

    /** Wrappers that only carry another exception give way to it. */
    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        for (int i = 0; i < 10 && t.getCause() != null && (t instanceof ExecutionException
                || t instanceof CompletionException || t instanceof UncheckedIOException
                || t instanceof InvocationTargetException || carriesOnlyCause(t)); i++) {
            t = t.getCause();
        }
        return t;
    }

    /** Made as {@code new IOException(cause)}: its message is just the cause's {@code toString()}. */
    private static boolean carriesOnlyCause(Throwable t) {
        return t.getMessage() == null || t.getMessage().equals(t.getCause().toString());
    }

    /** The message without class names; else the cause's reason; else {@code fallback} or a generic text. */
    private static String message(Throwable t, String fallback) {
        String m = t.getMessage() == null ? null : clean(t.getMessage());
        if (m != null && !m.isEmpty()) {
            return m;
        }
        if (t.getCause() != null && t.getCause() != t) {
            return of(t.getCause());
        }
        if (fallback != null) {
            return fallback;
        }
        return t instanceof java.io.IOException ? "Input/output error" : "internal error (no detail; FR1_DEBUG=1 "
                + "prints where)";
    }

    private static String clean(String message) {
        String m = CLASS_PREFIX.matcher(message).replaceAll("").replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
        return m.equals("null") ? "" : m;
    }
}
