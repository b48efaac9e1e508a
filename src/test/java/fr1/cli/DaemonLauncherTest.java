package fr1.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class DaemonLauncherTest {

    @Test
    void childRunsTheSameJvmWithItsFlagsInANewSession() {
        List<String> cmd = DaemonLauncher.childCommand("/jdk/bin/java",
                List.of("--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-agentlib:jdwp=transport=dt_socket,server=y",
                        "-Dfr1.x=1"),
                "/opt/fr1/fr1.jar", "/usr/bin/setsid",
                List.of("mount", "-f", "-o", "allow_other", "--", "/a.img", "/b.img", "/mnt/x"));
        assertEquals(List.of("/usr/bin/setsid", "/jdk/bin/java", "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-Dfr1.x=1", "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ",
                "-cp", "/opt/fr1/fr1.jar", "fr1.cli.Main",
                "mount", "-f", "-o", "allow_other", "--", "/a.img", "/b.img", "/mnt/x"), cmd);
    }

    @Test
    void relativeClassPathBecomesAbsoluteBecauseTheDaemonRunsInRoot() {
        List<String> cmd = DaemonLauncher.childCommand("java", List.of("-Dorg.slf4j.simpleLogger.showDateTime=false"),
                "target/fr1.jar:lib/x.jar", null, List.of("mount"));
        String cwd = Path.of("").toAbsolutePath().toString();
        assertEquals(List.of("java", "-Dorg.slf4j.simpleLogger.showDateTime=false", "-cp", cwd + "/target/fr1.jar:" + cwd + "/lib/x.jar", "fr1.cli.Main", "mount"), cmd);
    }

    @Test
    void lastErrorLineIsTakenFromThisRunOnly(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("x.log");
        Files.writeString(log, "fr1: an old error\n");
        long start = Files.size(log);
        Files.writeString(log, "[main] INFO opening\nfr1: first\n[main] WARN x\nfr1: /nfs/b.img: no such file or directory\n",
                java.nio.file.StandardOpenOption.APPEND);
        assertEquals("fr1: /nfs/b.img: no such file or directory", DaemonLauncher.lastErrorLine(log, start));
        assertNull(DaemonLauncher.lastErrorLine(log, Files.size(log)));
    }
}
