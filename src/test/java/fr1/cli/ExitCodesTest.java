package fr1.cli;

import fr1.control.ControlException;
import fr1.control.ErrorCode;
import fr1.engine.ArrayException;
import fr1.engine.NoCurrentMemberException;
import fr1.meta.CorruptMetadataException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ExitCodesTest {

    @Test
    void exceptionsMapToDocumentedCodes() {
        assertEquals(3, ExitCodes.of(new ArrayException("x")));
        assertEquals(3, ExitCodes.of(new CorruptMetadataException("x")));
        assertEquals(5, ExitCodes.of(new NoCurrentMemberException("x")));
        assertEquals(5, ExitCodes.of(new IOException("x")));
        assertEquals(5, ExitCodes.of(new NoSuchFileException("/x")));
        assertEquals(1, ExitCodes.of(new IllegalStateException("x")));
        assertEquals(1, ExitCodes.of(new UnsupportedOperationException("x")));
        assertEquals(4, ExitCodes.of(new CliException(4, "x")));
        assertEquals(2, ExitCodes.of(new ControlException(ErrorCode.USAGE, "x")));
        assertEquals(3, ExitCodes.of(new ControlException(ErrorCode.REFUSED, "x")));
        assertEquals(4, ExitCodes.of(new ControlException(ErrorCode.DENIED, "x")));
        assertEquals(4, ExitCodes.of(new ControlException(ErrorCode.BUSY, "x")));
        assertEquals(4, ExitCodes.of(new ControlException(ErrorCode.UNREACHABLE, "x")));
        assertEquals(5, ExitCodes.of(new ControlException(ErrorCode.IO, "x")));
        assertEquals(1, ExitCodes.of(new ControlException(ErrorCode.INTERNAL, "x")));
    }

    @Test
    void messagesAreOneLineAndNameTheFile() {
        assertEquals("/data/a.img: no such file or directory", ExitCodes.message(new NoSuchFileException("/data/a.img")));
        assertEquals("/dev/sdb: permission denied", ExitCodes.message(new AccessDeniedException("/dev/sdb")));
        assertEquals("/nfs/b.img: Stale file handle",
                ExitCodes.message(new FileSystemException("/nfs/b.img", null, "Stale file handle")));
        assertEquals("members do not belong together: uuid differs",
                ExitCodes.message(new ArrayException("members do not belong together:\n  uuid differs\n")));
        assertEquals("internal error: boom (a bug; FR1_DEBUG=1 prints where)",
                ExitCodes.message(new IllegalStateException("boom")));
        assertEquals("not supported yet: not yet", ExitCodes.message(new UnsupportedOperationException("not yet")));
        assertEquals("Input/output error", ExitCodes.message(new IOException()));
        assertEquals("/x: No such file or directory", ExitCodes.message(new IOException(new NoSuchFileException("/x"))));
    }
}
