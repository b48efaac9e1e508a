package fr1.it.faults;

import fr1.it.support.Mounts;
import fr1.it.support.Sh;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Member 1 on a real GlusterFS volume (issue 12): one brick under the test's dir, served by a glusterfsd on
 * loopback, mounted with the glusterfs FUSE client. The fault is the brick process killed (SIGKILL): the client
 * answers ENOTCONN at once (a pwrite may still be taken by its write-behind; the fsync fails). It ends with
 * {@code gluster volume start VOL force}, which starts a new brick process; the client reconnects by itself.
 *
 * <p>Each rig starts a glusterd of its own (working directory, run directory and CLI socket under the test's dir, in
 * the foreground so the test holds its pid) on a loopback address of its own, 127.87.x.y, so two test runs on one
 * machine do not meet; it is stopped at the end. Only when a glusterd of the machine's already holds port 24007 on
 * every address (it answers on 127.0.0.1, where no rig listens) that one is used, with its default CLI socket, and
 * left running. If glusterd cannot start here the test is skipped with glusterd's own words; every other step that
 * fails fails the test.
 *
 * <p>At start glusterd runs its geo-replication helper gsyncd, a Python program, some twenty times to write a
 * template nobody uses here: 15-20 s on a loaded two-core machine. So glusterd runs in a mount namespace of its own
 * ({@code unshare -m}, private propagation) where a stand-in script is bind-mounted over gsyncd (glusterd only asks
 * its version and sets options); the brick processes it starts share that namespace, which holds nothing else and
 * goes away with them. Where no mount namespace can be made, glusterd runs as it is.
 *
 * <p>Traps: gluster refuses {@code localhost} and {@code 127.0.0.1} as a brick's host, and a brick's host must be
 * this node: any other loopback address is both, and needs no {@code /etc/hosts} entry. The brick sits on the root
 * file system ({@code force}). {@code start force} while the killed brick's process still exists may find it
 * "running": {@link #awaitBrickGone} first.
 */
public final class GlusterRig implements FaultRig {

    /** glusterd's port: the brick processes fetch their volfile there (their command line names no port). */
    private static final int GLUSTERD_PORT = 24007;
    private static final Duration SHORT = Duration.ofSeconds(30);
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Pattern PID = Pattern.compile("<pid>(-?\\d+)</pid>");
    private static final Pattern STATUS = Pattern.compile("<status>(\\d+)</status>");

    private final Path dir;
    private final Path brick;
    private final Path mnt;
    private final Path socket;
    private final String volume;
    /** The brick's host, glusterd's and the bricks' listen address. */
    private String host;
    private Daemon glusterd;
    private boolean externalGlusterd;
    private Daemon client;
    private boolean created;
    private long killedPid = -1;
    private long killedAt;
    /** The brick's unix socket and log, which glusterd puts under /var/run/gluster and /var/log/glusterfs. */
    private final List<Path> brickFiles = new ArrayList<>();

    private GlusterRig(Path dir) {
        this.dir = dir;
        this.brick = dir.resolve("brick");
        this.mnt = dir.resolve("mnt");
        this.socket = dir.resolve("glusterd.socket");
        this.volume = "fr1it" + ProcessHandle.current().pid() + "x" + SEQ.incrementAndGet();
    }

    /** glusterd (if none runs), a one-brick volume started, and the FUSE client mounted. */
    public static GlusterRig start(Path base) throws IOException {
        Tools.require("glusterd", "gluster", "glusterfs", "glusterfsd", "fusermount3");
        GlusterRig r = new GlusterRig(Files.createDirectories(base.resolve("gluster-rig")));
        try {
            r.up();
        } catch (IOException | RuntimeException | Error e) { // a skip (TestAbortedException) too
            try {
                r.close();
            } catch (AssertionError | RuntimeException ce) {
                e.addSuppressed(ce);
            }
            throw e;
        }
        return r;
    }

    private void up() throws IOException {
        Files.createDirectories(brick);
        Files.createDirectories(mnt);
        startGlusterd();
        gluster("volume", "create", volume, host + ":" + brick, "force");
        created = true;
        gluster("volume", "start", volume);
        long pid = brickPid();
        if (pid <= 0) {
            throw new AssertionError("brick of " + volume + " not online after volume start:\n" + statusXml());
        }
        rememberBrickFiles(pid);
        client = Daemon.start("glusterfs", dir.resolve("client.out"), List.of(Tools.find("glusterfs"), "-N",
                "--volfile-server=" + host, "--volfile-id=" + volume, "--log-file=" + dir.resolve("client.log"),
                mnt.toString()));
        long end = System.nanoTime() + 20_000_000_000L;
        Path probe = mnt.resolve(".fr1-it-probe");
        while (true) {
            if (Mounts.isMounted(mnt)) {
                try {
                    Files.writeString(probe, "x");
                    Files.delete(probe);
                    break;
                } catch (IOException notYet) {
                    // mounted, brick not connected yet
                }
            }
            if (System.nanoTime() > end || !client.alive()) {
                throw new AssertionError("the glusterfs client did not mount " + volume + " at " + mnt + "\n"
                        + client.logTail() + "\n" + tail(dir.resolve("client.log")));
            }
            Daemon.sleep(50);
        }
    }

    private void startGlusterd() throws IOException {
        if (accepts("127.0.0.1")) {
            externalGlusterd = true; // the machine's own: used with its default CLI socket, left running
            host = "127.0.0.2";
            System.out.println("GlusterRig: a glusterd already listens on port " + GLUSTERD_PORT + "; using it");
            return;
        }
        for (int i = 0; host == null; i++) {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            String h = "127.87." + rnd.nextInt(1, 255) + "." + rnd.nextInt(1, 255);
            if (!accepts(h)) {
                host = h;
            } else if (i > 20) {
                throw new AssertionError("no free loopback address 127.87.x.y for glusterd");
            }
        }
        Path vol = dir.resolve("glusterd.vol");
        Files.writeString(vol, String.join("\n",
                "volume management",
                "    type mgmt/glusterd",
                "    option working-directory " + Files.createDirectories(dir.resolve("glusterd")),
                "    option run-directory " + Files.createDirectories(dir.resolve("run")),
                "    option glusterd-sockfile " + socket,
                "    option transport-type socket",
                "    option transport.socket.bind-address " + host,
                "    option transport.socket.listen-port " + GLUSTERD_PORT,
                "    option ping-timeout 0",
                "    option event-threads 1",
                "end-volume",
                ""), StandardCharsets.UTF_8);
        Path log = dir.resolve("glusterd.log");
        List<String> cmd = List.of(Tools.find("glusterd"), "-N", "-f", vol.toString(), "-l", log.toString());
        Path gsyncd = gsyncd();
        if (gsyncd != null && Tools.find("unshare") != null
                && Sh.attempt(SHORT, "unshare", "-m", "--propagation", "private", "true").ok()) {
            Path standIn = dir.resolve("gsyncd-stand-in");
            Files.writeString(standIn, String.join("\n",
                    "#!/bin/sh",
                    "# FaultsIT: glusterd asks gsyncd its version and sets geo-replication options; none is used here.",
                    "[ \"$1\" = --version ] && echo 'gsyncd.py (FaultsIT stand-in)'",
                    "exit 0",
                    ""), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(standIn, PosixFilePermissions.fromString("rwxr-xr-x"));
            List<String> wrapped = new ArrayList<>(List.of(Tools.find("unshare"), "-m", "--propagation", "private",
                    "sh", "-c", "mount --bind \"$1\" \"$2\" || echo 'gsyncd stand-in not mounted' >&2;"
                            + " shift 2; exec \"$@\"", "sh", standIn.toString(), gsyncd.toString()));
            wrapped.addAll(cmd);
            cmd = wrapped;
        }
        glusterd = Daemon.start("glusterd", dir.resolve("glusterd.out"), cmd);
        long end = System.nanoTime() + 45_000_000_000L; // without the stand-in, 20 s on a loaded machine
        while (true) {
            if (Files.exists(socket) && glusterAttempt("pool", "list").ok()) {
                return;
            }
            if (!glusterd.alive() || System.nanoTime() > end) {
                String why = glusterd.alive() ? "did not answer within 45 s" : "exited";
                String words = glusterd.logTail() + "\n" + errors(log);
                try {
                    glusterd.close();
                } catch (AssertionError e) {
                    words += "\n" + e.getMessage();
                }
                glusterd = null;
                String cause = firstError(log);
                Assumptions.abort("glusterd cannot start on this machine (" + why
                        + (cause == null ? "" : ": " + cause) + ")\n" + words);
            }
            Daemon.sleep(50);
        }
    }

    /** glusterd's geo-replication helper, where Debian and Fedora put it, or null. */
    private static Path gsyncd() {
        List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/libexec/glusterfs/gsyncd")));
        try (var libs = Files.newDirectoryStream(Path.of("/usr/lib"))) {
            libs.forEach(d -> candidates.add(d.resolve("glusterfs/gsyncd")));
        } catch (IOException e) {
            // no /usr/lib: only the libexec place
        }
        return candidates.stream().filter(Files::isRegularFile).findFirst().orElse(null);
    }

    private static boolean accepts(String address) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, GLUSTERD_PORT), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private List<String> cli(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Tools.find("gluster"), "--mode=script",
                "--log-file=" + dir.resolve("cli.log")));
        if (!externalGlusterd) {
            cmd.add("--glusterd-sock=" + socket);
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    private Sh.Result gluster(String... args) {
        return Sh.exec(SHORT, java.util.Map.of(), cli(args)).check();
    }

    private Sh.Result glusterAttempt(String... args) {
        return Sh.exec(SHORT, java.util.Map.of(), cli(args));
    }

    private String statusXml() {
        return glusterAttempt("volume", "status", volume, "--xml").out();
    }

    /** The running brick process's pid as glusterd reports it, or -1 if the brick is not online. */
    public long brickPid() {
        String xml = statusXml();
        Matcher p = PID.matcher(xml);
        Matcher s = STATUS.matcher(xml);
        if (!p.find() || !s.find() || !"1".equals(s.group(1))) {
            return -1;
        }
        long pid = Long.parseLong(p.group(1));
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? pid : -1;
    }

    private void rememberBrickFiles(long pid) {
        String cmd = ProcessHandle.of(pid).flatMap(h -> h.info().commandLine()).orElse("");
        Matcher m = Pattern.compile(" -S (\\S+)| -l (\\S+)").matcher(cmd);
        while (m.find()) {
            Path p = Path.of(m.group(1) != null ? m.group(1) : m.group(2));
            if (!p.startsWith(dir) && !brickFiles.contains(p)) {
                brickFiles.add(p);
            }
        }
    }

    /** SIGKILLs the brick process; returns its pid. */
    public long killBrick() {
        long pid = brickPid();
        if (pid <= 0) {
            throw new AssertionError("no brick process online to kill:\n" + statusXml());
        }
        killedPid = pid;
        killedAt = System.nanoTime();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        return pid;
    }

    /**
     * Waits until the killed brick's process is gone (or a zombie: it holds no port or file then); returns how long
     * after the kill it was seen gone.
     */
    public Duration awaitBrickGone(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (running(killedPid)) {
            if (System.nanoTime() > end) {
                throw new AssertionError("the killed brick process " + killedPid + " is still there after "
                        + timeout.toSeconds() + " s");
            }
            Daemon.sleep(20);
        }
        return Duration.ofNanos(System.nanoTime() - killedAt);
    }

    private static boolean running(long pid) {
        if (pid <= 0) {
            return false;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /** {@code gluster volume start VOL force}: a new brick process; fails unless it is online after. */
    public long startForce() {
        gluster("volume", "start", volume, "force");
        // glusterd may answer before the new brick process registered (status pid -1, port N/A): poll a while.
        long pid = brickPid();
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (pid <= 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            pid = brickPid();
        }
        if (pid <= 0) {
            throw new AssertionError("brick of " + volume + " not online after start force:\n" + statusXml());
        }
        rememberBrickFiles(pid);
        return pid;
    }

    @Override
    public Path member() {
        return mnt.resolve("m1.img");
    }

    /** The member's bytes as the brick holds them (a one-brick volume stores files as they are). */
    @Override
    public Path contents() {
        return brick.resolve("m1.img");
    }

    public String volume() {
        return volume;
    }

    @Override
    public void heal() {
        if (created && killedPid > 0 && brickPid() <= 0) {
            try {
                awaitBrickGone(Duration.ofSeconds(10));
                startForce();
            } catch (RuntimeException | AssertionError e) {
                System.err.println("[cleanup] gluster: " + e.getMessage());
            }
        }
    }

    /** Client unmounted, volume stopped and deleted, glusterd stopped if the rig started it, brick files gone. */
    @Override
    public void close() {
        List<String> problems = new ArrayList<>();
        if (!Mounts.unmount(mnt)) {
            problems.add("glusterfs still mounted at " + mnt);
        }
        if (client != null) {
            try {
                client.close();
            } catch (AssertionError e) {
                problems.add(e.getMessage());
            }
        }
        if (created) {
            long pid = brickPid();
            Sh.Result stop = glusterAttempt("volume", "stop", volume, "force");
            Sh.Result del = glusterAttempt("volume", "delete", volume);
            if (!del.ok()) {
                problems.add(stop.describe() + "\n" + del.describe());
            }
            if (pid > 0 && running(pid)) {
                System.err.println("[cleanup] brick process " + pid + " outlived volume stop: killing it");
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        if (glusterd != null) {
            try {
                glusterd.close();
            } catch (AssertionError e) {
                problems.add(e.getMessage());
            }
        }
        // Whatever glusterd started for this rig's brick (its command line names our dir), by its pid.
        String d = dir.toString();
        List<ProcessHandle> left = ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> p.info().commandLine().map(c -> c.contains(d)).orElse(false))
                .filter(p -> running(p.pid()))
                .toList();
        left.forEach(ProcessHandle::destroyForcibly);
        if (!left.isEmpty()) {
            problems.add("gluster processes left: " + left.stream().map(ProcessHandle::pid).toList());
        }
        for (Path p : brickFiles) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                problems.add("cannot remove " + p + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(String.join("; ", problems));
        }
    }

    /**
     * The first error in glusterd's log that says why it stopped, without its time stamp and source location; not the
     * ones every first start logs (files of a new working directory missing, a ulimit it may not raise).
     */
    private static String firstError(Path log) {
        try {
            return Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.contains("] E [") || l.contains("] C ["))
                    .filter(l -> !l.contains("ulimit") && !l.contains("[store.c:") && !l.contains("Dict get failed"))
                    .map(l -> l.replaceFirst("^\\[[^]]*\\] [EC] \\[[^]]*\\] [^ ]* ", "").strip())
                    .findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static String errors(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.contains("] E [") || l.contains("] C ["))
                    .toList();
            return "glusterd log " + log + ":\n  "
                    + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException e) {
            return "glusterd log " + log + " unreadable: " + e.getMessage();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return log + ":\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return log + " unreadable: " + e.getMessage();
        }
    }
}
