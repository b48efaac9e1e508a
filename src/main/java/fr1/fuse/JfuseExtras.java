package fr1.fuse;

import org.cryptomator.jfuse.api.Fuse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * The two libfuse3 callbacks jfuse 0.7.0 does not register: {@code fallocate} (its {@code FuseOperations} has the
 * method, but its Linux binding never puts it into {@code struct fuse_operations}) and {@code lseek} (libfuse
 * &ge; 3.8, no method at all). Both are written into jfuse's own {@code fuse_operations} struct before
 * {@code mount} hands it to {@code fuse_new}, as upcall stubs to {@link JfuseOperations}; jfuse itself is not
 * changed. The struct is jfuse's protected field {@code Fuse.fuseOperationsStruct} and the offsets come from jfuse's
 * generated {@code fuse_operations} class of the platform in use, both read reflectively: should either move in a
 * later jfuse, nothing is bound and the image simply has no discard and no holes (logged once).
 */
final class JfuseExtras {

    private static final Logger LOG = LoggerFactory.getLogger(JfuseExtras.class);

    private JfuseExtras() {
    }

    /**
     * Binds fallocate and lseek of {@code ops} into {@code fuse}'s struct, with stubs that live in {@code arena}
     * (close it only after the file system loop has ended). True if both were bound.
     */
    static boolean bind(Fuse fuse, JfuseOperations ops, Arena arena) {
        try {
            Field f = Fuse.class.getDeclaredField("fuseOperationsStruct");
            f.setAccessible(true);
            MemorySegment struct = (MemorySegment) f.get(fuse);
            Class<?> generated = Class.forName(fuse.getClass().getPackageName() + ".extr.fuse3.fuse_operations",
                    true, fuse.getClass().getClassLoader());
            long fallocateAt = offset(generated, "fallocate$offset");
            long lseekAt = offset(generated, "lseek$offset");
            if (lseekAt + ValueLayout.ADDRESS.byteSize() > struct.byteSize()) {
                throw new IllegalStateException("struct fuse_operations has no lseek");
            }
            Linker linker = Linker.nativeLinker();
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodHandle fallocate = lookup.findStatic(JfuseExtras.class, "fallocate", MethodType.methodType(int.class,
                    JfuseOperations.class, MemorySegment.class, int.class, long.class, long.class, MemorySegment.class))
                    .bindTo(ops);
            MethodHandle lseek = lookup.findStatic(JfuseExtras.class, "lseek", MethodType.methodType(long.class,
                    JfuseOperations.class, MemorySegment.class, long.class, int.class, MemorySegment.class))
                    .bindTo(ops);
            MemorySegment fallocateStub = linker.upcallStub(fallocate, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS), arena);
            MemorySegment lseekStub = linker.upcallStub(lseek, FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS), arena);
            struct.set(ValueLayout.ADDRESS, fallocateAt, fallocateStub);
            struct.set(ValueLayout.ADDRESS, lseekAt, lseekStub);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("this jfuse cannot be given fallocate and lseek ({}): the image has no discard and no holes",
                    e.toString());
            return false;
        }
    }

    private static long offset(Class<?> generated, String name) throws ReflectiveOperationException {
        Method m = generated.getMethod(name);
        return (long) m.invoke(null);
    }

    /** Upcall: nothing may escape it (an exception ends the JVM); JfuseOperations catches everything. */
    private static int fallocate(JfuseOperations ops, MemorySegment path, int mode, long offset, long length,
                                 MemorySegment fi) {
        try {
            return ops.fallocate(string(path), mode, offset, length, null);
        } catch (Throwable t) {
            return -ErrnoMapper.EIO;
        }
    }

    private static long lseek(JfuseOperations ops, MemorySegment path, long offset, int whence, MemorySegment fi) {
        try {
            return ops.lseek(string(path), offset, whence);
        } catch (Throwable t) {
            return -ErrnoMapper.EIO;
        }
    }

    private static String string(MemorySegment path) {
        return MemorySegment.NULL.equals(path) ? null : path.reinterpret(4096).getString(0);
    }
}
