package fr1.control;

import fr1.engine.MirrorStatus;
import fr1.engine.Reasons;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The CLI's end of the control channel. Every failure is a {@link ControlException}: the daemon's
 * {@code error} replies with their code, and {@link ErrorCode#UNREACHABLE} when no daemon answers.
 */
public final class ControlClient {

    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_REPLY_BYTES = 4 << 20;

    private final Path socket;
    private final String mountpoint;
    private final Duration connectTimeout;
    private final Duration replyTimeout;

    /**
     * @param socket     the mount's control socket
     * @param mountpoint the mountpoint as the user named it, for messages
     */
    public ControlClient(Path socket, String mountpoint, Duration connectTimeout, Duration replyTimeout) {
        this.socket = socket;
        this.mountpoint = mountpoint;
        this.connectTimeout = connectTimeout;
        this.replyTimeout = replyTimeout;
    }

    public ControlClient(Path socket, String mountpoint) {
        this(socket, mountpoint, CONNECT_TIMEOUT, REPLY_TIMEOUT);
    }

    /** Sends one request; the reply body on {@code ok}. */
    public String call(Request request) throws IOException {
        return call(request.line());
    }

    /** Sends one request line; the reply body on {@code ok}. */
    public String call(String requestLine) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            throw unreachable("no fr1 mount at " + mountpoint);
        }
        String reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ChannelIo.connect(ch, UnixDomainSocketAddress.of(socket), ChannelIo.Deadline.after(connectTimeout));
            ChannelIo.Deadline deadline = ChannelIo.Deadline.after(replyTimeout);
            ChannelIo.writeAll(ch, ByteBuffer.wrap((requestLine + "\n").getBytes(StandardCharsets.UTF_8)), deadline);
            ch.shutdownOutput();
            reply = new String(ChannelIo.readToEnd(ch, MAX_REPLY_BYTES, deadline), StandardCharsets.UTF_8);
        } catch (ConnectException e) {
            // The socket file is there but nobody listens: the daemon died, or is closing the array.
            throw unreachable("no fr1 mount at " + mountpoint + " (its daemon is gone or shutting down)");
        } catch (AccessDeniedException e) {
            throw unreachable("permission denied on the control socket of " + mountpoint
                    + " (only root or the mount's owner may control it)");
        } catch (SocketTimeoutException e) {
            throw unreachable("the fr1 mount at " + mountpoint + " did not answer (" + Reasons.of(e) + ")");
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("Permission denied")) {
                throw unreachable("permission denied on the control socket of " + mountpoint
                        + " (only root or the mount's owner may control it)");
            }
            throw unreachable("cannot talk to the fr1 mount at " + mountpoint + ": " + Reasons.of(e));
        }
        return parseReply(reply);
    }

    /** The array's status, read back from its JSON. */
    public MirrorStatus status() throws IOException {
        String body = call(new Request.Status(true));
        try {
            return StatusJson.parse(body.strip());
        } catch (IllegalArgumentException e) {
            throw new ControlException(ErrorCode.INTERNAL, "unreadable status from " + mountpoint + ": " + e.getMessage());
        }
    }

    /** {@code ok\n<body>} gives the body; {@code error <code> <message>} throws. */
    static String parseReply(String reply) throws ControlException {
        if (reply.startsWith("ok\n")) {
            return reply.substring(3);
        }
        if (reply.equals("ok")) {
            return "";
        }
        if (reply.startsWith("error ")) {
            String rest = reply.substring(6).strip();
            int space = rest.indexOf(' ');
            String code = space < 0 ? rest : rest.substring(0, space);
            String message = space < 0 ? "" : rest.substring(space + 1);
            throw new ControlException(ErrorCode.ofWire(code), message);
        }
        if (reply.isEmpty()) {
            throw new ControlException(ErrorCode.UNREACHABLE, "the fr1 mount closed the connection without a reply");
        }
        throw new ControlException(ErrorCode.INTERNAL, "unexpected reply from the fr1 mount: "
                + reply.lines().findFirst().orElse(""));
    }

    private static ControlException unreachable(String message) {
        return new ControlException(ErrorCode.UNREACHABLE, message);
    }
}
