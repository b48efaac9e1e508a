package fr1.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Socket I/O with a deadline, on non-blocking channels and a selector, because a blocking
 * {@link SocketChannel} has no timeout. Both ends use it, so neither a slow client nor a stuck daemon can
 * hold the other past the deadline.
 */
final class ChannelIo {

    private ChannelIo() {
    }

    /** A point in time as {@link System#nanoTime()}. */
    record Deadline(long nanos) {
        static Deadline after(Duration d) {
            return new Deadline(System.nanoTime() + d.toNanos());
        }

        /** Milliseconds left, at least 1; throws once the deadline has passed. */
        long remainingMillis(String what) throws SocketTimeoutException {
            long left = nanos - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("timed out " + what);
            }
            return Math.max(1, left / 1_000_000);
        }
    }

    static void connect(SocketChannel ch, SocketAddress address, Deadline deadline) throws IOException {
        ch.configureBlocking(false);
        if (ch.connect(address)) {
            return;
        }
        try (Selector sel = Selector.open()) {
            ch.register(sel, SelectionKey.OP_CONNECT);
            while (!ch.finishConnect()) {
                sel.select(deadline.remainingMillis("connecting"));
            }
        }
    }

    /** Reads until end of stream, at most {@code max} bytes. */
    static byte[] readToEnd(SocketChannel ch, int max, Deadline deadline) throws IOException {
        ch.configureBlocking(false);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        try (Selector sel = Selector.open()) {
            ch.register(sel, SelectionKey.OP_READ);
            while (true) {
                buf.clear();
                int n;
                try {
                    n = ch.read(buf);
                } catch (IOException e) {
                    if (all.size() > 0) {
                        // A peer that closes with our data unread resets the connection after its reply.
                        return all.toByteArray();
                    }
                    throw e;
                }
                if (n < 0) {
                    return all.toByteArray();
                }
                all.write(buf.array(), 0, n);
                if (all.size() > max) {
                    throw new IOException("reply longer than " + max + " bytes");
                }
                if (n == 0) {
                    sel.select(deadline.remainingMillis("waiting for the reply"));
                }
            }
        }
    }

    static void writeAll(SocketChannel ch, ByteBuffer src, Deadline deadline) throws IOException {
        ch.configureBlocking(false);
        try (Selector sel = Selector.open()) {
            ch.register(sel, SelectionKey.OP_WRITE);
            while (src.hasRemaining()) {
                if (ch.write(src) == 0) {
                    sel.select(deadline.remainingMillis("sending"));
                }
            }
        }
    }
}
