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

    /** File systems whose calls do not wait on a network or another process. */
    private static final java.util.Set<String> LOCAL = java.util.Set.of("ext2", "ext3", "ext4", "xfs", "btrfs",
            "tmpfs", "f2fs", "zfs", "jfs", "vfat", "exfat", "bcachefs");

    private FileStorage(Path path, FileChannel channel, boolean blockDevice, boolean local) {
        this.path = path;
        this.channel = channel;
        this.blockDevice = blockDevice;
        this.local = local;
    }

    /** Opens an existing path for reading and writing. */
    public static FileStorage open(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such file");
        }
        boolean block = isBlockDevice(path);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new FileStorage(path, ch, block, isLocal(path, block));
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

    @Override
    public void force() throws IOException {
        channel.force(false);
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
        channel.close();
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
