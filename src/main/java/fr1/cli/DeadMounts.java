package fr1.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a daemon killed with SIGKILL leaves behind: a FUSE mount that answers every call with ENOTCONN
 * ("Transport endpoint is not connected"), and a control socket nobody listens on.
 */
final class DeadMounts {

    private static final String ENOTCONN = "Transport endpoint is not connected";

    private DeadMounts() {
    }

    /** True if the path is a FUSE mount whose daemon is gone. */
    static boolean isDisconnected(Path mountpoint) {
        try {
            Files.readAttributes(mountpoint, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return false;
        } catch (NoSuchFileException e) {
            return false;
        } catch (FileSystemException e) {
            return e.getReason() != null && e.getReason().contains(ENOTCONN);
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains(ENOTCONN);
        }
    }

    /**
     * Unmounts a dead FUSE mount with fusermount3, fusermount or umount(8), whichever is there and works.
     * Not lazily: a dead mount still in use (a loop device on its image) must be freed by the user first.
     */
    static void unmount(Path mountpoint) throws IOException, InterruptedException {
        String last = "no fusermount3, fusermount or umount found";
        for (List<String> cmd : List.of(List.of("fusermount3", "-u", mountpoint.toString()),
                List.of("fusermount", "-u", mountpoint.toString()), List.of("umount", mountpoint.toString()))) {
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                        new File("/dev/null"))).start();
            } catch (IOException notInstalled) {
                continue;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                last = cmd.getFirst() + " did not finish";
                continue;
            }
            if (p.exitValue() == 0) {
                return;
            }
            last = out.isEmpty() ? cmd.getFirst() + " failed with status " + p.exitValue() : out;
        }
        throw new IOException("cannot unmount the dead mount at " + mountpoint + ": " + last.lines().findFirst().orElse(last));
    }
}
