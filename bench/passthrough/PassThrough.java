import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * bench's {@code jfuse-pt} layer: a bare jfuse (libfuse3, FFM) passthrough of one file, the floor of any Java FUSE
 * mirror. A root directory holding one regular file NAME of the backing file's size, served with positional
 * FileChannel I/O on the backing file, multithreaded (jfuse's default fuse_loop_mt), max_write 1 MiB and the same
 * capability flags as fr1's jfuse adapter (src/main/java/fr1/fuse/JfuseOperations.java). Not part of fr1.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp CLASSES:fr1.jar PassThrough LIBFUSE3 BACKING MOUNTPOINT NAME</pre>
 *
 * Runs until the mountpoint is unmounted from outside ({@code fusermount3 -u}: libfuse3 does not call destroy
 * then, so a thread watches the mount table) or until SIGTERM (the shutdown hook unmounts).
 */
public final class PassThrough implements FuseOperations {

    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int MAX_REQUEST = 1 << 20;

    private final Errno errno;
    private final FileChannel channel;
    private final String path;
    private final long size;
    private final CountDownLatch ended = new CountDownLatch(1);

    private PassThrough(Errno errno, FileChannel channel, String name, long size) {
        this.errno = errno;
        this.channel = channel;
        this.path = "/" + name;
        this.size = size;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: PassThrough LIBFUSE3 BACKING MOUNTPOINT NAME");
            System.exit(2);
        }
        Path backing = Path.of(args[1]);
        Path mountpoint = Path.of(args[2]);
        FileChannel channel = FileChannel.open(backing, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FuseBuilder builder = Fuse.builder();
        builder.setLibraryPath(args[0]);
        PassThrough fs = new PassThrough(builder.errno(), channel, args[3], Files.size(backing));
        Fuse fuse = builder.build(fs);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                fuse.close();
            } catch (Exception e) {
                System.err.println("jfuse-pt: close: " + e);
            }
        }));
        // The same mount options as fr1 (FuseMounter); mount() returns once the kernel answered a first request.
        fuse.mount("jfuse-pt", mountpoint, "-o", "fsname=jfuse-pt,subtype=jfuse-pt,default_permissions");
        System.err.println("jfuse-pt: mounted " + mountpoint + "/" + args[3]);
        Thread watcher = new Thread(() -> fs.watch(mountpoint.toAbsolutePath().toString()), "mount-watcher");
        watcher.setDaemon(true);
        watcher.start();
        fs.ended.await();
        System.exit(0);
    }

    /** Counts {@link #ended} down once {@code mountpoint} is no longer in the mount table. */
    private void watch(String mountpoint) {
        try {
            while (true) {
                Thread.sleep(200);
                boolean mounted = Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                        .anyMatch(line -> line.split(" ")[1].equals(mountpoint));
                if (!mounted) {
                    break;
                }
            }
        } catch (Exception e) {
            System.err.println("jfuse-pt: watcher: " + e);
        }
        ended.countDown();
    }

    @Override
    public Errno errno() {
        return errno;
    }

    @Override
    public Set<Operation> supportedOperations() {
        return EnumSet.of(Operation.INIT, Operation.DESTROY, Operation.GET_ATTR, Operation.READ_DIR, Operation.OPEN,
                Operation.READ, Operation.WRITE, Operation.FLUSH, Operation.FSYNC, Operation.RELEASE,
                Operation.TRUNCATE);
    }

    @Override
    public void init(FuseConnInfo conn, FuseConfig cfg) {
        conn.setMaxWrite(MAX_REQUEST);
        conn.setMaxReadahead(MAX_REQUEST);
        int want = conn.want() | (conn.capable() & (FuseConnInfo.FUSE_CAP_ASYNC_DIO | FuseConnInfo.FUSE_CAP_ASYNC_READ
                | FuseConnInfo.FUSE_CAP_BIG_WRITES));
        conn.setWant(want & ~FuseConnInfo.FUSE_CAP_WRITEBACK_CACHE);
    }

    @Override
    public void destroy() {
        ended.countDown();
    }

    @Override
    public int getattr(String p, Stat stat, FileInfo fi) {
        if (path.equals(p)) {
            stat.setMode(S_IFREG | 0644);
            stat.setNLink((short) 1);
            stat.setSize(size);
            return 0;
        }
        if ("/".equals(p)) {
            stat.setMode(S_IFDIR | 0755);
            stat.setNLink((short) 2);
            return 0;
        }
        return -errno.enoent();
    }

    @Override
    public int readdir(String p, DirFiller filler, long offset, FileInfo fi, int flags) {
        if (!"/".equals(p)) {
            return -errno.enoent();
        }
        filler.fill(".", s -> { }, 0, 0);
        filler.fill("..", s -> { }, 0, 0);
        filler.fill(path.substring(1), s -> { }, 0, 0);
        return 0;
    }

    @Override
    public int open(String p, FileInfo fi) {
        return path.equals(p) ? 0 : -errno.enoent();
    }

    @Override
    public int read(String p, ByteBuffer buf, long count, long offset, FileInfo fi) {
        try {
            int total = 0;
            while (buf.hasRemaining()) {
                int n = channel.read(buf, offset + total);
                if (n <= 0) {
                    break;
                }
                total += n;
            }
            return total;
        } catch (Throwable t) {   // nothing may escape an FFM upcall
            return -errno.eio();
        }
    }

    @Override
    public int write(String p, ByteBuffer buf, long count, long offset, FileInfo fi) {
        try {
            int total = 0;
            while (buf.hasRemaining()) {
                total += channel.write(buf, offset + total);
            }
            return total;
        } catch (Throwable t) {
            return -errno.eio();
        }
    }

    @Override
    public int flush(String p, FileInfo fi) {
        return 0;
    }

    @Override
    public int fsync(String p, int datasync, FileInfo fi) {
        try {
            channel.force(false);
            return 0;
        } catch (Throwable t) {
            return -errno.eio();
        }
    }

    @Override
    public int release(String p, FileInfo fi) {
        return 0;
    }

    @Override
    public int truncate(String p, long newSize, FileInfo fi) {
        return newSize == size ? 0 : -errno.einval();
    }
}
