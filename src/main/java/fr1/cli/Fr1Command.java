package fr1.cli;

import fr1.control.ControlPaths;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/** {@code fr1}: the top-level command; holds what the subcommands share. */
@Command(name = "fr1",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        usageHelpAutoWidth = true,
        description = {
                "User-space RAID1: mirrors one disk image over several member files (local disks, NFS, SSHFS, "
                        + "block devices) and presents it as a single file through FUSE.",
                "",
                "Members hold the image at offset 0 and fr1's metadata after it, so each member alone is a plain "
                        + "image. A member that fails is tracked; when it returns only the chunks it missed are copied.",
                "",
                "Images stay thin: member files are sparse, discards (fstrim, blkdiscard, mkfs through a loop "
                        + "device; fallocate --punch-hole or --zero-range on the image) free the range on every "
                        + "member, and copies (resync, add --full, create --from) move only data, leaving holes."},
        subcommands = {CreateCommand.class, MountCommand.class, StatusCommand.class, WaitCommand.class,
                FailCommand.class, RemoveCommand.class, AddCommand.class, DownCommand.class, UpCommand.class,
                CheckCommand.class, RepairCommand.class, ResyncCommand.class, UmountCommand.class,
                MkraidCommand.class, RaidstartCommand.class, RaidstopCommand.class, LsraidCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
                "0:success",
                "1:internal error (a bug; set FR1_DEBUG=1 for a stack trace)",
                "2:usage error: bad option, malformed size or value",
                "3:refused: the request does not fit the array (nothing changed), or corrupt metadata",
                "4:no fr1 mount at MOUNTPOINT, or its control channel is unreachable",
                "5:I/O error",
                "6:check/repair --wait: mismatches found, or left unrepaired"},
        footerHeading = "%nEnvironment:%n",
        footer = {
                "  FR1_RUN_DIR  control sockets and daemon logs (default /run/fr1 for root,",
                "               $XDG_RUNTIME_DIR/fr1 for other users)",
                "  FR1_DEBUG    print stack traces with errors",
                "",
                "Files:",
                "  /etc/raidtab, /etc/fr1/raidtab  the raidtab the raidtools2 commands read",
                "               by default (mkraid, raidstart, raidstop; see --config)",
                "",
                "Example:",
                "  fr1 create --size 10G /data/a.img /nfs/b.img",
                "  fr1 mount /data/a.img /nfs/b.img /mnt/vm    # the image: /mnt/vm/disk.img",
                "  fr1 status /mnt/vm",
                "  fr1 umount /mnt/vm"})
final class Fr1Command implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    private final ControlPaths paths;

    Fr1Command(ControlPaths paths) {
        this.paths = paths;
    }

    /** The command line with fr1's error handling, run directory taken from the environment. */
    static CommandLine commandLine() {
        try {
            return commandLine(ControlPaths.fromEnvironment());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot determine the current user", e);
        }
    }

    /** The command line with fr1's error handling and a given run directory (tests). */
    static CommandLine commandLine(ControlPaths paths) {
        ErrorReporter reporter = new ErrorReporter();
        return new CommandLine(new Fr1Command(paths))
                .setParameterExceptionHandler(reporter)
                .setExecutionExceptionHandler(reporter);
    }

    ControlPaths paths() {
        return paths;
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command: create, mount, status, wait, fail, remove, add, down, up, check, repair, resync, "
                        + "umount, mkraid, raidstart, raidstop or lsraid (fr1 help)");
    }
}
