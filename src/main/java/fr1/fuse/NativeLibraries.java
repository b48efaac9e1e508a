package fr1.fuse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds a shared library by its soname (e.g. {@code libfuse3.so.3}). Needed because
 * {@code System.loadLibrary("fuse3")} looks for {@code libfuse3.so}, which Debian ships only in the -dev package.
 */
final class NativeLibraries {

    /** Debian's multiarch directories for this JVM's architecture first, then the others. */
    private static final List<String> DIRECTORIES = directories(System.getProperty("os.arch", ""));

    static List<String> directories(String osArch) {
        String triplet = switch (osArch) {
            case "aarch64", "arm64" -> "aarch64-linux-gnu";
            default -> "x86_64-linux-gnu";
        };
        return List.of("/lib/" + triplet, "/usr/lib/" + triplet, "/usr/lib64", "/lib64", "/usr/local/lib", "/usr/lib", "/lib");
    }

    private NativeLibraries() {
    }

    /** The first readable {@code soname} on LD_LIBRARY_PATH, in the usual directories, or in the ldconfig cache. */
    static Optional<Path> find(String soname) {
        List<String> dirs = new ArrayList<>();
        String ldPath = System.getenv("LD_LIBRARY_PATH");
        if (ldPath != null && !ldPath.isBlank()) {
            dirs.addAll(List.of(ldPath.split(":")));
        }
        dirs.addAll(DIRECTORIES);
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, soname);
            if (Files.isReadable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return fromLdconfig(soname);
    }

    /** Parses lines such as {@code libfuse3.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libfuse3.so.3}. */
    static Optional<Path> fromLdconfig(String soname) {
        for (String ldconfig : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig")) {
            try {
                Process p = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
                Optional<Path> found = Optional.empty();
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        Optional<Path> path = parseLdconfigLine(line, soname);
                        if (found.isEmpty() && path.isPresent() && Files.isReadable(path.get())) {
                            found = path;
                        }
                    }
                }
                p.waitFor(5, TimeUnit.SECONDS);
                return found;
            } catch (IOException e) {
                // not at this path; try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    static Optional<Path> parseLdconfigLine(String line, String soname) {
        String trimmed = line.trim();
        int arrow = trimmed.indexOf("=>");
        if (arrow < 0 || !trimmed.startsWith(soname + " ")) {
            return Optional.empty();
        }
        return Optional.of(Path.of(trimmed.substring(arrow + 2).trim()));
    }
}
