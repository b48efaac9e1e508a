package fr1.it.faults;

import fr1.it.support.Mounts;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Member 1 on a network block device: nbdkit serving a sparse file through its {@code error} and {@code pause}
 * filters, shown as the single file {@code nbd} by nbdfuse (FAULT-RIGS.md). Errors start and stop with a trigger
 * file; {@link #pause()} makes every request hang until {@link #resume()}.
 */
public final class NbdRig implements FaultRig {

    /** What the error trigger injects. */
    public enum Kind {
        /** Every request fails with EIO (a dead disk or server). */
        EIO,
        /** Writes and zeroing fail with ENOSPC, reads work (a full thin pool or quota). */
        ENOSPC
    }

    private final Path dir;
    private final Path mnt;
    private final Path trigger;
    private final Path ctl;
    private Daemon nbdfuse;
    private boolean paused;

    private NbdRig(Path dir) {
        this.dir = dir;
        this.mnt = dir.resolve("nbd");
        this.trigger = dir.resolve("trigger");
        this.ctl = dir.resolve("ctl");
    }

    /** Starts nbdfuse + nbdkit on a sparse backing file of {@code exportSize} bytes under {@code base}. */
    public static NbdRig start(Path base, long exportSize, Kind kind) throws IOException {
        return start(base, exportSize, kind, null);
    }

    /**
     * As {@link #start(Path, long, Kind)}, every write delayed by {@code delayWrite} (nbdkit's delay filter, e.g.
     * "20ms"): a member far away, slow per call.
     */
    public static NbdRig start(Path base, long exportSize, Kind kind, String delayWrite) throws IOException {
        Tools.require("nbdkit", "nbdfuse", "fusermount3");
        NbdRig r = new NbdRig(Files.createDirectories(base.resolve("nbd-rig")));
        Path back = r.dir.resolve("back.img");
        try (RandomAccessFile f = new RandomAccessFile(back.toFile(), "rw")) {
            f.setLength(exportSize);
        }
        Files.createDirectories(r.mnt);
        List<String> cmd = new ArrayList<>(List.of("nbdfuse", r.mnt.toString(), "--command", "nbdkit", "-s",
                "--filter=error", "--filter=pause"));
        if (delayWrite != null) {
            cmd.add("--filter=delay");
        }
        cmd.addAll(List.of("file", back.toString()));
        if (delayWrite != null) {
            cmd.add("delay-write=" + delayWrite);
        }
        String t = r.trigger.toString();
        cmd.addAll(switch (kind) {
            case EIO -> List.of("error=EIO", "error-rate=100%", "error-file=" + t);
            case ENOSPC -> List.of("error=ENOSPC", "error-pwrite-rate=100%", "error-pwrite-file=" + t,
                    "error-zero-rate=100%", "error-zero-file=" + t);
        });
        cmd.add("pause-control=" + r.ctl);
        r.nbdfuse = Daemon.start("nbdfuse", r.dir.resolve("nbdfuse.log"), cmd);
        long end = System.nanoTime() + 15_000_000_000L;
        while (!(Mounts.isMounted(r.mnt) && Files.exists(r.ctl) && sizeOf(r.member()) == exportSize)) {
            if (System.nanoTime() > end || !r.nbdfuse.alive()) {
                String why = r.nbdfuse.logTail();
                r.close();
                throw new AssertionError("nbdfuse did not come up at " + r.mnt + "\n" + why);
            }
            Daemon.sleep(50);
        }
        return r;
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public Path member() {
        return mnt.resolve("nbd");
    }

    /** Every request (EIO) or every write (ENOSPC) fails from now on. */
    public void injectErrors() throws IOException {
        Files.writeString(trigger, "");
    }

    public void stopErrors() throws IOException {
        Files.deleteIfExists(trigger);
    }

    /** Requests hang from now on (nbdkit's pause filter), as on a server that stopped answering. */
    public void pause() throws IOException {
        control('p', 'P');
        paused = true;
    }

    public void resume() throws IOException {
        control('r', 'R');
        paused = false;
    }

    /** Sends one command byte to the pause filter's socket and checks its one-byte answer. */
    private void control(char command, char expected) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(ctl));
            ch.write(ByteBuffer.wrap(new byte[] {(byte) command}));
            ByteBuffer reply = ByteBuffer.allocate(16);
            ch.read(reply);
            String got = new String(reply.array(), 0, reply.position(), StandardCharsets.US_ASCII);
            if (!got.startsWith(String.valueOf(expected))) {
                throw new IOException("nbdkit pause-control answered '" + got + "' to '" + command + "'");
            }
        }
    }

    @Override
    public void heal() {
        try {
            stopErrors();
        } catch (IOException e) {
            System.err.println("[cleanup] " + e);
        }
        if (paused) {
            try {
                resume();
            } catch (IOException e) {
                System.err.println("[cleanup] resume: " + e);
            }
        }
    }

    @Override
    public void close() {
        heal();
        List<String> problems = new ArrayList<>();
        if (!Mounts.unmount(mnt)) {
            problems.add("nbdfuse still mounted at " + mnt);
        }
        if (nbdfuse != null) {
            try {
                nbdfuse.close();
            } catch (AssertionError e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(String.join("; ", problems));
        }
    }
}
