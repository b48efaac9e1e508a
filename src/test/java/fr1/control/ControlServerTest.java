package fr1.control;

import fr1.engine.ArrayException;
import fr1.meta.CorruptMetadataException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The protocol over a real Unix socket, against a fake target. */
class ControlServerTest {

    @TempDir
    Path dir;

    private final FakeTarget target = new FakeTarget();
    private ControlServer server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private ControlClient start() throws IOException {
        server = ControlServer.start(dir.resolve("m.sock"), target, "/mnt/x");
        return new ControlClient(server.socket(), "/mnt/x");
    }

    @Test
    void statusTextAndJson() throws Exception {
        ControlClient client = start();
        assertEquals(StatusText.format("/mnt/x", Samples.degraded()), client.call("status text"));
        assertEquals(StatusJson.format("/mnt/x", Samples.degraded()) + "\n", client.call("status json"));
        assertEquals(Samples.degraded(), client.status());
    }

    @Test
    void socketIsPrivate() throws Exception {
        start();
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(server.socket()));
    }

    @Test
    void commandsReachTheTarget() throws Exception {
        ControlClient client = start();
        assertEquals("", client.call(new Request.Fail("1")));
        assertEquals("", client.call(new Request.Remove("/nfs/b.img")));
        assertEquals("", client.call(new Request.Add("/new disk.img", true)));
        assertEquals("", client.call(new Request.Add("1", false)));
        assertEquals("", client.call(new Request.Down("1")));
        assertEquals("", client.call(new Request.Up("/nfs/b.img")));
        assertEquals("", client.call(new Request.Umount()));
        assertEquals(List.of("fail 1", "remove /nfs/b.img", "add /new disk.img full", "add 1", "down 1",
                "up /nfs/b.img", "unmount"), target.calls);
    }

    @Test
    void refusalsAndErrorsKeepTheirCode() throws Exception {
        ControlClient client = start();
        target.failure = new ArrayException("member 1 is not faulty");
        assertError(ErrorCode.REFUSED, "member 1 is not faulty", () -> client.call("remove 1"));
        target.failure = new CorruptMetadataException("bad checksum\nin slot 2");
        assertError(ErrorCode.REFUSED, "bad checksum in slot 2", () -> client.call("add 1"));
        target.failure = new IOException("Input/output error");
        assertError(ErrorCode.IO, "Input/output error", () -> client.call("fail 0"));
        target.failure = null;
        assertError(ErrorCode.USAGE, "unknown request 'frobnicate'", () -> client.call("frobnicate"));
    }

    @Test
    void bugsInTheTargetAreInternalErrorsNotCrashes() throws Exception {
        server = ControlServer.start(dir.resolve("b.sock"), new ControlTarget() {
            public fr1.engine.MirrorStatus status() {
                throw new UnsupportedOperationException("not yet");
            }
            public void fail(String m) { }
            public void remove(String m) { }
            public void add(String m, boolean f) { }
            public void down(String m) { }
            public void up(String m) { }
            public void check(boolean r, String s) { }
            public void pauseResync() { }
            public void resumeResync() { }
            public void unmount() { }
        }, "/mnt/x");
        ControlClient c2 = new ControlClient(server.socket(), "/mnt/x");
        ControlException e = assertThrows(ControlException.class, () -> c2.call("status"));
        assertEquals(ErrorCode.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("not yet"), e.getMessage());
        assertEquals("", c2.call("fail 1"), "the server still serves after a bug");
    }

    @Test
    void refusedPeerGetsAClearError() throws Exception {
        UserPrincipal owner = () -> "alice";
        UserPrincipal root = () -> "root";
        server = ControlServer.start(dir.resolve("d.sock"), target, "/mnt/x", new PeerPolicy(owner, root),
                Duration.ofSeconds(5));
        ControlClient client = new ControlClient(server.socket(), "/mnt/x");
        ControlException e = assertThrows(ControlException.class, () -> client.call("status"));
        assertEquals(ErrorCode.DENIED, e.code());
        assertTrue(e.getMessage().startsWith("permission denied: user "), e.getMessage());
        assertTrue(e.getMessage().contains("only root or its owner alice"), e.getMessage());
        assertEquals(List.of(), target.calls, "a refused peer reaches nothing");
    }

    @Test
    void missingSocketMeansNoMount() {
        ControlClient client = new ControlClient(dir.resolve("none.sock"), "/mnt/nothing");
        assertError(ErrorCode.UNREACHABLE, "no fr1 mount at /mnt/nothing", () -> client.call("status"));
    }

    @Test
    void staleSocketMeansNoMount() throws Exception {
        start();
        server.stopAccepting();
        assertTrue(Files.exists(server.socket()), "the file stays until close()");
        ControlClient client = new ControlClient(server.socket(), "/mnt/x");
        ControlException e = assertThrows(ControlException.class, () -> client.call("status"));
        assertEquals(ErrorCode.UNREACHABLE, e.code());
        assertTrue(e.getMessage().startsWith("no fr1 mount at /mnt/x"), e.getMessage());
        server.close();
        assertFalse(Files.exists(server.socket()), "close() removes the socket");
    }

    @Test
    void staleSocketFileIsReplacedOnStart() throws Exception {
        Files.writeString(dir.resolve("m.sock"), "left over");
        ControlClient client = start();
        assertEquals("", client.call("fail 0"));
    }

    @Test
    void silentClientsDoNotBlockOthers() throws Exception {
        ControlClient client = start();
        List<SocketChannel> silent = new ArrayList<>();
        try {
            // Far more silent clients than workers, each allowed the full request timeout (5 s).
            for (int i = 0; i < 20; i++) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(server.socket()));
                silent.add(ch);
            }
            String body = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> client.call("status text"));
            assertTrue(body.startsWith("fr1 /mnt/x: degraded"), body);
        } finally {
            for (SocketChannel ch : silent) {
                ch.close();
            }
        }
    }

    @Test
    void manyClientsAtOnceAreAllServed() throws Exception {
        ControlClient client = start();
        List<Thread> threads = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
        for (int i = 0; i < 12; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    client.call("status json");
                    ok.incrementAndGet();
                } catch (ControlException e) {
                    if (e.code() != ErrorCode.BUSY) {
                        throw new AssertionError(e);
                    }
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }));
        }
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (Thread t : threads) {
                t.join();
            }
        });
        assertEquals(12, ok.get());
    }

    @Test
    void slowClientIsCutOffAfterTheRequestTimeout() throws Exception {
        server = ControlServer.start(dir.resolve("t.sock"), target, "/mnt/x",
                PeerPolicy.ownerOf(dir), Duration.ofMillis(300));
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(server.socket()));
            ch.write(ByteBuffer.wrap("stat".getBytes(StandardCharsets.UTF_8)));
            ByteBuffer buf = ByteBuffer.allocate(100);
            int n = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> ch.read(buf));
            assertEquals(-1, n, "closed without a reply");
        }
        assertEquals(List.of(), target.calls);
    }

    @Test
    void overlongRequestIsRefused() throws Exception {
        ControlClient client = start();
        assertError(ErrorCode.USAGE, "request longer than 4096 bytes", () -> client.call("fail " + "x".repeat(10_000)));
        assertEquals(List.of(), target.calls);
    }

    @Test
    void requestWithoutNewlineCountsWhenTheClientClosesItsSide() throws Exception {
        start();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(server.socket()));
            ch.write(ByteBuffer.wrap("fail 3".getBytes(StandardCharsets.UTF_8)));
            ch.shutdownOutput();
            ByteBuffer buf = ByteBuffer.allocate(100);
            while (ch.read(buf) >= 0) {
                // until the server closes
            }
            assertEquals("ok\n", new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
        }
        assertEquals(List.of("fail 3"), target.calls);
    }

    @Test
    void repliesParse() throws Exception {
        assertEquals("body\n", ControlClient.parseReply("ok\nbody\n"));
        assertEquals("", ControlClient.parseReply("ok\n"));
        ControlException e = assertThrows(ControlException.class, () -> ControlClient.parseReply("error refused no way\n"));
        assertEquals(ErrorCode.REFUSED, e.code());
        assertEquals("no way", e.getMessage());
        e = assertThrows(ControlException.class, () -> ControlClient.parseReply("error weird thing\n"));
        assertEquals(ErrorCode.INTERNAL, e.code(), "unknown codes from a newer daemon");
        e = assertThrows(ControlException.class, () -> ControlClient.parseReply("HTTP/1.1 200 OK\n"));
        assertEquals(ErrorCode.INTERNAL, e.code());
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void assertError(ErrorCode code, String message, Call call) {
        ControlException e = assertThrows(ControlException.class, call::run);
        assertEquals(code, e.code(), e.getMessage());
        assertEquals(message, e.getMessage());
    }
}
