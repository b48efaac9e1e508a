package fr1.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManPagesTest {

    @TempDir
    Path dir;

    @Test
    void aPageForFr1AndEveryCommand() throws Exception {
        List<Path> pages = ManPages.write(dir, "9.9");
        List<String> commands = List.of("create", "mount", "status", "wait", "fail", "remove", "add", "down", "up",
                "check", "repair", "resync", "umount", "mkraid", "raidstart", "raidstop", "lsraid");
        assertEquals(commands.size() + 1, pages.size(), pages.toString());
        for (String c : commands) {
            String page = Files.readString(dir.resolve("fr1-" + c + ".1"));
            assertTrue(page.contains(".TH FR1-" + c.toUpperCase() + " 1 \"\" \"fr1 9.9\" \"fr1 Manual\"\n"), page);
            for (String section : List.of(".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS",
                    ".SH EXIT STATUS", ".SH SEE ALSO")) {
                assertTrue(page.contains(section + "\n"), c + " lacks " + section);
            }
            assertTrue(page.lines().noneMatch(l -> l.startsWith(".") && !l.matches("^\\.(\\\\\"|TH|SH|TP|PP|nf|fi|B) ?.*")),
                    c + ": only known requests: " + page);
        }
        String top = Files.readString(dir.resolve("fr1.1"));
        assertTrue(top.contains(".SH COMMANDS\n"), top);
        assertTrue(top.contains("\\fBadd\\fR (raidhotadd)\n"), top);
        assertTrue(top.contains(".SH EXIT STATUS\n"), top);
        assertTrue(top.contains("check/repair \\-\\-wait: mismatches found"), top);
        assertTrue(Files.readString(dir.resolve("fr1-add.1")).contains(".SH NAME\nfr1\\-add, raidhotadd \\- "));
    }
}
