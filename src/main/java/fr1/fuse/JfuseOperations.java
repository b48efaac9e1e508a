package fr1.fuse;

import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;
import org.cryptomator.jfuse.api.TimeSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The jfuse (libfuse3, FFM) callbacks: convert, delegate to {@link ImageFs}, and catch everything, because an
 * exception escaping an FFM upcall ends the JVM. jfuse 0.7.0 has no link or mknod callback: libfuse3 answers
 * link with ENOSYS and turns mknod of a regular file into create (EPERM).
 */
final class JfuseOperations implements FuseOperations {

    private static final Logger LOG = LoggerFactory.getLogger(JfuseOperations.class);

    /** The largest request libfuse3 can take (its buffer is 256 pages); the kernel then sends up to this much. */
    static final int MAX_REQUEST = 1 << 20;

    private static final Consumer<Stat> NO_STAT = stat -> { };

    private final ImageFs fs;
    private final Errno errno;
    private final Runnable onDestroy;

    JfuseOperations(ImageFs fs, Errno errno, Runnable onDestroy) {
        this.fs = fs;
        this.errno = errno;
        this.onDestroy = onDestroy;
    }

    @Override
    public Errno errno() {
        return errno;
    }

    @Override
    public Set<Operation> supportedOperations() {
        return EnumSet.of(Operation.INIT, Operation.DESTROY, Operation.GET_ATTR, Operation.READ_DIR,
                Operation.OPEN, Operation.READ, Operation.WRITE, Operation.FLUSH, Operation.FSYNC,
                Operation.FSYNCDIR, Operation.RELEASE, Operation.STATFS, Operation.TRUNCATE, Operation.CREATE,
                Operation.MKDIR, Operation.RMDIR, Operation.UNLINK, Operation.RENAME, Operation.SYMLINK,
                Operation.CHMOD, Operation.CHOWN, Operation.UTIMENS);
    }

    @Override
    public void init(FuseConnInfo conn, FuseConfig cfg) {
        try {
            // -o max_write is rejected by libfuse 3.14 as a mount option; here it is taken. ASYNC_DIO lets the
            // kernel keep several direct-I/O requests per file in flight; writeback cache stays off (a write is
            // acknowledged only once the volume has it).
            conn.setMaxWrite(MAX_REQUEST);
            conn.setMaxReadahead(MAX_REQUEST);
            int want = conn.want() | (conn.capable() & (FuseConnInfo.FUSE_CAP_ASYNC_DIO | FuseConnInfo.FUSE_CAP_ASYNC_READ
                    | FuseConnInfo.FUSE_CAP_BIG_WRITES));
            conn.setWant(want & ~FuseConnInfo.FUSE_CAP_WRITEBACK_CACHE);
            LOG.debug("jfuse init: proto {}.{}, max_write {}, max_read {}, max_readahead {}, want 0x{}",
                    conn.protoMajor(), conn.protoMinor(), conn.maxWrite(), conn.maxRead(), conn.maxReadahead(),
                    Integer.toHexString(conn.want()));
        } catch (Throwable t) {
            LOG.error("jfuse init failed", t);
        }
    }

    @Override
    public void destroy() {
        try {
            onDestroy.run();
        } catch (Throwable t) {
            LOG.error("jfuse destroy failed", t);
        }
    }

    @Override
    public int getattr(String path, Stat stat, FileInfo fi) {
        try {
            return fs.getattr(path, (mode, nlink, uid, gid, size, time) -> {
                stat.setMode(mode);
                stat.setNLink((short) nlink);
                stat.setUid(uid);
                stat.setGid(gid);
                stat.setSize(size);
                stat.aTime().set(time);
                stat.mTime().set(time);
                stat.cTime().set(time);
            });
        } catch (Throwable t) {
            return fs.failed("getattr", path, -1, -1, t);
        }
    }

    @Override
    public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        try {
            return fs.readdir(path, name -> filler.fill(name, NO_STAT, 0, 0) == 0);
        } catch (Throwable t) {
            return fs.failed("readdir", path, offset, -1, t);
        }
    }

    @Override
    public int open(String path, FileInfo fi) {
        try {
            return fs.open(path, fi.getFlags());
        } catch (Throwable t) {
            return fs.failed("open", path, -1, -1, t);
        }
    }

    @Override
    public int read(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        try {
            return fs.read(path, buf, offset);
        } catch (Throwable t) {
            return fs.failed("read", path, offset, size, t);
        }
    }

    @Override
    public int write(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        try {
            return fs.write(path, buf, offset);
        } catch (Throwable t) {
            return fs.failed("write", path, offset, size, t);
        }
    }

    @Override
    public int flush(String path, FileInfo fi) {
        return guard("flush", path, () -> fs.close(path));
    }

    @Override
    public int fsync(String path, int datasync, FileInfo fi) {
        return sync("fsync", path);
    }

    @Override
    public int fsyncdir(String path, int datasync, FileInfo fi) {
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
    public int release(String path, FileInfo fi) {
        return guard("release", path, () -> fs.release(path));
    }

    @Override
    public int statfs(String path, Statvfs statvfs) {
        try {
            return fs.statfs((blockSize, blocks, free, nameMax) -> {
                statvfs.setBsize(blockSize);
                statvfs.setFrsize(blockSize);
                statvfs.setBlocks(blocks);
                statvfs.setBfree(free);
                statvfs.setBavail(free);
                statvfs.setNameMax(nameMax);
            });
        } catch (Throwable t) {
            return fs.failed("statfs", path, -1, -1, t);
        }
    }

    /** Bound by {@link JfuseExtras}: jfuse 0.7.0 has the method but never registers it with libfuse3. */
    @Override
    public int fallocate(String path, int mode, long offset, long length, FileInfo fi) {
        try {
            return fs.fallocate(path, mode, offset, length);
        } catch (Throwable t) {
            return fs.failed("fallocate", path, offset, length, t);
        }
    }

    /** Bound by {@link JfuseExtras}: libfuse3's lseek, which jfuse 0.7.0 has no method for. */
    long lseek(String path, long offset, int whence) {
        try {
            return fs.lseek(path, offset, whence);
        } catch (Throwable t) {
            return fs.failed("lseek", path, offset, -1, t);
        }
    }

    @Override
    public int truncate(String path, long size, FileInfo fi) {
        return guard("truncate", path, () -> fs.truncate(path, size));
    }

    @Override
    public int chmod(String path, int mode, FileInfo fi) {
        return guard("chmod", path, () -> fs.chmod(path, mode));
    }

    @Override
    public int chown(String path, int uid, int gid, FileInfo fi) {
        return guard("chown", path, () -> fs.chown(path, uid, gid));
    }

    @Override
    public int utimens(String path, TimeSpec atime, TimeSpec mtime, FileInfo fi) {
        return guard("utimens", path, () -> fs.utimens(path));
    }

    @Override
    public int create(String path, int mode, FileInfo fi) {
        return guard("create", path, () -> fs.changeNamespace("create", path));
    }

    @Override
    public int mkdir(String path, int mode) {
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
    public int rename(String oldpath, String newpath, int flags) {
        return guard("rename", oldpath, () -> fs.changeNamespace("rename", oldpath));
    }

    @Override
    public int symlink(String target, String linkname) {
        return guard("symlink", linkname, () -> fs.changeNamespace("symlink", linkname));
    }

    /** A callback body that may throw. */
    @FunctionalInterface
    private interface Call {
        int run() throws Exception;
    }

    /** Runs a rare callback so that nothing escapes it; the hot ones (read, write, getattr) inline this. */
    private int guard(String op, String path, Call call) {
        try {
            return call.run();
        } catch (Throwable t) {
            return fs.failed(op, path, -1, -1, t);
        }
    }
}
