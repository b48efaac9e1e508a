package fr1.cli;

import fr1.control.ControlClient;
import fr1.control.ControlException;
import fr1.control.ControlPaths;
import fr1.control.ErrorCode;
import fr1.control.Request;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Finds the control channel of the mount at a mountpoint, for the commands that talk to a running mount. Where a
 * mountpoint goes, the image's path does too ({@code /srv/vol/vol.img} for the mount at {@code /srv/vol}), as
 * {@code /dev/md0} names an md array.
 */
final class MountClients {

    /** What --help says of a MOUNTPOINT argument. */
    static final String MOUNTPOINT_HELP = "Where the array is mounted, or the image's path in it (as /dev/md0 names "
            + "an md array: /srv/vol/vol.img for the mount at /srv/vol).";

    private MountClients() {
    }

    static ControlClient forMountpoint(ControlPaths paths, String mountpoint) throws ControlException {
        ControlPaths.MountFiles f = files(paths, mountpoint);
        return new ControlClient(f.socket(), shown(mountpoint, f));
    }

    /** What messages call the mount: the argument, or the mountpoint when the argument was its image. */
    static String shown(String arg, ControlPaths.MountFiles files) {
        return isImageOf(arg, files) ? files.mountpoint().toString() : arg;
    }

    /** Builds a request from user input; a member name the protocol cannot carry is a usage error. */
    static Request request(CommandSpec spec, Supplier<Request> request) {
        try {
            return request.get();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** True if a daemon answers on the mountpoint's control socket. */
    static boolean isServed(ControlPaths paths, Path mountpoint) {
        try {
            forMountpoint(paths, mountpoint.toString()).call(new Request.Status(false));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The run files of the mount at {@code mountpoint}; if no mount is there and it is not a directory, those of
     * the mount at its directory when one is there (it is that mount's image).
     */
    static ControlPaths.MountFiles files(ControlPaths paths, String mountpoint) throws ControlException {
        try {
            Path p = Path.of(mountpoint);
            ControlPaths.MountFiles own = paths.locate(p);
            if (Files.exists(own.socket(), LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(p)) {
                return own;
            }
            Path dir = p.toAbsolutePath().normalize().getParent();
            if (dir != null && dir.getParent() != null) {
                ControlPaths.MountFiles parent = paths.locate(dir);
                if (Files.exists(parent.socket(), LinkOption.NOFOLLOW_LINKS)) {
                    return parent;
                }
            }
            return own;
        } catch (IOException | InvalidPathException e) {
            // A mountpoint whose directory does not exist cannot have a mount on it.
            throw new ControlException(ErrorCode.UNREACHABLE, "no fr1 mount at " + mountpoint);
        }
    }

    /** True if {@code files} were found for {@code arg} as the image in their mount (see {@link #files}). */
    private static boolean isImageOf(String arg, ControlPaths.MountFiles files) {
        try {
            Path p = Path.of(arg).toAbsolutePath().normalize();
            return p.getParent() != null && files.mountpoint().equals(p.getParent().toRealPath())
                    && !files.mountpoint().equals(p);
        } catch (IOException | InvalidPathException e) {
            return false;
        }
    }
}
