package fr1.control;

import fr1.engine.ArrayException;
import fr1.engine.Reasons;
import fr1.meta.CorruptMetadataException;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The daemon's end of the control channel: a Unix domain socket, one request per connection.
 * <pre>
 * request:  status json | status text | status prometheus | fail MEMBER | remove MEMBER | add [--full] MEMBER | down MEMBER
 *           | up MEMBER | check | repair [MEMBER] | resync pause | resync resume | umount
 *                                                                          (one line, UTF-8, at most 4 KiB)
 * reply:    ok\n BODY              (BODY up to end of stream; empty for all but status)
 *           error CODE MESSAGE\n   (CODE: usage refused denied busy io internal; MESSAGE one line)
 * </pre>
 * One thread ({@code fr1-control-io}) accepts, checks the peer and reads request lines for all connections
 * at once with a selector; only complete requests go to a small pool of workers ({@code fr1-control-N}).
 * So a slow or silent client holds no worker: it is dropped when its {@link #REQUEST_TIMEOUT} runs out, and
 * meanwhile others are served. When the workers' queue is full, or too many connections are pending, a new
 * client gets {@code error busy} at once.
 */
public final class ControlServer implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_REQUEST_BYTES = 4096;
    private static final int WORKERS = 4;
    private static final int QUEUE = 16;
    /** Connections still sending their request; beyond this, new ones are turned away. */
    private static final int MAX_PENDING = 64;

    private final Path socket;
    private final ServerSocketChannel listener;
    private final ControlTarget target;
    private final String mountpoint;
    private final PeerPolicy policy;
    private final Duration requestTimeout;
    private final ThreadPoolExecutor workers;
    private final Selector selector;
    private final Thread acceptor;
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private final AtomicBoolean closed = new AtomicBoolean();

    private ControlServer(Path socket, ServerSocketChannel listener, ControlTarget target, String mountpoint,
                          PeerPolicy policy, Duration requestTimeout) throws IOException {
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
        this.selector = Selector.open();
        this.acceptor = new Thread(this::ioLoop, "fr1-control-io");
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
                                         String mountpoint, PeerPolicy policy, Duration timeout) throws IOException {
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
            // The I/O thread sees the flag within one select and closes the listener and pending clients.
            selector.wakeup();
            try {
                acceptor.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            close(listener);
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
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(socket);
    }

    /**
     * A connection whose request line is still coming in. The whole line is read even when it will be refused
     * (peer denied, line too long): closing a Unix socket with unread data resets the connection, and the
     * client could lose the reply that says why.
     */
    private static final class Pending {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        final long deadlineNanos;
        /** The refusal for a peer that may not control the mount, or null. */
        final String denial;
        boolean overlong;

        Pending(long deadlineNanos, String denial) {
            this.deadlineNanos = deadlineNanos;
            this.denial = denial;
        }

        /** The reply once the line is complete. */
        Supplier<String> reply(ControlServer server) {
            if (denial != null) {
                return () -> error(ErrorCode.DENIED, denial);
            }
            if (overlong) {
                return () -> error(ErrorCode.USAGE, "request longer than " + MAX_REQUEST_BYTES + " bytes");
            }
            String request = line.toString(StandardCharsets.UTF_8);
            return () -> server.handle(request);
        }
    }

    private void ioLoop() {
        ByteBuffer buf = ByteBuffer.allocate(MAX_REQUEST_BYTES + 1);
        try {
            listener.configureBlocking(false);
            listener.register(selector, SelectionKey.OP_ACCEPT);
            while (accepting.get()) {
                if (selector.selectedKeys().isEmpty()) {
                    selector.select(250);
                }
                List<Runnable> complete = new ArrayList<>();
                for (SelectionKey key : List.copyOf(selector.selectedKeys())) {
                    selector.selectedKeys().remove(key);
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept(complete);
                    } else if (key.isReadable()) {
                        read(key, buf, complete);
                    }
                }
                expire();
                if (!complete.isEmpty()) {
                    // Deregister the cancelled keys first: a channel still registered here is not really
                    // closed by the worker, and its client would wait for the end of the reply.
                    selector.selectNow();
                    complete.forEach(Runnable::run);
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            if (accepting.get()) {
                log.warn("control socket {}: stopped serving: {}", socket, Reasons.withFile(e));
            }
        } finally {
            for (SelectionKey key : selector.keys()) {
                if (key.isValid()) {
                    close(key.channel());
                }
            }
            close(selector);
        }
    }

    private void accept(List<Runnable> complete) throws IOException {
        SocketChannel ch = listener.accept();
        if (ch == null) {
            return;
        }
        if (selector.keys().size() > MAX_PENDING) {
            replyNow(ch, error(ErrorCode.BUSY, "the control channel is busy; try again"));
            return;
        }
        UserPrincipal peer = peerOf(ch);
        String denial = null;
        if (!policy.allows(peer)) {
            log.warn("control socket {}: refused {}", socket, peer == null ? "a peer without credentials" : peer.getName());
            denial = policy.refusal(peer);
        }
        ch.configureBlocking(false);
        ch.register(selector, SelectionKey.OP_READ, new Pending(System.nanoTime() + requestTimeout.toNanos(), denial));
    }

    private void read(SelectionKey key, ByteBuffer buf, List<Runnable> complete) {
        SocketChannel ch = (SocketChannel) key.channel();
        Pending p = (Pending) key.attachment();
        int n;
        buf.clear();
        try {
            n = ch.read(buf);
        } catch (IOException e) {
            key.cancel();
            close(ch);
            return;
        }
        for (int i = 0; i < Math.max(n, 0); i++) {
            if (buf.get(i) == '\n') {
                key.cancel();
                Supplier<String> reply = p.reply(this);
                complete.add(() -> dispatch(ch, reply));
                return;
            }
            if (p.line.size() < MAX_REQUEST_BYTES) {
                p.line.write(buf.get(i));
            } else {
                // Read on to the end of the line, keeping nothing, so the refusal can be delivered.
                p.overlong = true;
            }
        }
        if (n < 0) {
            key.cancel();
            if (p.line.size() == 0) {
                close(ch);
            } else {
                // A client that closed its side without a newline still meant its line.
                Supplier<String> reply = p.reply(this);
                complete.add(() -> dispatch(ch, reply));
            }
        }
    }

    /** Drops connections whose request did not arrive in time. */
    private void expire() {
        long now = System.nanoTime();
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Pending p && now - p.deadlineNanos > 0) {
                log.debug("control socket {}: dropped a client that sent no request in time", socket);
                key.cancel();
                close(key.channel());
            }
        }
    }

    /** Computes and sends the reply on a worker; if none is free, says so at once. */
    private void dispatch(SocketChannel ch, Supplier<String> reply) {
        try {
            workers.execute(() -> reply(ch, reply.get()));
        } catch (RejectedExecutionException e) {
            replyNow(ch, error(ErrorCode.BUSY, "the control channel is busy; try again"));
        }
    }

    /** One non-blocking attempt to send a short reply, from the I/O thread, which must not wait. */
    private static void replyNow(SocketChannel ch, String response) {
        try {
            ch.configureBlocking(false);
            ch.write(ByteBuffer.wrap(response.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            // The client is gone or not reading; it gets a closed connection instead.
        } finally {
            close(ch);
        }
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
            return error(ErrorCode.IO, Reasons.withFile(e));
        } catch (RuntimeException e) {
            log.error("control request '{}' failed", line, e);
            return error(ErrorCode.INTERNAL, "internal error: " + Reasons.of(e));
        }
    }

    private String execute(Request request) throws IOException {
        return switch (request) {
            case Request.Status s -> switch (s.format()) {
                case JSON -> StatusJson.format(mountpoint, target.status()) + "\n";
                case TEXT -> StatusText.format(mountpoint, target.status());
                case PROMETHEUS -> PrometheusText.format(mountpoint, target.status(), target.counters());
            };
            case Request.Fail f -> {
                target.fail(f.member());
                log.info("control: set {} faulty", f.member());
                yield "";
            }
            case Request.Down d -> {
                target.down(d.member());
                log.info("control: {} reported down", d.member());
                yield "";
            }
            case Request.Up u -> {
                target.up(u.member());
                log.info("control: {} reported up", u.member());
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
            case Request.Check c -> {
                target.check(c.repair(), c.source());
                log.info("control: {} started{}", c.repair() ? "repair" : "check",
                        c.source() == null ? "" : " from " + c.source());
                yield "";
            }
            case Request.Resync r -> {
                if (r.pause()) {
                    target.pauseResync();
                } else {
                    target.resumeResync();
                }
                log.info("control: resync {}", r.pause() ? "paused" : "resumed");
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
            log.debug("control socket {}: sending a reply: {}", socket, Reasons.withFile(e));
        } finally {
            close(ch);
        }
    }

    private static void close(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // Nothing to do about a failing close of a finished connection.
        }
    }
}
