package fr1.fuse;

import fr1.engine.BeyondEndException;
import fr1.engine.NoCurrentMemberException;

import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place where the FUSE adapter turns failures into errno values.
 *
 * <p>Values are Linux's (the same on x86_64 and aarch64); both bindings run only on Linux. Callbacks return
 * them negated. {@link #errno(Throwable)} is total: anything it does not know is {@link #EIO}.
 */
final class ErrnoMapper {

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EIO = 5;
    static final int ENOMEM = 12;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EFBIG = 27;
    static final int ENXIO = 6;
    static final int EINVAL = 22;
    static final int EOPNOTSUPP = 95;

    /** Wrappers are unwrapped at most this deep, so a cause cycle cannot loop. */
    private static final int MAX_UNWRAP = 8;

    private ErrnoMapper() {
    }

    /** The errno (positive) that a failed callback reports for {@code failure}. */
    static int errno(Throwable failure) {
        Throwable t = unwrap(failure);
        return switch (t) {
            case BeyondEndException _ -> EFBIG;
            case NoCurrentMemberException _ -> EIO;
            case OutOfMemoryError _ -> ENOMEM;
            case null, default -> EIO;
        };
    }

    /** True if {@code failure} is the caller's mistake rather than a fault of the array (logged quietly). */
    static boolean isCallerError(Throwable failure) {
        return unwrap(failure) instanceof BeyondEndException;
    }

    /** Strips the wrappers that executors and lambdas put around the engine's exception. */
    static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        for (int i = 0; i < MAX_UNWRAP && isWrapper(t) && t.getCause() != null; i++) {
            t = t.getCause();
        }
        return t;
    }

    private static boolean isWrapper(Throwable t) {
        return t instanceof UncheckedIOException
                || t instanceof CompletionException
                || t instanceof ExecutionException
                || t instanceof InvocationTargetException
                || t instanceof UndeclaredThrowableException;
    }
}
