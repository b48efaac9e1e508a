package fr1.cli;

import fr1.control.ControlClient;
import fr1.control.ControlException;
import fr1.control.ControlPaths;
import fr1.control.DaemonLock;
import fr1.control.ErrorCode;
import fr1.control.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code fr1 umount MOUNTPOINT}. */
@Command(name = "umount", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Unmount an array and shut its daemon down cleanly: the image is unmounted, writes are flushed, "
                        + "the write-intent bitmap is cleared and every in-sync member is marked clean, so the next "
                        + "mount needs no resync. Returns once the daemon has closed the array (at most "
                        + "60 seconds).",
                "",
                "A mount that is busy (open files, an attached loop device) is refused and stays as it is. "
                        + "Unmounting with umount(8) or fusermount -u also shuts the daemon down cleanly.",
                "",
                "If the daemon was killed, this unmounts the dead mount it left (which answers 'Transport "
                        + "endpoint is not connected') so the array can be mounted again."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 umount /mnt/vm"})
final class UmountCommand implements Callable<Integer> {

    static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MOUNTPOINT", description = MountClients.MOUNTPOINT_HELP)
    String mountpoint;

    @Override
    public Integer call() throws Exception {
        return umount(parent.paths(), mountpoint, spec.commandLine().getErr());
    }

    /** Unmounts and waits for the daemon to close the array; also used by {@code raidstop}. */
    static int umount(ControlPaths paths, String mountpoint, PrintWriter err) throws Exception {
        ControlPaths.MountFiles files = MountClients.files(paths, mountpoint);
        try {
            new ControlClient(files.socket(), MountClients.shown(mountpoint, files)).call(new Request.Umount());
        } catch (ControlException e) {
            if (e.code() == ErrorCode.UNREACHABLE && cleanUpAfterDeadDaemon(files, mountpoint, err)) {
                return ExitCodes.OK;
            }
            throw e;
        }
        awaitGone(files, SHUTDOWN_TIMEOUT);
        return ExitCodes.OK;
    }

    /**
     * After a daemon was killed: unmounts its dead FUSE mount and removes its stale socket, so the array can
     * be mounted again (that mount resyncs whatever may differ). Only where an fr1 daemon ran (its lock file
     * is there) and none runs now.
     *
     * @return false if there was nothing of a dead daemon to clean up
     */
    private static boolean cleanUpAfterDeadDaemon(ControlPaths.MountFiles files, String mountpoint, PrintWriter err)
            throws Exception {
        if (!Files.exists(files.lock()) || DaemonLock.isHeld(files.lock())) {
            return false;
        }
        boolean dead = DeadMounts.isDisconnected(files.mountpoint());
        boolean stale = Files.exists(files.socket(), LinkOption.NOFOLLOW_LINKS);
        if (!dead && !stale) {
            return false;
        }
        if (dead) {
            DeadMounts.unmount(files.mountpoint());
        }
        Files.deleteIfExists(files.socket());
        err.println("fr1: the daemon of " + mountpoint + " had died; "
                + (dead ? "unmounted its dead mount" : "removed its stale control socket")
                + " (the next mount resyncs what may differ)");
        err.flush();
        return true;
    }

    /**
     * Waits until the daemon has removed its socket, which it does after closing the array. A socket left
     * while no daemon holds the lock means the daemon died on the way.
     */
    static void awaitGone(ControlPaths.MountFiles files, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (Files.exists(files.socket(), LinkOption.NOFOLLOW_LINKS)) {
            if (!DaemonLock.isHeld(files.lock()) && Files.exists(files.socket(), LinkOption.NOFOLLOW_LINKS)) {
                throw new CliException(ExitCodes.IO, "the fr1 daemon of " + files.mountpoint()
                        + " exited before closing the array cleanly (see " + files.log() + ")");
            }
            if (System.nanoTime() > deadline) {
                throw new CliException(ExitCodes.IO, "the fr1 daemon of " + files.mountpoint()
                        + " did not shut down within " + timeout.toSeconds() + " s (see " + files.log() + ")");
            }
            Thread.sleep(100);
        }
    }
}
