package fr1.cli;

import fr1.control.ControlPaths;
import fr1.control.ControlServer;
import fr1.control.FakeTarget;
import fr1.control.StatusJson;
import fr1.control.StatusText;
import fr1.engine.Mirror;
import fr1.engine.MirrorOptions;
import fr1.engine.MirrorStatus;
import fr1.engine.Reasons;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.EOFException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Messages a person reads carry no Java class name and no "null": every error path the command line, the control
 * channel and the engine's reasons can be driven through here, each message checked against both.
 */
class MessagesTest {

    /** A Java class name as a message would show it: {@code NoSuchFileException}, {@code java.lang.Error}. */
    static final Pattern CLASS_NAME = Pattern.compile("[A-Z][a-zA-Z]+(Exception|Error)\\b");
    static final Pattern NULL = Pattern.compile("\\bnull\\b");

    @TempDir
    Path dir;

    private ControlPaths paths;
    private Path mnt;
    private ControlServer server;
    private final FakeTarget target = new FakeTarget();
    private final List<String> seen = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        paths = new ControlPaths(dir.resolve("run"));
        mnt = Files.createDirectory(dir.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** Runs fr1 in this JVM; its stderr and stdout are checked and remembered. */
    private String fr1(String... args) {
        CommandLine cmd = Fr1Command.commandLine(paths);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        cmd.execute(args);
        String all = err + out.toString();
        assertClean(String.join(" ", args), all);
        return all;
    }

    private void assertClean(String what, String message) {
        seen.add(message);
        assertFalse(CLASS_NAME.matcher(message).find(), what + ": a class name in: " + message);
        assertFalse(NULL.matcher(message).find(), what + ": 'null' in: " + message);
    }

    /** The exceptions a member's file system, the JDK or fr1 itself throw, as plainly and as wrapped as they come. */
    static List<Throwable> failures() {
        return List.of(new NoSuchFileException("/data/a.img"),
                new NoSuchFileException("/data/a.img", null, "no such file"),
                new AccessDeniedException("/dev/sdb"),
                new FileSystemException("/nfs/b.img", null, "Stale file handle"),
                new FileSystemException("/nfs/b.img"),
                new IOException(),
                new IOException("Input/output error"),
                new IOException(new NoSuchFileException("/x")),
                new IOException("wrapped", new IllegalStateException()),
                new UncheckedIOException(new AccessDeniedException("/y")),
                new ExecutionException(new IOException("Transport endpoint is not connected")),
                new CompletionException(new ClosedChannelException()),
                new EOFException(),
                new SocketTimeoutException(),
                new TimeoutException(),
                new InterruptedException(),
                new IllegalStateException(),
                new NullPointerException(),
                new RuntimeException(new java.io.FileNotFoundException("/z (No such file or directory)")),
                new IOException("java.nio.file.NoSuchFileException: /q"));
    }

    @Test
    void reasonsNameNoClass() {
        for (Throwable t : failures()) {
            assertClean("of " + t, Reasons.of(t));
            assertClean("withFile " + t, Reasons.withFile(t));
            assertClean("ExitCodes " + t, ExitCodes.message(t));
        }
        assertEquals("No such file or directory", Reasons.of(new NoSuchFileException("nope", null, "no such file")));
        assertEquals("/data/a.img: No such file or directory", Reasons.withFile(new NoSuchFileException("/data/a.img")));
        assertEquals("Stale file handle", Reasons.of(new FileSystemException("/nfs/b.img", null, "Stale file handle")));
        assertEquals("/q", Reasons.of(new IOException("java.nio.file.NoSuchFileException: /q")));
    }

    @Test
    void controlChannelErrorsNameNoClass() throws IOException {
        paths.ensureRunDir();
        server = ControlServer.start(paths.forMountpoint(mnt).socket(), target, mnt.toString());
        for (Throwable t : failures()) {
            if (t instanceof IOException io) {
                target.failure = io;
                for (String[] args : List.of(new String[] {"status", mnt.toString()},
                        new String[] {"fail", mnt.toString(), "1"}, new String[] {"add", mnt.toString(), "/data/c"},
                        new String[] {"check", mnt.toString()}, new String[] {"lsraid", mnt.toString()})) {
                    String shown = fr1(args);
                    assertTrue(shown.startsWith("fr1: "), shown);
                }
            }
        }
    }

    @Test
    void commandLineErrorsNameNoClass() throws Exception {
        Path a = dir.resolve("a.img");
        Path b = dir.resolve("b.img");
        fr1("mount", "-f", a.toString(), dir.resolve("nope").toString(), mnt.toString());
        assertEquals("fr1: cannot open member " + a + ": No such file or directory\n",
                fr1("mount", "-f", a.toString(), dir.resolve("nope").toString(), mnt.toString()));
        fr1("create", "--size", "1M", a.toString(), b.toString());
        String missing = fr1("mount", "-f", a.toString(), dir.resolve("nope").toString(), mnt.toString());
        assertEquals("fr1: cannot open member " + dir.resolve("nope") + ": No such file or directory\n", missing);
        fr1("mount", "-f", a.toString(), b.toString(), dir.resolve("no-such-dir").toString());
        fr1("mount", "-f", a.toString(), a.toString(), mnt.toString());
        fr1("mount", "-f", dir.toString(), mnt.toString());
        fr1("create", "--size", "1M", a.toString(), b.toString());
        fr1("create", a.toString(), dir.resolve("c.img").toString());
        fr1("create", "--size", "1M", dir.resolve("no/dir/a.img").toString(), b.toString());
        fr1("create", "--size", "3K", a.toString(), b.toString());
        fr1("create", "--from", dir.resolve("missing.img").toString(), b.toString());
        fr1("status", mnt.toString());
        fr1("status", dir.resolve("nowhere").toString());
        fr1("umount", mnt.toString());
        fr1("wait", mnt.toString());
        fr1("mkraid", "--config", dir.resolve("no.raidtab").toString(), "md0");
        Files.writeString(dir.resolve("bad.raidtab"), "raiddev /dev/md0\nraid-level 5\n");
        fr1("mkraid", "--config", dir.resolve("bad.raidtab").toString(), "md0");
        fr1("raidstart", "--config", dir.resolve("bad.raidtab").toString(), "md0");
        fr1("mount", "-o", "bogus=1", a.toString(), b.toString(), mnt.toString());
        fr1("create", "--size", "1Q", a.toString(), b.toString());
        assertTrue(seen.stream().allMatch(s -> s.startsWith("fr1: ")), seen.toString());
    }

    @Test
    void aMemberMissingAtAssemblyShowsItsLastKnownPath() throws Exception {
        Path a = dir.resolve("a.img");
        Path b = dir.resolve("b.img");
        fr1("create", "--size", "1M", a.toString(), b.toString());
        try (Mirror m = Mirror.open(List.of(b), MirrorOptions.defaults())) {
            MirrorStatus s = m.status();
            assertEquals(a.toString(), s.members().get(0).path());
            assertEquals("faulty", s.members().get(0).state());
            String text = StatusText.format(mnt.toString(), s);
            assertTrue(text.contains("[0] " + a + " faulty (not present at assembly)"), text);
            assertClean("status", text);
            String json = StatusJson.format(mnt.toString(), s);
            assertFalse(CLASS_NAME.matcher(json).find(), json);
            assertTrue(json.contains("\"path\":\"" + a + "\""), json); // JSON's null is a value: not checked
        }
        // The degraded mount wrote the table again (events up): the path is still known from b's metadata.
        try (Mirror m = Mirror.open(List.of(b), MirrorOptions.defaults())) {
            assertEquals(a.toString(), m.status().members().get(0).path());
        }
    }
}
