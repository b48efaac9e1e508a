package fr1.fuse;

import fr1.engine.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;

import static fr1.fuse.ErrnoMapper.EINVAL;
import static fr1.fuse.ErrnoMapper.EISDIR;
import static fr1.fuse.ErrnoMapper.ENOENT;
import static fr1.fuse.ErrnoMapper.ENOTDIR;
import static fr1.fuse.ErrnoMapper.ENXIO;
import static fr1.fuse.ErrnoMapper.EOPNOTSUPP;
import static fr1.fuse.ErrnoMapper.EPERM;

/**
 * The file system both bindings present, free of any binding type: a root directory (0755) holding one regular
 * file, the image, whose bytes are the {@link Volume}.
 *
 * <p>Every method returns what a FUSE callback returns: {@code >= 0} on success, a negated errno on refusal. Methods
 * that reach the volume throw instead of failing; the binding catches everything at the callback and calls
 * {@link #failed}, which logs once and maps through {@link ErrnoMapper}.
 *
 * <p><b>What is refused, and why EPERM.</b> The image's name, size, owner, mode and times are fixed by the
 * mount; only its bytes change. Every attempt to change the shape gets {@code EPERM}, the errno POSIX gives
 * for "this file system does not allow that" (mkdir, link, symlink, unlink, rename, mknod all document
 * EPERM for a file system that does not support the operation): create, mknod, mkdir, rmdir, unlink,
 * rename, link, symlink, truncate or O_TRUNC to another size, chmod, chown, utimens. A change to the value
 * already there (truncate to the current size, chmod to the current mode) succeeds, as on any file system.
 * Not EROFS: the file system is writable, and tools such as losetup would wrongly fall back to read-only.
 * Not EACCES: that speaks of permission bits, which root bypasses. Not ENOTSUP/ENOSYS: ENOSYS makes the
 * kernel stop asking and fall back (create to mknod). Access checks are the kernel's: the bindings mount
 * with {@code default_permissions}, so {@code mode}/{@code uid}/{@code gid} are enforced even with allow_other.
 *
 * <p>Thread-safe and lock-free: all fields are final and the volume is thread-safe.
 */
final class ImageFs {

    private static final Logger LOG = LoggerFactory.getLogger(ImageFs.class);

    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int ROOT_MODE = 0755;
    /** Linux's O_TRUNC (the same on x86_64 and aarch64). */
    static final int O_TRUNC = 01000;
    /** Block size statfs reports. */
    static final int BLOCK_SIZE = 4096;
    static final int NAME_MAX = 255;

    /** Receives a getattr result. */
    @FunctionalInterface
    interface AttrSink {
        void set(int mode, int nlink, int uid, int gid, long size, Instant time);
    }

    /** Receives one readdir entry; returns false if the reply buffer is full. */
    @FunctionalInterface
    interface NameSink {
        boolean add(String name);
    }

    /** Receives a statfs result. */
    @FunctionalInterface
    interface StatfsSink {
        void set(long blockSize, long blocks, long free, long nameMax);
    }

    private final Volume volume;
    private final FuseOptions options;
    private final String imagePath;
    private final long size;
    private final Instant mountTime;

    ImageFs(Volume volume, FuseOptions options, Instant mountTime) {
        this.volume = volume;
        this.options = options;
        this.imagePath = "/" + options.imageName();
        this.size = volume.size();
        this.mountTime = mountTime;
    }

    String imageName() {
        return options.imageName();
    }

    private boolean isRoot(String path) {
        return "/".equals(path);
    }

    private boolean isImage(String path) {
        return imagePath.equals(path);
    }

    int getattr(String path, AttrSink sink) {
        if (isImage(path)) {
            sink.set(S_IFREG | options.mode(), 1, options.uid(), options.gid(), size, mountTime);
            return 0;
        }
        if (isRoot(path)) {
            sink.set(S_IFDIR | ROOT_MODE, 2, options.uid(), options.gid(), 0, mountTime);
            return 0;
        }
        return -ENOENT;
    }

    int readdir(String path, NameSink sink) {
        if (isRoot(path)) {
            // All three fit in any reply buffer; a full buffer is not possible here, so the result is ignored.
            sink.add(".");
            sink.add("..");
            sink.add(options.imageName());
            return 0;
        }
        return isImage(path) ? -ENOTDIR : -ENOENT;
    }

    /** Open of the image; {@code flags} are the open(2) flags. O_TRUNC would empty the image: refused. */
    int open(String path, int flags) {
        if (isImage(path)) {
            return (flags & O_TRUNC) != 0 && size != 0 ? -EPERM : 0;
        }
        return isRoot(path) ? -EISDIR : -ENOENT;
    }

    /** Fills {@code dst} from {@code offset}; short only at the end of the image. */
    int read(String path, ByteBuffer dst, long offset) throws IOException {
        if (!isImage(path)) {
            return -ENOENT;
        }
        int total = 0;
        while (dst.hasRemaining()) {
            int n = volume.read(dst, offset + total);
            if (n <= 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /** Writes all of {@code src} at {@code offset}. */
    int write(String path, ByteBuffer src, long offset) throws IOException {
        if (!isImage(path)) {
            return -ENOENT;
        }
        int length = src.remaining();
        volume.write(src, offset);
        return length;
    }

    /**
     * FUSE flush, sent on every close of a descriptor. Writes are acknowledged only once the members have them, so
     * there is nothing to push here; durability is fsync's job (as on a disk: close does not imply fsync). Forcing
     * every member on every close cost tools that open and close the image often a sync each time.
     */
    int close(String path) {
        return isImage(path) || isRoot(path) ? 0 : -ENOENT;
    }

    /** fsync, fsyncdir: make acknowledged writes durable on the members. */
    int flush(String path) throws IOException {
        if (!isImage(path) && !isRoot(path)) {
            return -ENOENT;
        }
        volume.flush();
        return 0;
    }

    /** fallocate(2) mode bits (Linux). */
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int FALLOC_FL_ZERO_RANGE = 0x10;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    /**
     * fallocate on the image. Punch-hole (with keep-size, as Linux requires) and zero-range are discards: the range
     * reads as zeros and the members free its space (a loop device on the image passes fstrim and blkdiscard down
     * here). Allocation with keep-size succeeds and does nothing: every byte of the image exists already. Anything
     * else (allocation that would grow the image, collapse, insert, unshare) is EOPNOTSUPP. A range past the end is
     * cut at the end when the size is kept; zero-range past the end without keep-size would grow the image.
     */
    int fallocate(String path, int mode, long offset, long length) throws IOException {
        if (!isImage(path)) {
            return isRoot(path) ? -EISDIR : -ENOENT;
        }
        if (offset < 0 || length <= 0) {
            return -EINVAL;
        }
        boolean keep = (mode & FALLOC_FL_KEEP_SIZE) != 0;
        int kind = mode & ~FALLOC_FL_KEEP_SIZE;
        if (kind == 0) {
            return keep || offset + length <= size ? 0 : -EOPNOTSUPP;
        }
        if (kind != FALLOC_FL_PUNCH_HOLE && kind != FALLOC_FL_ZERO_RANGE
                || kind == FALLOC_FL_PUNCH_HOLE && !keep) {
            return -EOPNOTSUPP;
        }
        if (!keep && length > size - Math.min(offset, size)) {
            return -EOPNOTSUPP;
        }
        if (offset >= size) {
            return 0;
        }
        volume.discard(offset, Math.min(length, size - offset), kind == FALLOC_FL_ZERO_RANGE);
        return 0;
    }

    /**
     * lseek with SEEK_DATA or SEEK_HOLE (other kinds never reach a file system): the next data or hole, from the
     * members' holes. -ENXIO at or past the end, or when only a hole follows (SEEK_DATA).
     */
    long lseek(String path, long offset, int whence) throws IOException {
        if (!isImage(path)) {
            return isRoot(path) ? -EISDIR : -ENOENT;
        }
        if (offset < 0) {
            return -EINVAL;
        }
        long r = switch (whence) {
            case SEEK_DATA -> volume.seekData(offset);
            case SEEK_HOLE -> volume.seekHole(offset);
            default -> -2;
        };
        return r == -2 ? -EINVAL : r < 0 ? -ENXIO : r;
    }

    int release(String path) {
        return 0;
    }

    int truncate(String path, long newSize) {
        if (isImage(path)) {
            return newSize == size ? 0 : -EPERM;
        }
        return isRoot(path) ? -EISDIR : -ENOENT;
    }

    int chmod(String path, int mode) {
        if (isImage(path)) {
            return (mode & 07777) == options.mode() ? 0 : -EPERM;
        }
        if (isRoot(path)) {
            return (mode & 07777) == ROOT_MODE ? 0 : -EPERM;
        }
        return -ENOENT;
    }

    /** {@code -1} (as a 32-bit value) means "leave unchanged", as in chown(2). */
    int chown(String path, long uid, long gid) {
        if (!isImage(path) && !isRoot(path)) {
            return -ENOENT;
        }
        boolean sameUid = (int) uid == -1 || (int) uid == options.uid();
        boolean sameGid = (int) gid == -1 || (int) gid == options.gid();
        return sameUid && sameGid ? 0 : -EPERM;
    }

    int utimens(String path) {
        return isImage(path) || isRoot(path) ? -EPERM : -ENOENT;
    }

    /** create, mknod, mkdir, rmdir, unlink, rename, link, symlink: the namespace is fixed. */
    int changeNamespace(String op, String path) {
        LOG.debug("refused {} {}: the mount holds exactly one file", op, path);
        return -EPERM;
    }

    int statfs(StatfsSink sink) {
        sink.set(BLOCK_SIZE, size / BLOCK_SIZE, 0, NAME_MAX);
        return 0;
    }

    /**
     * The boundary: every exception a callback catches ends here, is logged once, and becomes a negated errno.
     * Never throws.
     */
    int failed(String op, String path, long offset, long length, Throwable failure) {
        int errno = ErrnoMapper.errno(failure);
        try {
            Throwable cause = ErrnoMapper.unwrap(failure);
            if (ErrnoMapper.isCallerError(failure)) {
                LOG.debug("{} {} offset {} length {} refused (errno {}): {}", op, path, offset, length, errno, cause.getMessage());
            } else if (cause instanceof IOException) {
                LOG.warn("{} {} offset {} length {} failed (errno {}): {}", op, path, offset, length, errno, fr1.engine.Reasons.withFile(cause));
            } else {
                LOG.error("{} {} offset {} length {} failed unexpectedly (errno {})", op, path, offset, length, errno, failure);
            }
        } catch (Throwable logFailure) {
            // Logging must not let anything escape a native callback either.
        }
        return -errno;
    }
}
