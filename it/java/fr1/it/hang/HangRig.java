package fr1.it.hang;

import fr1.it.faults.Daemon;
import fr1.it.faults.FaultRig;
import fr1.it.support.Mounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Member 1 on {@link HangFs}: the test's handle on the HangFs process. {@link #hang()} creates the flag file (every
 * call on the mount blocks from then on), {@link #lift()} removes it. {@link #close()} takes it down even while it
 * hangs: flag removed, {@code umount} / {@code fusermount3 -uz} / {@code umount -l}, then SIGTERM and SIGKILL.
 */
public final class HangRig implements FaultRig {

    private static final long START_NANOS = 30_000_000_000L;

    private final Path dir;
    private final Path backing;
    private final Path mnt;
    private final Path flag;
    private Daemon process;

    private HangRig(Path dir) {
        this.dir = dir;
        this.backing = dir.resolve("m1.img");
        this.mnt = dir.resolve("mnt");
        this.flag = dir.resolve("hang.flag");
    }

    /**
     * Starts HangFs under {@code base}/hang-rig on an empty backing file (fr1 create sizes it through the mount) and
     * waits until its file is visible.
     */
    public static HangRig start(Path base) throws IOException {
        HangRig r = new HangRig(Files.createDirectories(base.resolve("hang-rig")));
        Files.createFile(r.backing);
        Files.createDirectories(r.mnt);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Under failsafe java.class.path is the test class path (or a manifest-only jar naming it): jfuse is on it.
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), HangFs.class.getName(),
                r.backing.toString(), r.mnt.toString(), r.flag.toString()));
        r.process = Daemon.start("hangfs", r.dir.resolve("hangfs.log"), cmd);
        long end = System.nanoTime() + START_NANOS;
        while (!(Mounts.isMounted(r.mnt) && Files.exists(r.member()))) {
            if (System.nanoTime() > end || !r.process.alive()) {
                String why = r.process.logTail();
                r.close();
                throw new AssertionError("HangFs did not come up at " + r.mnt + "\n" + why);
            }
            sleep(50);
        }
        return r;
    }

    /** The member path as fr1 is given it: the one file in the HangFs mount. */
    @Override
    public Path member() {
        return mnt.resolve(backing.getFileName());
    }

    /** The backing file: read directly to compare, never through the (maybe hung) mount. */
    @Override
    public Path contents() {
        return backing;
    }

    /** Every call on the mount blocks from now on (within HangFs's 20 ms poll); returns System.nanoTime(). */
    public long hang() throws IOException {
        long t = System.nanoTime();
        Files.writeString(flag, "hang\n");
        return t;
    }

    /** Blocked calls resume (within 20 ms); returns System.nanoTime(). */
    public long lift() throws IOException {
        Files.deleteIfExists(flag);
        return System.nanoTime();
    }

    public String logTail() {
        return process == null ? "(hangfs not started)" : process.logTail();
    }

    @Override
    public void heal() {
        try {
            lift();
        } catch (IOException e) {
            System.err.println("[cleanup] removing " + flag + ": " + e);
        }
    }

    @Override
    public void close() {
        heal();
        List<String> problems = new ArrayList<>();
        if (!Mounts.unmount(mnt)) {
            problems.add("HangFs still mounted at " + mnt);
        }
        if (process != null) {
            try {
                process.close(); // SIGTERM (the shutdown hook lets blocked calls go and unmounts), then SIGKILL
            } catch (AssertionError e) {
                problems.add(e.getMessage());
            }
        }
        if (Mounts.isMounted(mnt) && !Mounts.unmount(mnt)) { // a killed daemon leaves a dead mount
            problems.add("HangFs still mounted at " + mnt + " after its process ended");
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(String.join("; ", problems));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
