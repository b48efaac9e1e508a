package fr1.it.faults;

import fr1.it.support.Mounts;
import fr1.it.support.Sh;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Member 1 on SSHFS to an sshd the test starts on 127.0.0.1 with its own config, port, host key and authorized key
 * (FAULT-RIGS.md). The link is cut by an nft table that drops that port on loopback, or the sshd session is killed.
 * Only 127.0.0.0/8 is ever used.
 */
public final class SshRig implements FaultRig {

    private static final Duration SHORT = Duration.ofSeconds(20);

    private final Path dir;
    private final Path remote;
    private final Path mnt;
    private final int port;
    private final String table;
    private Daemon sshd;
    private Daemon sshfs;
    private boolean cut;

    private SshRig(Path dir, int port) {
        this.dir = dir;
        this.remote = dir.resolve("remote");
        this.mnt = dir.resolve("sshfs");
        this.port = port;
        this.table = "fr1it" + port;
    }

    public static SshRig start(Path base) throws IOException {
        Tools.require("/usr/sbin/sshd", "ssh-keygen", "ssh", "sshfs", "nft", "fusermount3");
        SshRig r = new SshRig(Files.createDirectories(base.resolve("ssh-rig")), freePort());
        try {
            r.up();
        } catch (IOException | RuntimeException | Error e) {
            try {
                r.close();
            } catch (AssertionError ce) {
                e.addSuppressed(ce);
            }
            throw e;
        }
        return r;
    }

    /** A port in 22990..23989 that nothing listens on at 127.0.0.1 now. */
    private static int freePort() throws IOException {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        for (int i = 0; i < 50; i++) {
            int p = 22990 + ThreadLocalRandom.current().nextInt(1000);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(lo, p));
                return p;
            } catch (IOException busy) {
                // try another
            }
        }
        throw new IOException("no free port in 22990..23989 on 127.0.0.1");
    }

    private void up() throws IOException {
        Files.createDirectories(remote);
        Files.createDirectories(mnt);
        Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation directory
        Path hostKey = dir.resolve("hostkey");
        Path id = dir.resolve("id");
        Sh.run(SHORT, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey.toString());
        Sh.run(SHORT, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", id.toString());
        Path authKeys = dir.resolve("authkeys");
        Files.copy(dir.resolve("id.pub"), authKeys);
        Files.setPosixFilePermissions(authKeys, PosixFilePermissions.fromString("rw-------"));
        Path config = dir.resolve("sshd_config");
        Files.writeString(config, String.join("\n",
                "Port " + port,
                "ListenAddress 127.0.0.1",
                "HostKey " + hostKey,
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + authKeys,
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "Subsystem sftp internal-sftp",
                ""));
        // -D: stays in the foreground, so the test holds its pid; -e: log to the log file.
        sshd = Daemon.start("sshd", dir.resolve("sshd.log"), List.of("/usr/sbin/sshd", "-D", "-e", "-f", config.toString()));
        long end = System.nanoTime() + 10_000_000_000L;
        while (!accepts()) {
            if (System.nanoTime() > end || !sshd.alive()) {
                throw new AssertionError("sshd did not listen on 127.0.0.1:" + port + "\n" + sshd.logTail());
            }
            Daemon.sleep(50);
        }
        String opts = "IdentityFile=" + id + ",StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes,"
                + "port=" + port + ",reconnect,ServerAliveInterval=1,ServerAliveCountMax=2,ConnectTimeout=2";
        sshfs = Daemon.start("sshfs", dir.resolve("sshfs.log"), List.of("sshfs", "-f", "-F", "/dev/null", "-o", opts,
                "root@127.0.0.1:" + remote, mnt.toString()));
        end = System.nanoTime() + 15_000_000_000L;
        while (!Mounts.isMounted(mnt)) {
            if (System.nanoTime() > end || !sshfs.alive()) {
                throw new AssertionError("sshfs did not mount " + mnt + "\n" + sshfs.logTail() + "\n" + sshd.logTail());
            }
            Daemon.sleep(50);
        }
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    @Override
    public Path member() {
        return mnt.resolve("m1.img");
    }

    /** The file as the sshd side sees it (not through SSHFS): faster to read for the final comparison. */
    @Override
    public Path contents() {
        return remote.resolve("m1.img");
    }

    /** Drops every packet to and from the sshd port on loopback (an nft table of our own). */
    public void cutLink() {
        Sh.run(SHORT, "nft", "add", "table", "inet", table);
        cut = true;
        Sh.run(SHORT, "nft", "add", "chain", "inet", table, "out", "{ type filter hook output priority 0 ; }");
        Sh.run(SHORT, "nft", "add", "rule", "inet", table, "out", "ip", "daddr", "127.0.0.0/8", "tcp", "dport",
                Integer.toString(port), "drop");
        Sh.run(SHORT, "nft", "add", "rule", "inet", table, "out", "ip", "daddr", "127.0.0.0/8", "tcp", "sport",
                Integer.toString(port), "drop");
    }

    public void restoreLink() {
        if (cut) {
            Sh.run(SHORT, "nft", "delete", "table", "inet", table);
            cut = false;
        }
    }

    /** Kills the sshd session processes serving SSHFS (not the listener): the connection drops at once. */
    public int killSessions() {
        List<ProcessHandle> sessions = sshd.handle().descendants().toList();
        if (sessions.isEmpty()) {
            throw new AssertionError("no sshd session to kill under pid " + sshd.handle().pid());
        }
        sessions.forEach(ProcessHandle::destroyForcibly);
        return sessions.size();
    }

    @Override
    public void heal() {
        try {
            restoreLink();
        } catch (RuntimeException e) {
            System.err.println("[cleanup] nft: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        List<String> problems = new ArrayList<>();
        heal();
        Sh.Result t = Sh.attempt(SHORT, "nft", "list", "table", "inet", table);
        if (t.ok()) {
            problems.add("nft table inet " + table + " still there");
        }
        if (!Mounts.unmount(mnt)) {
            problems.add("sshfs still mounted at " + mnt);
        }
        for (Daemon d : new Daemon[] {sshfs, sshd}) {
            if (d != null) {
                try {
                    d.close();
                } catch (AssertionError e) {
                    problems.add(e.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(String.join("; ", problems));
        }
    }
}
