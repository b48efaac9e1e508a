package fr1.fuse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** The kernel's side of mounting: checks before a mount, the mount table, and unmounting from outside. */
final class Mounts {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
    private static final Path DEV_FUSE = Path.of("/dev/fuse");

    private Mounts() {
    }

    static void checkDevFuse() throws IOException {
        if (!Files.exists(DEV_FUSE)) {
            throw new IOException("/dev/fuse not found: load the fuse module (modprobe fuse) or pass the device into the container");
        }
    }

    /** Checks that {@code mountpoint} is an empty, accessible directory with no FUSE mount on it; returns its real path. */
    static Path checkMountpoint(Path mountpoint) throws IOException {
        Path abs = mountpoint.toAbsolutePath().normalize();
        Path real;
        try {
            real = abs.toRealPath();
        } catch (NoSuchFileException e) {
            throw new IOException("mountpoint " + abs + " does not exist");
        } catch (FileSystemException e) {
            throw new IOException("mountpoint " + abs + " is not accessible (" + e.getReason()
                    + "): a stale FUSE mount? run fusermount3 -u " + abs);
        }
        if (fuseMountType(real).isPresent()) {
            throw new IOException("mountpoint " + real + " already has a FUSE file system mounted: run fusermount3 -u " + real);
        }
        if (!Files.isDirectory(real)) {
            throw new IOException("mountpoint " + real + " is not an empty directory");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(real)) {
            if (entries.iterator().hasNext()) {
                throw new IOException("mountpoint " + real + " is not an empty directory");
            }
        }
        return real;
    }

    /** The type (e.g. {@code fuse.fr1}) of the topmost FUSE mount at {@code mountpoint}, if any. */
    static Optional<String> fuseMountType(Path mountpoint) throws IOException {
        String target = mountpoint.toString();
        Optional<String> type = Optional.empty();
        for (String line : Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8)) {
            Optional<MountInfoLine> entry = MountInfoLine.parse(line);
            if (entry.isPresent() && entry.get().mountpoint().equals(target)) {
                // Later lines are mounted on top of earlier ones: the last match is what the path shows.
                type = entry.get().type().startsWith("fuse") ? Optional.of(entry.get().type()) : Optional.empty();
            }
        }
        return type;
    }

    /**
     * Unmounts {@code mountpoint} cleanly (never lazily): a busy mount stays and this throws. Succeeds if
     * nothing FUSE is mounted there any more, also when someone else got there first.
     */
    static void unmount(Path mountpoint) throws IOException {
        String target = mountpoint.toString();
        String output = null;
        IOException notFound = null;
        for (List<String> command : List.of(
                List.of("fusermount3", "-u", target), List.of("fusermount", "-u", target), List.of("umount", target))) {
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
                p.getOutputStream().close();
                String out;
                try (InputStream in = p.getInputStream()) {
                    out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
                }
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    out = command.getFirst() + " did not finish within 30 s";
                }
                if (p.exitValue() == 0) {
                    return;
                }
                output = out;
                break;
            } catch (IOException e) {
                // Command not installed: try the next one.
                if (notFound == null) {
                    notFound = e;
                } else {
                    notFound.addSuppressed(e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while unmounting " + target);
            }
        }
        if (fuseMountType(mountpoint).isEmpty()) {
            return;
        }
        if (output == null) {
            throw new IOException("cannot unmount " + target + ": neither fusermount3, fusermount nor umount could be run", notFound);
        }
        String firstLine = output.lines().findFirst().orElse("exit status non-zero");
        throw new IOException("cannot unmount " + target + ": " + firstLine);
    }

    /** The fields of one /proc/self/mountinfo line this class needs. */
    record MountInfoLine(String mountpoint, String type) {

        /** {@code 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue} */
        static Optional<MountInfoLine> parse(String line) {
            String[] fields = line.split(" ");
            int separator = List.of(fields).indexOf("-");
            if (fields.length < 5 || separator < 0 || separator + 1 >= fields.length) {
                return Optional.empty();
            }
            return Optional.of(new MountInfoLine(unescape(fields[4]), unescape(fields[separator + 1])));
        }

        /** mountinfo writes space, tab, newline and backslash as three-digit octal escapes. */
        static String unescape(String field) {
            if (field.indexOf('\\') < 0) {
                return field;
            }
            StringBuilder sb = new StringBuilder(field.length());
            for (int i = 0; i < field.length(); i++) {
                char c = field.charAt(i);
                if (c == '\\' && isOctal(field, i + 1)) {
                    sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                    i += 3;
                } else {
                    sb.append(c);
                }
            }
            return sb.toString();
        }

        private static boolean isOctal(String s, int from) {
            if (from + 3 > s.length()) {
                return false;
            }
            for (int i = from; i < from + 3; i++) {
                if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                    return false;
                }
            }
            return true;
        }
    }
}
