package fr1.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Mount points and loop devices as the kernel sees them (/proc/mounts, losetup), and the commands that
 * attach, detach and unmount them. Everything here is for root in CI.
 */
public final class Mounts {

    private static final Duration SHORT = Duration.ofSeconds(30);

    private Mounts() {
    }

    /** One line of /proc/mounts. */
    public record Mount(String source, Path target, String type) {
        public boolean isFuse() {
            return type.equals("fuse") || type.startsWith("fuse.");
        }
    }

    /** Fails (never skips) when the kernel offers no FUSE or no loop devices: CI must have both. */
    public static void requireFuseAndLoop() {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            throw new AssertionError("/dev/fuse is missing: load the fuse module (modprobe fuse); "
                    + "the integration tests need real FUSE mounts");
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            throw new AssertionError("/dev/loop-control is missing: load the loop module (modprobe loop)");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new AssertionError("the integration tests mount and attach loop devices: run them as root");
        }
    }

    /** Every mount whose target is {@code dir} or below it, deepest first. */
    public static List<Mount> under(Path dir) {
        String prefix = dir.toAbsolutePath().normalize().toString();
        List<Mount> found = new ArrayList<>();
        for (Mount m : all()) {
            String t = m.target().toString();
            if (t.equals(prefix) || t.startsWith(prefix + "/")) {
                found.add(m);
            }
        }
        found.sort((a, b) -> b.target().getNameCount() - a.target().getNameCount());
        return found;
    }

    public static boolean isMounted(Path target) {
        return at(target) != null;
    }

    /** The top mount at {@code target}, or null. */
    private static Mount at(Path target) {
        Path t = target.toAbsolutePath().normalize();
        Mount top = null;
        for (Mount m : all()) {
            if (m.target().equals(t)) {
                top = m; // the last one is the top of the stack
            }
        }
        return top;
    }

    private static List<Mount> all() {
        try {
            List<Mount> mounts = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length >= 3) {
                    mounts.add(new Mount(unescape(f[0]), Path.of(unescape(f[1])), f[2]));
                }
            }
            return mounts;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** /proc/mounts writes space, tab, newline and backslash as octal escapes. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** {@code losetup --find --show --direct-io=on FILE}: the new device's path. */
    public static String attachLoop(Path file) {
        return Sh.run(SHORT, "losetup", "--find", "--show", "--direct-io=on", file.toString()).out().strip();
    }

    /** Loop devices whose backing file lies under {@code dir}. */
    public static List<String> loopsUnder(Path dir) {
        String prefix = dir.toAbsolutePath().normalize() + "/";
        Sh.Result r = Sh.attempt(SHORT, "losetup", "--list", "--noheadings", "--raw", "--output", "NAME,BACK-FILE");
        List<String> devs = new ArrayList<>();
        if (!r.ok()) {
            return devs;
        }
        for (String line : r.out().split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0 && unescapeLosetup(line.substring(sp + 1)).startsWith(prefix)) {
                devs.add(line.substring(0, sp));
            }
        }
        return devs;
    }

    /** losetup --raw writes unsafe characters as \xNN. */
    private static String unescapeLosetup(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\\' && i + 3 < s.length() && s.charAt(i + 1) == 'x') {
                b.append((char) Integer.parseInt(s.substring(i + 2, i + 4), 16));
                i += 3;
            } else {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }

    /** {@code losetup -d DEV}; true if it is gone. */
    public static boolean detachLoop(String dev) {
        Sh.Result r = Sh.attempt(SHORT, "losetup", "-d", dev);
        if (!r.ok()) {
            System.err.println("[cleanup] " + r.describe());
        }
        return r.ok();
    }

    /** Unmounts {@code target}: plain umount, then a lazy one (and fusermount3 -uz for FUSE). */
    public static boolean unmount(Path target) {
        Mount m = at(target);
        if (m == null) {
            return true;
        }
        if (!m.isFuse()) {
            Sh.attempt(SHORT, "fsfreeze", "-u", target.toString()); // a frozen fs cannot be unmounted
        }
        Sh.Result r = Sh.attempt(SHORT, "umount", target.toString());
        if (!r.ok() && isMounted(target)) {
            System.err.println("[cleanup] " + r.describe() + "\n[cleanup] trying a lazy unmount of " + target);
            if (m.isFuse()) {
                Sh.attempt(SHORT, "fusermount3", "-uz", target.toString());
            }
            if (isMounted(target)) {
                Sh.attempt(SHORT, "umount", "-l", target.toString());
            }
        }
        return !isMounted(target);
    }
}
