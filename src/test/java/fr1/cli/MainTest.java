package fr1.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    @Test
    void onlyTheForegroundDaemonLogsAtInfo() {
        assertTrue(Main.isForegroundMount(List.of("mount", "-f", "--", "/a", "/m")));
        assertTrue(Main.isForegroundMount(List.of("mount", "/a", "/m", "--foreground")));
        assertFalse(Main.isForegroundMount(List.of("mount", "/a", "/m")));
        assertFalse(Main.isForegroundMount(List.of("create", "--size", "1G", "/a", "/b")));
    }
}
