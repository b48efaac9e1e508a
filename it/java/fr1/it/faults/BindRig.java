package fr1.it.faults;

import fr1.it.support.Mounts;
import fr1.it.support.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * Member 1's directory is a bind mount (FAULT-RIGS.md): a lazy unmount makes the path vanish (the directory under
 * it is bare: open without O_CREAT fails, with O_CREAT a stray file would appear); binding it again brings back the
 * same file.
 */
public final class BindRig implements FaultRig {

    private static final Duration SHORT = Duration.ofSeconds(20);

    private final Path source;
    private final Path dir;

    private BindRig(Path source, Path dir) {
        this.source = source;
        this.dir = dir;
    }

    public static BindRig start(Path base) throws IOException {
        BindRig r = new BindRig(Files.createDirectories(base.resolve("bind-src")),
                Files.createDirectories(base.resolve("bind")));
        r.bind();
        return r;
    }

    @Override
    public Path member() {
        return dir.resolve("m1.img");
    }

    /** The directory member 1 lives in (the mount point of the bind mount). */
    public Path dir() {
        return dir;
    }

    /** {@code umount -l}: the member's path is gone at once, open descriptors live on. */
    public void vanish() {
        Sh.run(SHORT, "umount", "-l", dir.toString());
        if (Mounts.isMounted(dir)) {
            throw new AssertionError(dir + " still mounted after umount -l");
        }
    }

    public void bind() {
        Sh.run(SHORT, "mount", "--bind", source.toString(), dir.toString());
    }

    /** What the bare directory holds while unbound (must stay empty: a probe never creates the member). */
    public List<String> bareEntries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    public boolean bound() {
        return Mounts.isMounted(dir);
    }

    @Override
    public void heal() {
        if (!bound()) {
            try {
                bind();
            } catch (RuntimeException e) {
                System.err.println("[cleanup] " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        if (!Mounts.unmount(dir)) {
            throw new AssertionError("bind mount still at " + dir);
        }
    }
}
