package fr1.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A member on a path: a regular file (local, NFS, SSHFS, a single-file FUSE mount such as nbdfuse) or a block
 * device. Never creates the path: a missing member is an error, not a new empty file.
 */
public final class FileStorage implements Storage {

    private final Path path;
    private final FileChannel channel;
    private final boolean blockDevice;
    private final boolean local;
    /** A descriptor of our own for fallocate and lseek; null where libc could not be linked or open failed. */
    private final NativeFile nat;
    /** The file system said it cannot punch holes (or zero ranges): zeros are written instead from now on. */
    private volatile boolean noPunch;
    private volatile boolean noZeroRange;
    /** The file system cannot say where its holes are: every byte is data. */
    private volatile boolean noSeek;
    /**
     * Opened with O_DIRECT on first use by {@link #writeBulk} for a member that is not local; {@link #NO_DIRECT}
     * once the file system refused it (then bulk writes are plain writes).
     */
    private volatile FileChannel direct;
    private volatile boolean directRefused;
    /** O_DIRECT buffer, offset and length alignment: a page, enough for every file system seen here. */
    static final int DIRECT_ALIGN = 4096;

    /** File systems whose calls do not wait on a network or another process. */
    private static final java.util.Set<String> LOCAL = java.util.Set.of("ext2", "ext3", "ext4", "xfs", "btrfs",
            "tmpfs", "f2fs", "zfs", "jfs", "vfat", "exfat", "bcachefs");

    private FileStorage(Path path, FileChannel channel, boolean blockDevice, boolean local, NativeFile nat) {
        this.path = path;
        this.channel = channel;
        this.blockDevice = blockDevice;
        this.local = local;
        this.nat = nat;
    }

    /** Opens an existing path for reading and writing. */
    public static FileStorage open(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such file");
        }
        boolean block = isBlockDevice(path);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new FileStorage(path, ch, block, isLocal(path, block), NativeFile.open(path, true));
    }

    /** As {@link #open}, taken as a member that is not local (tests: the O_DIRECT bulk path on a local disk). */
    static FileStorage openRemote(Path path) throws IOException {
        FileStorage s = open(path);
        return new FileStorage(path, s.channel, s.blockDevice, false, s.nat);
    }

    /** A regular file on a local disk file system; block devices other than nbd (whose server may be away). */
    private static boolean isLocal(Path path, boolean block) {
        try {
            if (block) {
                String name = path.toRealPath().getFileName().toString();
                return !name.startsWith("nbd");
            }
            return LOCAL.contains(Files.getFileStore(path).type());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public boolean local() {
        return local;
    }

    private static boolean isBlockDevice(Path path) {
        try {
            Object mode = Files.getAttribute(path, "unix:mode");
            return mode instanceof Integer m && (m & 0170000) == 0060000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return channel.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        return channel.write(src, position);
    }

    /**
     * A member that is slow per call (FUSE, NFS, nbd) takes a large aligned copy with O_DIRECT: the kernel sends
     * the pieces of one O_DIRECT write to FUSE in parallel (async_dio) where a plain write sends them one after the
     * other, so a 4 MiB copy to a member with 20 ms per call costs about one call instead of four or more. O_DIRECT
     * writes invalidate the cached pages they cover, so plain reads through the other descriptor stay right.
     * Local members, unaligned copies and file systems that refuse O_DIRECT take the plain path.
     */
    @Override
    public void writeBulk(ByteBuffer src, long position) throws IOException {
        FileChannel d = local || directRefused || !aligned(src, position) ? null : direct();
        if (d == null) {
            writeFully(src, position);
            return;
        }
        long pos = position;
        while (src.hasRemaining()) {
            int n = d.write(src, pos);
            if (n <= 0) {
                throw new IOException("short write at offset " + pos + " (" + src.remaining() + " bytes not written)");
            }
            pos += n;
        }
    }

    /** True once a bulk write went through O_DIRECT (tests). */
    boolean directInUse() {
        return direct != null;
    }

    private static boolean aligned(ByteBuffer src, long position) {
        return src.isDirect() && position % DIRECT_ALIGN == 0 && src.remaining() % DIRECT_ALIGN == 0
                && src.alignmentOffset(src.position(), DIRECT_ALIGN) == 0;
    }

    private FileChannel direct() {
        FileChannel d = direct;
        if (d != null) {
            return d;
        }
        synchronized (this) {
            if (direct == null && !directRefused) {
                try {
                    // Java checks O_DIRECT alignment against the file store's block size: NFS reports its wsize
                    // (say 1 MiB), which runs need not be aligned to. Only where a page is enough.
                    long bs = Files.getFileStore(path).getBlockSize();
                    if (bs <= 0 || DIRECT_ALIGN % bs != 0) {
                        directRefused = true;
                        return null;
                    }
                    direct = FileChannel.open(path, StandardOpenOption.WRITE,
                            com.sun.nio.file.ExtendedOpenOption.DIRECT);
                } catch (IOException | UnsupportedOperationException e) {
                    directRefused = true;
                }
            }
            return direct;
        }
    }

    @Override
    public void force() throws IOException {
        channel.force(false);
    }

    /**
     * Punches a hole (fallocate PUNCH_HOLE|KEEP_SIZE); where the file system cannot, writes zeros. A range that a
     * block device refuses for its alignment has its unaligned ends written as zeros and the rest punched.
     */
    @Override
    public void punchHole(long position, long length) throws IOException {
        if (length > 0 && !allocate(NativeFile.FALLOC_FL_PUNCH_HOLE | NativeFile.FALLOC_FL_KEEP_SIZE, position,
                length, true)) {
            Storage.writeZeros(this, position, length);
        }
    }

    /** Zeroes a range (fallocate ZERO_RANGE|KEEP_SIZE); else punches a hole; else writes zeros. */
    @Override
    public void zeroRange(long position, long length) throws IOException {
        if (length > 0 && !allocate(NativeFile.FALLOC_FL_ZERO_RANGE | NativeFile.FALLOC_FL_KEEP_SIZE, position,
                length, false)) {
            punchHole(position, length);
        }
    }

    /** True if fallocate did it; false if the file system cannot (remembered); an I/O error throws. */
    private boolean allocate(int mode, long position, long length, boolean punch) throws IOException {
        if (nat == null || (punch ? noPunch : noZeroRange)) {
            return false;
        }
        int errno = nat.fallocate(mode, position, length);
        if (errno == NativeFile.EINVAL && blockDevice) {
            long a = (position + 4095) & ~4095L;
            long b = (position + length) & ~4095L;
            if (a >= b) {
                return false;
            }
            errno = nat.fallocate(mode, a, b - a);
            if (errno == 0) {
                Storage.writeZeros(this, position, a - position);
                Storage.writeZeros(this, b, position + length - b);
                return true;
            }
        }
        if (errno == 0) {
            return true;
        }
        if (errno == NativeFile.EOPNOTSUPP || errno == NativeFile.ENOSYS || errno == NativeFile.EINVAL) {
            if (punch) {
                noPunch = true;
            } else {
                noZeroRange = true;
            }
            return false;
        }
        throw new IOException(path + ": fallocate failed at offset " + position + " (" + Errno.describe(errno) + ")");
    }

    @Override
    public long seekData(long position) throws IOException {
        if (nat == null || noSeek || blockDevice) {
            return position;
        }
        long r = nat.seek(position, NativeFile.SEEK_DATA);
        if (r >= 0) {
            return r;
        }
        if (r == -NativeFile.ENXIO) {
            return -1;
        }
        if (r == -NativeFile.EINVAL || r == -NativeFile.EOPNOTSUPP) {
            noSeek = true;
            return position;
        }
        throw new IOException(path + ": seek to data failed at offset " + position + " (" + Errno.describe((int) -r)
                + ")");
    }

    @Override
    public long seekHole(long position) throws IOException {
        if (nat == null || noSeek || blockDevice) {
            return Long.MAX_VALUE;
        }
        long r = nat.seek(position, NativeFile.SEEK_HOLE);
        if (r >= 0) {
            return r;
        }
        if (r == -NativeFile.ENXIO) {
            return position;
        }
        if (r == -NativeFile.EINVAL || r == -NativeFile.EOPNOTSUPP) {
            noSeek = true;
            return Long.MAX_VALUE;
        }
        throw new IOException(path + ": seek to a hole failed at offset " + position + " ("
                + Errno.describe((int) -r) + ")");
    }

    @Override
    public long allocatedBytes() throws IOException {
        return nat == null || blockDevice ? -1 : nat.allocatedBytes();
    }

    @Override
    public long capacity() throws IOException {
        if (blockDevice) {
            return blockDeviceSize(path);
        }
        return channel.size();
    }

    /**
     * The capacity of an existing path without opening it: a regular file's length, a block device's size.
     *
     * @throws IOException if the path is missing, or neither a regular file nor a block device
     */
    public static long capacityOf(Path path) throws IOException {
        if (isBlockDevice(path)) {
            return blockDeviceSize(path);
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString());
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + " is not a regular file or block device");
        }
        return Files.size(path);
    }

    /** FileChannel.size() is 0 for a block device; sysfs has its size in 512-byte sectors (partitions too). */
    private static long blockDeviceSize(Path path) throws IOException {
        Path real = path.toRealPath();
        Path sys = Path.of("/sys/class/block", real.getFileName().toString(), "size");
        try {
            return Long.parseLong(Files.readString(sys).trim()) * 512L;
        } catch (NumberFormatException e) {
            throw new IOException(sys + ": not a size (" + e.getMessage() + ")");
        }
    }

    @Override
    public void close() throws IOException {
        if (nat != null) {
            nat.close();
        }
        FileChannel d = direct;
        if (d != null) {
            d.close();
        }
        channel.close();
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
