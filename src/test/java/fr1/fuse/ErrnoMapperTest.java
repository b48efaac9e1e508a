package fr1.fuse;

import fr1.engine.BeyondEndException;
import fr1.engine.NoCurrentMemberException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.AccessDeniedException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ErrnoMapperTest {

    private static final BeyondEndException BEYOND = new BeyondEndException(4096, 512, 4096);
    private static final NoCurrentMemberException NO_MEMBER = new NoCurrentMemberException("all members failed");

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("beyond end", BEYOND, ErrnoMapper.EFBIG),
                Arguments.of("no current member", NO_MEMBER, ErrnoMapper.EIO),
                Arguments.of("beyond end in UncheckedIOException", new UncheckedIOException(BEYOND), ErrnoMapper.EFBIG),
                Arguments.of("beyond end in CompletionException", new CompletionException(BEYOND), ErrnoMapper.EFBIG),
                Arguments.of("beyond end in ExecutionException in CompletionException",
                        new CompletionException(new ExecutionException(BEYOND)), ErrnoMapper.EFBIG),
                Arguments.of("no member in ExecutionException", new ExecutionException(NO_MEMBER), ErrnoMapper.EIO),
                Arguments.of("out of memory", new OutOfMemoryError(), ErrnoMapper.ENOMEM),
                Arguments.of("wrapper without cause", new CompletionException("x", null), ErrnoMapper.EIO),
                Arguments.of("wrappers deeper than the limit", nest(BEYOND, 20), ErrnoMapper.EIO),
                Arguments.of("beyond end as cause of a plain IOException (not a wrapper)",
                        new IOException("member", BEYOND), ErrnoMapper.EIO),
                Arguments.of("access denied from a member", new AccessDeniedException("/m1"), ErrnoMapper.EIO),
                Arguments.of("interrupted channel", new ClosedByInterruptException(), ErrnoMapper.EIO),
                Arguments.of("plain IOException", new IOException("disk on fire"), ErrnoMapper.EIO),
                Arguments.of("engine stub", new UnsupportedOperationException(), ErrnoMapper.EIO),
                Arguments.of("bug", new NullPointerException(), ErrnoMapper.EIO),
                Arguments.of("stack overflow", new StackOverflowError(), ErrnoMapper.EIO),
                Arguments.of("null", null, ErrnoMapper.EIO));
    }

    private static Throwable nest(Throwable inner, int depth) {
        Throwable t = inner;
        for (int i = 0; i < depth; i++) {
            t = new CompletionException(t);
        }
        return t;
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("table")
    void mapsToErrno(String name, Throwable failure, int expected) {
        assertEquals(expected, ErrnoMapper.errno(failure));
    }

    @Test
    void onlyBeyondEndIsTheCallersMistake() {
        assertEquals(true, ErrnoMapper.isCallerError(BEYOND));
        assertEquals(true, ErrnoMapper.isCallerError(new UncheckedIOException(BEYOND)));
        assertEquals(false, ErrnoMapper.isCallerError(NO_MEMBER));
        assertEquals(false, ErrnoMapper.isCallerError(null));
    }

    /** The constants are Linux's; jnr-constants knows the platform's real values. */
    @Test
    void constantsAreThisPlatformsErrnoValues() {
        assertEquals(jnr.constants.platform.Errno.EPERM.intValue(), ErrnoMapper.EPERM);
        assertEquals(jnr.constants.platform.Errno.ENOENT.intValue(), ErrnoMapper.ENOENT);
        assertEquals(jnr.constants.platform.Errno.EIO.intValue(), ErrnoMapper.EIO);
        assertEquals(jnr.constants.platform.Errno.ENOMEM.intValue(), ErrnoMapper.ENOMEM);
        assertEquals(jnr.constants.platform.Errno.ENOTDIR.intValue(), ErrnoMapper.ENOTDIR);
        assertEquals(jnr.constants.platform.Errno.EISDIR.intValue(), ErrnoMapper.EISDIR);
        assertEquals(jnr.constants.platform.Errno.EFBIG.intValue(), ErrnoMapper.EFBIG);
    }
}
