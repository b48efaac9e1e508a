package fr1.control;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DaemonLockTest {

    @TempDir
    Path dir;

    @Test
    void onlyOneHolderAtATime() throws Exception {
        Path f = dir.resolve("x.lock");
        assertFalse(DaemonLock.isHeld(f), "no file, no daemon");
        Optional<DaemonLock> first = DaemonLock.tryAcquire(f);
        assertTrue(first.isPresent());
        assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(f));
        assertTrue(DaemonLock.tryAcquire(f).isEmpty(), "second daemon for the same mountpoint");
        first.get().close();
        Optional<DaemonLock> again = DaemonLock.tryAcquire(f);
        assertTrue(again.isPresent(), "free again after close");
        again.get().close();
        assertFalse(DaemonLock.isHeld(f));
    }
}
