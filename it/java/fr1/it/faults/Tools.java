package fr1.it.faults;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The external programs the fault rigs need: a missing one fails the test (it/run installs them), never skips it. */
public final class Tools {

    private Tools() {
    }

    /** Fails with the list of missing programs and their Debian packages. */
    public static void require(String... programs) {
        List<String> missing = new ArrayList<>();
        for (String p : programs) {
            if (find(p) == null) {
                missing.add(p + " (" + packageOf(p) + ")");
            }
        }
        if (!missing.isEmpty()) {
            throw new AssertionError("missing programs for FaultsIT: " + String.join(", ", missing)
                    + "; it/run installs them with apt");
        }
    }

    /** Absolute path of a program on PATH or in /usr/sbin, /sbin, or null. */
    public static String find(String program) {
        if (program.startsWith("/")) {
            return Files.isExecutable(Path.of(program)) ? program : null;
        }
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String d : dirs) {
            if (!d.isEmpty()) {
                Path p = Path.of(d, program);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        return null;
    }

    private static String packageOf(String program) {
        return switch (program) {
            case "nbdfuse" -> "libnbd-bin";
            case "/usr/sbin/sshd", "sshd" -> "openssh-server";
            case "ssh-keygen", "ssh" -> "openssh-client";
            case "nft" -> "nftables";
            case "glusterd", "gluster", "glusterfsd" -> "glusterfs-server";
            case "glusterfs" -> "glusterfs-client";
            case "mkfs.ext4", "fsck.ext4" -> "e2fsprogs";
            case "losetup", "mount", "umount" -> "util-linux / mount";
            case "fusermount3" -> "fuse3";
            default -> program;
        };
    }
}
