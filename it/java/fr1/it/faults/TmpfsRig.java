package fr1.it.faults;

import fr1.it.support.Mounts;
import fr1.it.support.Sh;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Member 1 on a small tmpfs (FAULT-RIGS.md): a filler file takes the rest of its space, so the member's next write
 * to a page it never held fails with ENOSPC; {@link #grow} enlarges it with {@code mount -o remount,size=}.
 */
public final class TmpfsRig implements FaultRig {

    private static final Duration SHORT = Duration.ofSeconds(20);

    private final Path mnt;
    private final Path filler;

    private TmpfsRig(Path mnt) {
        this.mnt = mnt;
        this.filler = mnt.resolve("filler");
    }

    /** Mounts a tmpfs of {@code size} (mount syntax, e.g. 64m) under {@code base}. */
    public static TmpfsRig start(Path base, String size) throws IOException {
        TmpfsRig r = new TmpfsRig(Files.createDirectories(base.resolve("small")));
        Sh.run(SHORT, "mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "fr1-it-tmpfs", r.mnt.toString());
        return r;
    }

    @Override
    public Path member() {
        return mnt.resolve("m1.img");
    }

    /** Writes a filler file until the tmpfs is full; returns its size. */
    public long fill() throws IOException {
        byte[] block = new byte[1 << 20];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
                written += block.length;
            }
        } catch (IOException e) {
            if (e.getMessage() == null || !e.getMessage().contains("No space left")) {
                throw e;
            }
        }
        return Files.size(filler);
    }

    /** {@code mount -o remount,size=SIZE}. */
    public void grow(String size) {
        Sh.run(SHORT, "mount", "-o", "remount,size=" + size, mnt.toString());
    }

    @Override
    public void heal() {
        try {
            Files.deleteIfExists(filler);
        } catch (IOException e) {
            System.err.println("[cleanup] " + e);
        }
    }

    @Override
    public void close() {
        if (!Mounts.unmount(mnt)) {
            throw new AssertionError("tmpfs still mounted at " + mnt);
        }
    }
}
