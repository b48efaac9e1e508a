package fr1.cli;

import fr1.control.ControlClient;
import fr1.control.ControlException;
import fr1.control.ControlPaths;
import fr1.control.ErrorCode;
import fr1.control.Request;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.function.Supplier;

/** Finds the control channel of the mount at a mountpoint, for the commands that talk to a running mount. */
final class MountClients {

    private MountClients() {
    }

    static ControlClient forMountpoint(ControlPaths paths, String mountpoint) throws ControlException {
        return new ControlClient(files(paths, mountpoint).socket(), mountpoint);
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

    static ControlPaths.MountFiles files(ControlPaths paths, String mountpoint) throws ControlException {
        try {
            return paths.locate(Path.of(mountpoint));
        } catch (IOException | InvalidPathException e) {
            // A mountpoint whose directory does not exist cannot have a mount on it.
            throw new ControlException(ErrorCode.UNREACHABLE, "no fr1 mount at " + mountpoint);
        }
    }
}
