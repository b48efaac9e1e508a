package fr1.it.fuse;

import fr1.engine.BeyondEndException;
import fr1.engine.Volume;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Volume} over one file with positional I/O, for adapter tests. Records the largest read and write
 * request it saw, so tests can tell whether the kernel split big requests.
 */
public final class FileVolume implements Volume, AutoCloseable {

    private final FileChannel channel;
    private final long size;
    private final AtomicInteger maxWrite = new AtomicInteger();
    private final AtomicInteger maxRead = new AtomicInteger();
    private final AtomicLong flushes = new AtomicLong();
    private final AtomicInteger readsInFlight = new AtomicInteger();
    private final AtomicInteger maxReadsInFlight = new AtomicInteger();
    private volatile long readDelayMillis;

    private FileVolume(FileChannel channel, long size) {
        this.channel = channel;
        this.size = size;
    }

    /** Creates (or reuses) {@code file} with exactly {@code size} bytes. */
    public static FileVolume create(Path file, long size) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ch.truncate(size);
        if (ch.size() < size) {
            ch.write(ByteBuffer.allocate(1), size - 1);
        }
        return new FileVolume(ch, size);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        maxRead.accumulateAndGet(dst.remaining(), Math::max);
        maxReadsInFlight.accumulateAndGet(readsInFlight.incrementAndGet(), Math::max);
        try {
            if (readDelayMillis > 0) {
                Thread.sleep(readDelayMillis);
            }
            return readAt(dst, offset);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        } finally {
            readsInFlight.decrementAndGet();
        }
    }

    private int readAt(ByteBuffer dst, long offset) throws IOException {
        if (offset >= size) {
            return 0;
        }
        int want = (int) Math.min(dst.remaining(), size - offset);
        int oldLimit = dst.limit();
        dst.limit(dst.position() + want);
        try {
            int total = 0;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, offset + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        } finally {
            dst.limit(oldLimit);
        }
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        int length = src.remaining();
        maxWrite.accumulateAndGet(length, Math::max);
        if (offset < 0 || offset + length > size) {
            throw new BeyondEndException(offset, length, size);
        }
        long pos = offset;
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
    }

    @Override
    public void flush() throws IOException {
        flushes.incrementAndGet();
        channel.force(false);
    }

    public int maxWriteSeen() {
        return maxWrite.get();
    }

    public int maxReadSeen() {
        return maxRead.get();
    }

    public long flushes() {
        return flushes.get();
    }

    /** Most reads the volume was serving at the same time: above 1 only if FUSE dispatches concurrently. */
    public int maxReadsInFlight() {
        return maxReadsInFlight.get();
    }

    /** Makes every read take at least this long, so that concurrent requests overlap visibly. */
    public void setReadDelayMillis(long millis) {
        readDelayMillis = millis;
    }

    public void resetCounters() {
        maxWrite.set(0);
        maxRead.set(0);
        flushes.set(0);
        maxReadsInFlight.set(0);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
