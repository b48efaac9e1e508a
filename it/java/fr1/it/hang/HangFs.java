package fr1.it.hang;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;

/**
 * A FUSE file system (jfuse, libfuse3) that shows ONE backing file as the one file of its mount point, and whose
 * every call blocks while a flag file exists: a dead NFS or SSHFS server in a box. {@code getattr} and lookup block
 * too (attribute and entry caching are off), so a {@code stat} or {@code toRealPath} of the member path hangs as it
 * does on a hung network mount. Runs as its own process, started and killed by the test:
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp CLASSPATH fr1.it.hang.HangFs BACKING MOUNTPOINT FLAG</pre>
 *
 * The file in the mount is named as the backing file. A watcher thread looks for FLAG every 20 ms; blocked calls
 * resume the moment it is gone. Writes are write-through (no writeback cache): a write blocks the writer. Logs
 * each hang and lift and the first call of each kind that blocked in it, on stdout. Ends when the mount goes away
 * (fusermount3 -u, umount -l) or on SIGTERM (blocked calls are let go, the mount is unmounted).
 */
public final class HangFs implements FuseOperations {

    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final long WATCH_MILLIS = 20;

    private final Errno errno;
    private final String name;
    private final String filePath;
    private final RandomAccessFile file;
    private final FileChannel channel;
    private final FileStore store;
    private final Path flag;
    private final Instant started = Instant.now();
    private final Object gate = new Object();
    private final CountDownLatch ended = new CountDownLatch(1);
    /** True while FLAG exists (as last seen by the watcher). */
    private volatile boolean hung;
    /** Set on shutdown: nothing blocks any more. */
    private volatile boolean released;
    /** Calls blocked in the current hang, by operation; logged once each. */
    private final Set<String> blockedOps = ConcurrentHashMap.newKeySet();
    private final AtomicLong blockedNow = new AtomicLong();

    private HangFs(Errno errno, Path backing, Path flag) throws IOException {
        this.errno = errno;
        this.name = backing.getFileName().toString();
        this.filePath = "/" + name;
        this.file = new RandomAccessFile(backing.toFile(), "rw");
        this.channel = file.getChannel();
        this.store = Files.getFileStore(backing);
        this.flag = flag;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: HangFs BACKING MOUNTPOINT FLAG");
            System.exit(2);
        }
        Path backing = Path.of(args[0]).toAbsolutePath();
        Path mountpoint = Path.of(args[1]).toAbsolutePath();
        Path flag = Path.of(args[2]).toAbsolutePath();
        if (!Files.isRegularFile(backing)) {
            System.err.println("hangfs: backing file " + backing + " does not exist");
            System.exit(2);
        }
        FuseBuilder builder = Fuse.builder();
        String lib = libfuse3();
        if (lib != null) {
            builder.setLibraryPath(lib);
        }
        HangFs fs = new HangFs(builder.errno(), backing, flag);
        fs.hung = Files.exists(flag);
        Thread.ofPlatform().daemon().name("hangfs-watch").start(fs::watch);
        Fuse fuse = builder.build(fs);
        // No attribute or entry cache: every stat and lookup reaches getattr, so it hangs while the flag is there.
        fuse.mount("hangfs", mountpoint, "-o",
                "fsname=hangfs,subtype=hangfs,attr_timeout=0,entry_timeout=0,negative_timeout=0");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fs.release();
            try {
                fuse.close();
            } catch (Exception | Error e) {
                log("close on shutdown: " + e);
            }
        }, "hangfs-shutdown"));
        log("mounted " + backing + " as " + mountpoint.resolve(fs.name) + ", hang while " + flag + " exists");
        // Until the mount is gone (unmounted from outside, or destroy): jfuse's loop thread is a daemon thread.
        while (!fs.ended.await(200, TimeUnit.MILLISECONDS)) {
            if (!mounted(mountpoint)) {
                break;
            }
        }
        log("mount gone; exiting");
        fs.release();
        try {
            fuse.close();
        } catch (Exception | Error e) {
            log("close: " + e);
        }
        System.exit(0);
    }

    private static String libfuse3() {
        for (String dir : List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/local/lib", "/usr/lib", "/lib")) {
            Path p = Path.of(dir, "libfuse3.so.3");
            if (Files.isReadable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    private static boolean mounted(Path mountpoint) {
        try {
            String want = " " + mountpoint.toString().replace("\\", "\\134").replace(" ", "\\040") + " ";
            return Files.readAllLines(Path.of("/proc/mounts")).stream().anyMatch(l -> l.contains(want));
        } catch (IOException e) {
            return true;
        }
    }

    private static void log(String s) {
        System.out.println(Instant.now() + " hangfs: " + s);
        System.out.flush();
    }

    // ------------------------------------------------------------------------------------------------ the switch

    private void watch() {
        while (!released) {
            boolean now = Files.exists(flag);
            if (now != hung) {
                synchronized (gate) {
                    hung = now;
                    gate.notifyAll();
                }
                log(now ? "HANG: every call blocks from now on" : "LIFT: " + blockedNow.get()
                        + " blocked call(s) resume");
                if (!now) {
                    blockedOps.clear();
                }
            }
            try {
                Thread.sleep(WATCH_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void release() {
        synchronized (gate) {
            released = true;
            gate.notifyAll();
        }
    }

    /** Blocks while the flag exists. */
    private void gate(String op, String path) {
        if (!hung || released) {
            return;
        }
        if (blockedOps.add(op)) {
            log("blocked: " + op + " " + path);
        }
        blockedNow.incrementAndGet();
        try {
            synchronized (gate) {
                while (hung && !released) {
                    try {
                        gate.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        } finally {
            blockedNow.decrementAndGet();
        }
    }

    // ------------------------------------------------------------------------------------------------ FUSE calls

    @Override
    public Errno errno() {
        return errno;
    }

    @Override
    public Set<Operation> supportedOperations() {
        return EnumSet.of(Operation.INIT, Operation.DESTROY, Operation.GET_ATTR, Operation.READ_DIR,
                Operation.OPEN, Operation.READ, Operation.WRITE, Operation.FLUSH, Operation.FSYNC,
                Operation.RELEASE, Operation.STATFS, Operation.TRUNCATE);
    }

    @Override
    public void init(FuseConnInfo conn, FuseConfig cfg) {
        try {
            conn.setMaxWrite(1 << 20);
            conn.setMaxReadahead(1 << 20);
            int want = conn.want()
                    | (conn.capable() & (FuseConnInfo.FUSE_CAP_ASYNC_READ | FuseConnInfo.FUSE_CAP_BIG_WRITES));
            // Writeback cache would acknowledge writes from the page cache: a hung server must block the writer.
            conn.setWant(want & ~FuseConnInfo.FUSE_CAP_WRITEBACK_CACHE);
        } catch (Throwable t) {
            log("init: " + t);
        }
    }

    @Override
    public void destroy() {
        ended.countDown();
    }

    @Override
    public int getattr(String path, Stat stat, FileInfo fi) {
        gate("getattr", path);
        try {
            if (path.equals("/")) {
                stat.setMode(S_IFDIR | 0755);
                stat.setNLink((short) 2);
                stat.setSize(0);
            } else if (path.equals(filePath)) {
                stat.setMode(S_IFREG | 0644);
                stat.setNLink((short) 1);
                stat.setSize(channel.size());
            } else {
                return -errno.enoent();
            }
            stat.aTime().set(started);
            stat.mTime().set(started);
            stat.cTime().set(started);
            return 0;
        } catch (Throwable t) {
            return failed("getattr", t);
        }
    }

    @Override
    public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        gate("readdir", path);
        if (!path.equals("/")) {
            return -errno.enotdir();
        }
        try {
            filler.fill(".");
            filler.fill("..");
            filler.fill(name);
            return 0;
        } catch (Throwable t) {
            return failed("readdir", t);
        }
    }

    @Override
    public int open(String path, FileInfo fi) {
        gate("open", path);
        return path.equals(filePath) ? 0 : -errno.enoent();
    }

    @Override
    public int read(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        gate("read", path);
        try {
            int total = 0;
            while (buf.hasRemaining()) {
                int n = channel.read(buf, offset + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        } catch (Throwable t) {
            return failed("read", t);
        }
    }

    @Override
    public int write(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        gate("write", path);
        try {
            int total = 0;
            while (buf.hasRemaining()) {
                total += channel.write(buf, offset + total);
            }
            return total;
        } catch (Throwable t) {
            return failed("write", t);
        }
    }

    @Override
    public int truncate(String path, long size, FileInfo fi) {
        gate("truncate", path);
        if (!path.equals(filePath)) {
            return -errno.enoent();
        }
        try {
            file.setLength(size);
            return 0;
        } catch (Throwable t) {
            return failed("truncate", t);
        }
    }

    @Override
    public int flush(String path, FileInfo fi) {
        gate("flush", path);
        return 0;
    }

    @Override
    public int fsync(String path, int datasync, FileInfo fi) {
        gate("fsync", path);
        try {
            channel.force(datasync == 0);
            return 0;
        } catch (Throwable t) {
            return failed("fsync", t);
        }
    }

    @Override
    public int release(String path, FileInfo fi) {
        gate("release", path);
        return 0;
    }

    @Override
    public int statfs(String path, Statvfs statvfs) {
        gate("statfs", path);
        try {
            long bs = 4096;
            statvfs.setBsize(bs);
            statvfs.setFrsize(bs);
            statvfs.setBlocks(store.getTotalSpace() / bs);
            statvfs.setBfree(store.getUnallocatedSpace() / bs);
            statvfs.setBavail(store.getUsableSpace() / bs);
            statvfs.setNameMax(255);
            return 0;
        } catch (Throwable t) {
            return failed("statfs", t);
        }
    }

    private int failed(String op, Throwable t) {
        log(op + " failed: " + t);
        return -errno.eio();
    }
}
