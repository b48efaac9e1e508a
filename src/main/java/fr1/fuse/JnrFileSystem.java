package fr1.fuse;

import jnr.ffi.Pointer;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The jnr-fuse (libfuse2) callbacks: convert, delegate to {@link ImageFs}, catch everything. Callbacks not
 * overridden here stay unbound, and libfuse2 answers them with ENOSYS (xattrs, locks, access; access is not asked
 * anyway under {@code default_permissions}). libfuse2 has no lseek callback: SEEK_DATA/SEEK_HOLE on this binding
 * see the whole image as data.
 */
final class JnrFileSystem extends FuseStubFS {

    private static final Logger LOG = LoggerFactory.getLogger(JnrFileSystem.class);

    /** libfuse2's limit per request, reached only with {@code -o big_writes}. */
    static final int MAX_REQUEST = 128 * 1024;

    /** Offset of {@code max_write} in libfuse2's {@code struct fuse_conn_info} (after three unsigned ints). */
    private static final long CONN_MAX_WRITE_OFFSET = 12;

    private final ImageFs fs;

    JnrFileSystem(ImageFs fs) {
        this.fs = fs;
    }

    /** Lets jnr-fuse's own shutdown hook skip its lazy unmount once this file system is gone. */
    void markUnmounted() {
        mounted.set(false);
    }

    /** Native memory of a request as a ByteBuffer, without copying. */
    private static ByteBuffer wrap(Pointer buf, long size) {
        return MemorySegment.ofAddress(buf.address()).reinterpret(size).asByteBuffer();
    }

    @Override
    public Pointer init(Pointer conn) {
        try {
            LOG.debug("jnr init: max_write {}", conn.getInt(CONN_MAX_WRITE_OFFSET));
        } catch (Throwable t) {
            LOG.debug("jnr init: could not read fuse_conn_info", t);
        }
        return null;
    }

    @Override
    public int getattr(String path, FileStat stat) {
        try {
            return fs.getattr(path, (mode, nlink, uid, gid, size, time) -> {
                stat.st_mode.set(mode);
                stat.st_nlink.set(nlink);
                stat.st_uid.set(uid);
                stat.st_gid.set(gid);
                stat.st_size.set(size);
                stat.st_blksize.set(ImageFs.BLOCK_SIZE);
                stat.st_blocks.set((size + 511) / 512);
                for (Timespec ts : new Timespec[] {stat.st_atim, stat.st_mtim, stat.st_ctim}) {
                    ts.tv_sec.set(time.getEpochSecond());
                    ts.tv_nsec.set(time.getNano());
                }
            });
        } catch (Throwable t) {
            return fs.failed("getattr", path, -1, -1, t);
        }
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
        try {
            return fs.readdir(path, name -> filter.apply(buf, name, null, 0) == 0);
        } catch (Throwable t) {
            return fs.failed("readdir", path, offset, -1, t);
        }
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        try {
            return fs.open(path, fi.flags.get());
        } catch (Throwable t) {
            return fs.failed("open", path, -1, -1, t);
        }
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        try {
            return fs.read(path, wrap(buf, size), offset);
        } catch (Throwable t) {
            return fs.failed("read", path, offset, size, t);
        }
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        try {
            return fs.write(path, wrap(buf, size), offset);
        } catch (Throwable t) {
            return fs.failed("write", path, offset, size, t);
        }
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return guard("flush", path, () -> fs.close(path));
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return sync("fsync", path);
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        return sync("fsyncdir", path);
    }

    private int sync(String op, String path) {
        try {
            return fs.flush(path);
        } catch (Throwable t) {
            return fs.failed(op, path, -1, -1, t);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return guard("release", path, () -> fs.release(path));
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        try {
            return fs.statfs((blockSize, blocks, free, nameMax) -> {
                stbuf.f_bsize.set(blockSize);
                stbuf.f_frsize.set(blockSize);
                stbuf.f_blocks.set(blocks);
                stbuf.f_bfree.set(free);
                stbuf.f_bavail.set(free);
                stbuf.f_files.set(2);
                stbuf.f_ffree.set(0);
                stbuf.f_favail.set(0);
                stbuf.f_namemax.set(nameMax);
            });
        } catch (Throwable t) {
            return fs.failed("statfs", path, -1, -1, t);
        }
    }

    @Override
    public int fallocate(String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
        try {
            return fs.fallocate(path, mode, off, length);
        } catch (Throwable t) {
            return fs.failed("fallocate", path, off, length, t);
        }
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return guard("truncate", path, () -> fs.truncate(path, size));
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return guard("ftruncate", path, () -> fs.truncate(path, size));
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return guard("chmod", path, () -> fs.chmod(path, (int) mode));
    }

    @Override
    public int chown(String path, @uid_t long uid, @gid_t long gid) {
        return guard("chown", path, () -> fs.chown(path, uid, gid));
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return guard("utimens", path, () -> fs.utimens(path));
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return guard("create", path, () -> fs.changeNamespace("create", path));
    }

    @Override
    public int mknod(String path, @mode_t long mode, @dev_t long rdev) {
        return guard("mknod", path, () -> fs.changeNamespace("mknod", path));
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return guard("mkdir", path, () -> fs.changeNamespace("mkdir", path));
    }

    @Override
    public int rmdir(String path) {
        return guard("rmdir", path, () -> fs.changeNamespace("rmdir", path));
    }

    @Override
    public int unlink(String path) {
        return guard("unlink", path, () -> fs.changeNamespace("unlink", path));
    }

    @Override
    public int rename(String oldpath, String newpath) {
        return guard("rename", oldpath, () -> fs.changeNamespace("rename", oldpath));
    }

    @Override
    public int link(String oldpath, String newpath) {
        return guard("link", newpath, () -> fs.changeNamespace("link", newpath));
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        return guard("symlink", newpath, () -> fs.changeNamespace("symlink", newpath));
    }

    @Override
    protected String getFSName() {
        return "fr1";
    }

    /** A callback body that may throw. */
    @FunctionalInterface
    private interface Call {
        int run() throws Exception;
    }

    /** Runs a rare callback so that nothing escapes it; the hot ones inline this. */
    private int guard(String op, String path, Call call) {
        try {
            return call.run();
        } catch (Throwable t) {
            return fs.failed(op, path, -1, -1, t);
        }
    }
}
