package fr1.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One integration test's world: a temp dir {@code /tmp/fr1-it-*} holding the member files, the fr1 mount
 * point {@code mnt}, an optional loop device on the image and an optional filesystem mounted at {@code fs}.
 * {@link #close()} takes down whatever is up, in order (fs, loop, fr1 mount, daemon, dir), whether the test
 * passed or not, and fails if something could not be taken down.
 */
public final class Rig implements AutoCloseable {

    /** Prefix of every temp dir the tests make; .ci/run clears leftovers with this prefix. */
    public static final String PREFIX = "fr1-it-";
    /** In the temp dir: the pid of the test JVM that owns it, so it/run leaves a run in progress alone. */
    public static final String OWNER_FILE = ".owner-pid";

    public final Path dir;
    public final Path mnt;
    public final Path fs;
    public final List<Path> members = new ArrayList<>();
    public final Fr1Cli cli;

    private String loop;

    private Rig(Path dir, Fr1Cli cli) {
        this.dir = dir;
        this.mnt = dir.resolve("mnt");
        this.fs = dir.resolve("fs");
        this.cli = cli;
    }

    /** Checks FUSE and loop support (failing, never skipping) and makes the temp dir. */
    public static Rig open() throws IOException {
        Mounts.requireFuseAndLoop();
        Fr1Cli cli = new Fr1Cli();
        Rig rig = new Rig(Files.createTempDirectory(PREFIX).toRealPath(), cli);
        // it/run clears leftovers of killed runs under /tmp/fr1-it-*; a dir whose owner is alive is not one.
        Files.writeString(rig.dir.resolve(OWNER_FILE), ProcessHandle.current().pid() + "\n");
        Files.createDirectories(rig.mnt);
        Files.createDirectories(rig.fs);
        return rig;
    }

    /** {@code fr1 create --size SIZE m0.img ... m(n-1).img} in the temp dir. */
    public void create(String size, int count) {
        for (int i = 0; i < count; i++) {
            members.add(dir.resolve("m" + i + ".img"));
        }
        cli.create(size, members);
    }

    /** {@code fr1 mount -o binding=B MEMBERS MNT}; checks the image is there. */
    public void mount(String binding) {
        cli.mount(binding, members, mnt);
        if (!Files.isRegularFile(image())) {
            throw new AssertionError("fr1 mount returned but " + image() + " is not there; mounts: "
                    + Mounts.under(dir));
        }
    }

    public Path image() {
        return mnt.resolve("disk.img");
    }

    /** Attaches a loop device (direct I/O) to the image and remembers it for cleanup. */
    public String attachLoop() {
        loop = Mounts.attachLoop(image());
        return loop;
    }

    public void detachLoop() {
        if (loop != null && Mounts.detachLoop(loop)) {
            loop = null;
        }
    }

    /** Processes whose command line names this rig's dir: the fr1 daemon(s) it started. */
    public List<ProcessHandle> daemons() {
        String d = dir.toString();
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self)
                .filter(p -> p.info().commandLine().map(c -> c.contains(d)).orElse(false))
                .toList();
    }

    /** Waits until no daemon of this rig is left; false on timeout. */
    public boolean awaitNoDaemon(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!daemons().isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /** SHA-256 of the first {@code length} bytes of {@code file}. */
    public static String sha256(Path file, long length) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 20];
        long left = length;
        try (InputStream in = Files.newInputStream(file)) {
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException(file + " is shorter than " + length + " bytes");
                }
                md.update(buf, 0, n);
                left -= n;
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Takes everything down: the filesystem at {@code fs} (lazily if it must), loop devices on files under the
     * dir, the fr1 mount ({@code fr1 umount}, then {@code fusermount3 -uz} / {@code umount -l}), daemons left
     * (SIGTERM, then SIGKILL), and the dir. Every step runs even when an earlier one fails.
     *
     * @throws AssertionError if a mount, loop device or daemon is still there afterwards
     */
    @Override
    public void close() throws InterruptedException {
        List<String> problems = new ArrayList<>();
        step(problems, "unmount " + fs, () -> Mounts.unmount(fs));
        step(problems, "detach loop devices", () -> {
            if (loop != null) {
                Mounts.detachLoop(loop);
                loop = null;
            }
            Mounts.loopsUnder(dir).forEach(Mounts::detachLoop);
            return Mounts.loopsUnder(dir).isEmpty();
        });
        step(problems, "fr1 umount " + mnt, () -> {
            if (Mounts.isMounted(mnt)) {
                Sh.Result r = cli.attempt(Duration.ofSeconds(60), "umount", mnt.toString());
                if (!r.ok()) {
                    System.err.println("[cleanup] " + r.describe());
                }
            }
            return Mounts.unmount(mnt);
        });
        if (!awaitNoDaemon(Duration.ofSeconds(15))) {
            for (ProcessHandle p : daemons()) {
                System.err.println("[cleanup] killing leftover daemon " + p.pid() + ": " + p.info().commandLine().orElse("?"));
                p.destroy();
            }
            if (!awaitNoDaemon(Duration.ofSeconds(10))) {
                daemons().forEach(ProcessHandle::destroyForcibly);
                if (!awaitNoDaemon(Duration.ofSeconds(10))) {
                    problems.add("daemons still running: " + daemons().stream().map(ProcessHandle::pid).toList());
                }
            }
            Mounts.unmount(mnt); // a killed daemon leaves "Transport endpoint is not connected"
        }
        List<Mounts.Mount> left = Mounts.under(dir);
        for (Mounts.Mount m : left) {
            Mounts.unmount(m.target());
        }
        left = Mounts.under(dir);
        if (!left.isEmpty()) {
            problems.add("still mounted: " + left);
        } else {
            Sh.Result rm = Sh.attempt(Duration.ofSeconds(60), "rm", "-rf", "--one-file-system", dir.toString());
            if (!rm.ok()) {
                problems.add(rm.describe());
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("cleanup of " + dir + " left: " + String.join("; ", problems));
        }
    }

    private interface Step {
        boolean run() throws Exception;
    }

    private static void step(List<String> problems, String what, Step s) {
        try {
            if (!s.run()) {
                problems.add(what + " did not succeed");
            }
        } catch (Exception | AssertionError e) {
            problems.add(what + ": " + e);
        }
    }
}
