package fr1.io;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The libc calls Java has no API for, on a descriptor of their own: {@code fallocate} (punch a hole, zero a range),
 * {@code lseek} with {@code SEEK_DATA}/{@code SEEK_HOLE}, and {@code fstat}'s allocated blocks. Linux only (the
 * offsets below are Linux's on x86_64 and aarch64); where libc cannot be linked, {@link #open} returns null and the
 * caller falls back to plain writes and "everything is data".
 *
 * <p>Thread-safe. A call in progress keeps the descriptor open: {@link #close} closes it once the last call has
 * returned (a call hung on a network file system does not let the number be reused under it).
 */
final class NativeFile implements Closeable {

    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int FALLOC_FL_ZERO_RANGE = 0x10;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    static final int ENXIO = 6;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;

    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 02000000;
    /** {@code st_blocks} (512-byte units) in Linux's {@code struct stat}, the same on x86_64 and aarch64. */
    private static final long ST_BLOCKS_OFFSET = 64;
    private static final long STAT_SIZE = 256;

    private static final Libc LIBC = Libc.link();

    private final int fd;
    /** 1 for the open reference plus one per call in progress; the descriptor is closed when it reaches 0. */
    private final AtomicInteger users = new AtomicInteger(1);
    private final AtomicBoolean closed = new AtomicBoolean();

    private NativeFile(int fd) {
        this.fd = fd;
    }

    /** True where libc's calls could be linked. */
    static boolean available() {
        return LIBC != null;
    }

    /** Opens {@code path} (read-write, or read-only), or returns null if libc is not available or open fails. */
    static NativeFile open(Path path, boolean writable) {
        if (LIBC == null) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Libc.STATE);
            int fd = (int) LIBC.open.invokeExact(state, arena.allocateFrom(path.toString()),
                    (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
            return fd < 0 ? null : new NativeFile(fd);
        } catch (Throwable t) {
            return null;
        }
    }

    /** {@code fallocate(fd, mode, offset, length)}: 0, or the errno it failed with. */
    int fallocate(int mode, long offset, long length) throws IOException {
        acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Libc.STATE);
            int r = (int) LIBC.fallocate.invokeExact(state, fd, mode, offset, length);
            return r == 0 ? 0 : errno(state);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            release();
        }
    }

    /** {@code lseek(fd, offset, whence)}: the new offset, or minus the errno it failed with. */
    long seek(long offset, int whence) throws IOException {
        acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Libc.STATE);
            long r = (long) LIBC.lseek.invokeExact(state, fd, offset, whence);
            return r >= 0 ? r : -errno(state);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            release();
        }
    }

    /** Bytes allocated to the file on its file system ({@code st_blocks * 512}), as {@code du} counts them. */
    long allocatedBytes() throws IOException {
        acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Libc.STATE);
            MemorySegment st = arena.allocate(STAT_SIZE, 8);
            int r = (int) LIBC.fstat.invokeExact(state, fd, st);
            if (r != 0) {
                throw new IOException("fstat failed (errno " + errno(state) + ")");
            }
            return st.get(ValueLayout.JAVA_LONG, ST_BLOCKS_OFFSET) * 512L;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            release();
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release();
        }
    }

    private void acquire() throws IOException {
        while (true) {
            int u = users.get();
            if (u == 0 || closed.get()) {
                throw new IOException("file is closed");
            }
            if (users.compareAndSet(u, u + 1)) {
                return;
            }
        }
    }

    private void release() {
        if (users.decrementAndGet() == 0) {
            try (Arena arena = Arena.ofConfined()) {
                int r = (int) LIBC.close.invokeExact(arena.allocate(Libc.STATE), fd);
            } catch (Throwable t) {
                // Nothing more can be done with a descriptor that does not close.
            }
        }
    }

    private static int errno(MemorySegment state) {
        return (int) Libc.ERRNO.get(state, 0L);
    }

    private static IOException rethrow(Throwable t) {
        if (t instanceof IOException io) {
            return io;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IOException("native call failed: " + t.getMessage(), t);
    }

    /** The linked functions, each capturing errno. */
    private record Libc(MethodHandle open, MethodHandle fallocate, MethodHandle lseek, MethodHandle fstat,
                        MethodHandle close) {

        static final StructLayout STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

        static Libc link() {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                ValueLayout.OfInt i = ValueLayout.JAVA_INT;
                ValueLayout.OfLong l = ValueLayout.JAVA_LONG;
                MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                        FunctionDescriptor.of(i, ValueLayout.ADDRESS, i, i), errno, Linker.Option.firstVariadicArg(2));
                MethodHandle fallocate = linker.downcallHandle(libc.find("fallocate").orElseThrow(),
                        FunctionDescriptor.of(i, i, i, l, l), errno);
                MethodHandle lseek = linker.downcallHandle(libc.find("lseek").orElseThrow(),
                        FunctionDescriptor.of(l, i, l, i), errno);
                MethodHandle fstat = linker.downcallHandle(libc.find("fstat").orElseThrow(),
                        FunctionDescriptor.of(i, i, ValueLayout.ADDRESS), errno);
                MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(i, i), errno);
                return new Libc(open, fallocate, lseek, fstat, close);
            } catch (RuntimeException | Error e) {
                return null;
            }
        }
    }
}
