package fr1.control;

import fr1.engine.ArrayException;
import fr1.meta.CorruptMetadataException;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon's end of the control channel: a Unix domain socket, one request per connection.
 * <pre>
 * request:  status json | status text | fail MEMBER | remove MEMBER | add [--full] MEMBER | umount  (one line)
 * reply:    ok\n BODY              (BODY up to end of stream; empty for all but status)
 *           error CODE MESSAGE\n   (CODE: usage refused denied busy io internal; MESSAGE one line)
 * </pre>
 * One thread accepts; a small fixed pool serves. A client gets {@link #REQUEST_TIMEOUT} to send its line,
 * so a slow or silent client holds one worker at most that long; when all workers and the queue are taken,
 * new clients get {@code error busy} at once.
 */
public final class ControlServer implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_REQUEST_BYTES = 4096;
    private static final int WORKERS = 4;
    private static final int QUEUE = 16;

    private final Path socket;
    private final ServerSocketChannel listener;
    private final ControlTarget target;
    private final String mountpoint;
    private final PeerPolicy policy;
    private final Duration requestTimeout;
    private final ThreadPoolExecutor workers;
    private final Thread acceptor;
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private final AtomicBoolean closed = new AtomicBoolean();

    private ControlServer(Path socket, ServerSocketChannel listener, ControlTarget target, String mountpoint,
                          PeerPolicy policy, Duration requestTimeout) {
        this.socket = socket;
        this.listener = listener;
        this.target = target;
        this.mountpoint = mountpoint;
        this.policy = policy;
        this.requestTimeout = requestTimeout;
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(WORKERS, WORKERS, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUE), r -> {
                    Thread t = new Thread(r, "fr1-control-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.acceptor = new Thread(this::acceptLoop, "fr1-control-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds the socket (its directory must exist and be private) and starts serving.
     * A file left at {@code socket} by a dead daemon is replaced; the caller holds the mount's lock, so
     * no live daemon owns it.
     *
     * @param mountpoint shown in status
     */
    public static ControlServer start(Path socket, ControlTarget target, String mountpoint) throws IOException {
        ServerSocketChannel listener = bind(socket);
        try {
            return startOn(socket, listener, target, mountpoint, PeerPolicy.ownerOf(socket), REQUEST_TIMEOUT);
        } catch (IOException | RuntimeException e) {
            listener.close();
            Files.deleteIfExists(socket);
            throw e;
        }
    }

    /** For tests: a given peer policy and request timeout. */
    static ControlServer start(Path socket, ControlTarget target, String mountpoint, PeerPolicy policy,
                               Duration requestTimeout) throws IOException {
        return startOn(socket, bind(socket), target, mountpoint, policy, requestTimeout);
    }

    private static ControlServer startOn(Path socket, ServerSocketChannel listener, ControlTarget target,
                                         String mountpoint, PeerPolicy policy, Duration timeout) {
        ControlServer server = new ControlServer(socket, listener, target, mountpoint, policy, timeout);
        server.acceptor.start();
        return server;
    }

    private static ServerSocketChannel bind(Path socket) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            listener.bind(UnixDomainSocketAddress.of(socket));
            // The directory is 0700 already, so nobody else can reach the socket in the moment before this.
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            return listener;
        } catch (IOException e) {
            listener.close();
            throw e;
        }
    }

    public Path socket() {
        return socket;
    }

    /**
     * Stops taking connections; the socket file stays, so clients see "refused" (the daemon is going
     * away) rather than "no mount" until {@link #close()} removes it once the array is closed.
     */
    public void stopAccepting() {
        if (accepting.compareAndSet(true, false)) {
            try {
                listener.close();
            } catch (IOException e) {
                log.debug("closing the control listener", e);
            }
        }
    }

    /** Stops serving, lets running requests finish briefly, and removes the socket file. Idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopAccepting();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(2, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
            acceptor.join(2000);
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(socket);
    }

    private void acceptLoop() {
        while (accepting.get()) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (AsynchronousCloseException e) {
                return;
            } catch (IOException e) {
                if (accepting.get()) {
                    log.warn("control socket {}: accept failed: {}", socket, e.toString());
                }
                return;
            }
            try {
                workers.execute(() -> serve(ch));
            } catch (RejectedExecutionException e) {
                reply(ch, error(ErrorCode.BUSY, "the control channel is busy; try again"));
            }
        }
    }

    private void serve(SocketChannel ch) {
        UserPrincipal peer = peerOf(ch);
        if (!policy.allows(peer)) {
            log.warn("control socket {}: refused {}", socket, peer == null ? "a peer without credentials" : peer.getName());
            reply(ch, error(ErrorCode.DENIED, policy.refusal(peer)));
            return;
        }
        String response;
        try {
            String line = ChannelIo.readLine(ch, MAX_REQUEST_BYTES, ChannelIo.Deadline.after(requestTimeout));
            response = handle(line);
        } catch (IOException e) {
            // The client was too slow or went away; nothing useful can be sent.
            log.debug("control socket {}: reading a request: {}", socket, e.toString());
            close(ch);
            return;
        }
        reply(ch, response);
    }

    /** Carries out one request line; the whole reply. Exceptions become {@code error} replies here. */
    String handle(String line) {
        try {
            return "ok\n" + execute(Request.parse(line));
        } catch (ControlException e) {
            return error(e.code(), e.getMessage());
        } catch (ArrayException | CorruptMetadataException e) {
            return error(ErrorCode.REFUSED, e.getMessage());
        } catch (IOException e) {
            return error(ErrorCode.IO, e.getMessage() == null ? e.toString() : e.getMessage());
        } catch (RuntimeException e) {
            log.error("control request '{}' failed", line, e);
            return error(ErrorCode.INTERNAL, e.toString());
        }
    }

    private String execute(Request request) throws IOException {
        return switch (request) {
            case Request.Status s -> s.json() ? StatusJson.format(mountpoint, target.status()) + "\n"
                    : StatusText.format(mountpoint, target.status());
            case Request.Fail f -> {
                target.fail(f.member());
                log.info("control: set {} faulty", f.member());
                yield "";
            }
            case Request.Remove r -> {
                target.remove(r.member());
                log.info("control: removed {}", r.member());
                yield "";
            }
            case Request.Add a -> {
                target.add(a.member(), a.full());
                log.info("control: added {}{}", a.member(), a.full() ? " (full resync)" : "");
                yield "";
            }
            case Request.Umount u -> {
                log.info("control: unmount requested");
                target.unmount();
                yield "";
            }
        };
    }

    static String error(ErrorCode code, String message) {
        String oneLine = message == null ? "" : message.replaceAll("[\\r\\n]+", " ").strip();
        return "error " + code.wire() + " " + oneLine + "\n";
    }

    private static UserPrincipal peerOf(SocketChannel ch) {
        try {
            UnixDomainPrincipal p = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            return p == null ? null : p.user();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private void reply(SocketChannel ch, String response) {
        try {
            ChannelIo.writeAll(ch, ByteBuffer.wrap(response.getBytes(StandardCharsets.UTF_8)),
                    ChannelIo.Deadline.after(requestTimeout));
        } catch (IOException e) {
            log.debug("control socket {}: sending a reply: {}", socket, e.toString());
        } finally {
            close(ch);
        }
    }

    private static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // Nothing to do about a failing close of a finished connection.
        }
    }
}
