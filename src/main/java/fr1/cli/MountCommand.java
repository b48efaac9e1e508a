package fr1.cli;

import fr1.control.ControlPaths;
import fr1.control.ControlServer;
import fr1.control.MetricsFile;
import fr1.control.DaemonLock;
import fr1.control.Units;
import fr1.engine.Mirror;
import fr1.engine.MirrorStatus;
import fr1.fuse.FuseMounter;
import fr1.fuse.FuseOptions;
import fr1.fuse.ImageMount;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code fr1 mount [-f] [-o OPTIONS] MEMBER... MOUNTPOINT}. */
@Command(name = "mount", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        customSynopsis = {"fr1 mount [-f] [-o OPTIONS] MEMBER... MOUNTPOINT",
                "fr1 mount [-f] [-o OPTIONS] --config FILE [--array NAME] [MOUNTPOINT]"},
        description = {
                "Assemble the array from its members and mount it: MOUNTPOINT/disk.img is then the mirrored image. "
                        + "Members may be missing or failed (the array runs degraded); after an unclean shutdown the "
                        + "chunks that may differ are resynced first. Spares are given like members (their "
                        + "metadata says they are spares).",
                "",
                "With --config the members, spares, image name and options come from a raidtab (see "
                        + "mount-scripts/raidtab.example); MOUNTPOINT defaults to its fr1-mountpoint. The mount's "
                        + "source in /proc/mounts is then the raidtab's path, as in the fstab line "
                        + "'/etc/fr1/vol.raidtab /srv/vol fuse.fr1 defaults,_netdev 0 0'.",
                "",
                "Without -f the daemon runs in the background: fr1 returns once the mount is ready, or with the "
                        + "daemon's error. The daemon logs to a file in the run directory (for root: /run/fr1). With "
                        + "-f it stays in the foreground until unmounted; SIGTERM and SIGINT unmount and close the "
                        + "array cleanly.",
                "",
                "Options (-o, comma-separated, may be repeated):",
                "  name=FILE      name of the image file in the mount (default disk.img)",
                "  binding=B      jfuse (libfuse3, default) or jnr (libfuse2)",
                "  allow_other    let other users in (non-root: user_allow_other in fuse.conf)",
                "  uid=N, gid=N   owner of the image file (default: the mounting user)",
                "  mode=OCTAL     permissions of the image file (default 0600)",
                "  io-timeout=D   fail a member whose I/O takes longer (default 5s; ms, s, m)",
                "  probe-interval=D  first wait before a failed member is probed again;",
                "                 doubles after each failed probe, up to 30s (default 1s)",
                "  async          acknowledge a write once the members that are not",
                "                 write-behind have it; the others catch up in the background",
                "  write-behind=PATH[:PATH]  with async: the members that may lag",
                "                 (default: every member but the fastest, measured at mount)",
                "  write-behind-max=N  with async: writes queued per lagging member before",
                "                 it goes behind (default 256): then writes go on without it,",
                "                 are recorded, and copied to it in large runs (pull-ahead)",
                "  write-behind-bytes=SIZE  with async: bytes queued per lagging member",
                "                 before it goes behind (default 64M)",
                "  max-lag=D      with async: slow writes just enough that no write-behind",
                "                 member's recovery point (age of the oldest write it lacks)",
                "                 passes D (default: none; ms, s, m)",
                "  fsync=all      fsync also waits for write-behind members (default: not)",
                "  event-cmd=PROG run PROG EVENT MEMBER PATH DETAIL on every state change",
                "                 (member-failed, member-recovered, resync-finished, split-brain...)",
                "  resync-min=N   resync and check speed kept while other I/O goes on, MiB/s",
                "                 (md's speed_limit_min; default 16; 0 = no floor)",
                "  resync-max=N   resync and check speed ceiling, MiB/s (md's speed_limit_max;",
                "                 default 0 = unlimited)",
                "  fsname=NAME    the source shown in /proc/mounts and df (default fr1)",
                "  metrics-file=PATH  rewrite PATH (absolute) every 5 s with Prometheus metrics, as",
                "                 node_exporter's textfile collector reads them (fr1 status --prometheus)",
                "  rw, defaults, _netdev, nofail, noauto, auto, user, nouser, dev, nodev,",
                "  suid, nosuid, exec, noexec, x-*, comment=: accepted (fstab) and ignored",
                ""},
        footerHeading = "%nExamples:%n",
        footer = {
                "  fr1 mount /data/a.img /nfs/b.img /mnt/vm",
                "  fr1 mount -o allow_other,mode=0660,gid=6 /data/a.img /nfs/b.img /mnt/vm",
                "  fr1 mount -f /data/a.img /nfs/b.img /mnt/vm   # foreground, log to stderr",
                "  fr1 mount --config /etc/fr1/vol.raidtab /srv/vol",
                "  mount -t fuse.fr1 /etc/fr1/vol.raidtab /srv/vol   # the same, via mount.fuse.fr1",
                "  losetup -f --show /mnt/vm/disk.img            # attach as a block device"})
final class MountCommand implements Callable<Integer> {

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--foreground"}, description = "Stay in the foreground; log to stderr.")
    boolean foreground;

    @Option(names = "-o", paramLabel = "OPTIONS", description = "Mount options, comma-separated (see above).")
    List<String> options = new ArrayList<>();

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Take members, spares, image name and options from this raidtab.")
    Path config;

    @Option(names = "--array", paramLabel = "NAME",
            description = "With --config: the raiddev to mount (needed when the file has several).")
    String array;

    @Parameters(arity = "0..*", paramLabel = "MEMBER... MOUNTPOINT", hideParamSyntax = true,
            description = "The member paths, then the directory to mount on (with --config: only the directory, "
                    + "if not its fr1-mountpoint).")
    List<String> operands = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        String optionText = String.join(",", options);
        if (config == null) {
            if (array != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--array needs --config");
            }
            if (operands.size() < 2) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "expected MEMBER... MOUNTPOINT: at least one member path, then the mountpoint");
            }
            List<Path> members = operands.subList(0, operands.size() - 1).stream().map(Path::of).toList();
            return mount(parent.paths(), spec, members, Path.of(operands.getLast()), optionText, foreground);
        }
        if (operands.size() > 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "with --config give only the MOUNTPOINT (the members come from the raidtab)");
        }
        Raidtab tab = Raidtab.read(config);
        Raidtab.Array a = tab.select(array);
        Path mountpoint;
        if (!operands.isEmpty()) {
            mountpoint = Path.of(operands.getFirst());
        } else if (a.mountpoint() != null) {
            mountpoint = a.mountpoint();
        } else {
            throw new CliException(ExitCodes.USAGE, a.where() + "raiddev " + a.name()
                    + " has no fr1-mountpoint: give the MOUNTPOINT");
        }
        return mount(parent.paths(), spec, a.mountPaths(), mountpoint, configOptions(tab, a, optionText),
                foreground);
    }

    /** The -o text for a raidtab array: its source name and options, then the command line's (which win). */
    static String configOptions(Raidtab tab, Raidtab.Array a, String commandLine) {
        String fsname = "fsname=" + tab.file();
        String text = fsname + "," + a.mountOptions();
        return commandLine.isEmpty() ? text : text + "," + commandLine;
    }

    /**
     * Mounts {@code members} at {@code mountpoint}: in this process ({@code foreground}) or through a daemon
     * that this waits for. Also used by {@code raidstart}.
     */
    static int mount(ControlPaths paths, CommandSpec spec, List<Path> memberPaths, Path mountpointPath,
                     String optionText, boolean foreground) throws Exception {
        MountOptions parsed;
        FuseOptions fuseOptions;
        try {
            parsed = MountOptions.parse(optionText);
            fuseOptions = parsed.fuseOptions();
            parsed.mirrorOptions(); // checks combinations (write-behind without async) before anything starts
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        List<Path> members = memberPaths.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        Path mountpoint = mountpointPath.toAbsolutePath().normalize();
        if (DeadMounts.isDisconnected(mountpoint)) {
            throw new CliException(ExitCodes.REFUSED, "mountpoint " + mountpoint + " is a dead FUSE mount (its "
                    + "daemon died); run 'fr1 umount " + mountpoint + "' first");
        }
        if (!Files.exists(mountpoint)) {
            throw new CliException(ExitCodes.REFUSED, "mountpoint " + mountpoint + " does not exist");
        }
        if (!Files.isDirectory(mountpoint)) {
            throw new CliException(ExitCodes.REFUSED, "mountpoint " + mountpoint + " is not a directory");
        }
        paths.ensureRunDir();
        ControlPaths.MountFiles files = paths.forMountpoint(mountpoint);
        PrintWriter err = spec.commandLine().getErr();
        if (foreground) {
            return runForeground(members, mountpoint, parsed, fuseOptions, files, err);
        }
        if (DaemonLock.isHeld(files.lock())) {
            throw alreadyMounted(mountpoint);
        }
        List<String> args = new ArrayList<>(List.of("mount", "-f"));
        if (!optionText.isEmpty()) {
            args.add("-o");
            args.add(optionText);
        }
        args.add("--");
        members.forEach(m -> args.add(m.toString()));
        args.add(mountpoint.toString());
        return DaemonLauncher.launch(args, files, mountpoint.toString(), err);
    }

    private static int runForeground(List<Path> members, Path mountpoint, MountOptions options,
                                     FuseOptions fuseOptions, ControlPaths.MountFiles files, PrintWriter err)
            throws Exception {
        DaemonLock lock = DaemonLock.tryAcquire(files.lock()).orElseThrow(() -> alreadyMounted(mountpoint));
        RunningMount running = new RunningMount(mountpoint.toString(), lock);
        // Installed before anything is up, so SIGTERM during start-up also closes what is.
        Thread hook = new Thread(running::closeQuietly, "fr1-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        ImageMount mount;
        try {
            fr1.engine.MirrorOptions mirrorOptions = options.mirrorOptions();
            if (options.eventCommand() != null) {
                mirrorOptions = mirrorOptions.withEvents(new EventCommand(options.eventCommand(), mountpoint));
            }
            Mirror mirror = Mirror.open(members, mirrorOptions);
            running.attach(mirror);
            mount = FuseMounter.mount(mirror, mountpoint, fuseOptions);
            running.attach(mount);
            running.attach(MetricsFile.start(options.metricsFile(), new MirrorTarget(mirror, running), mountpoint.toString()));
            // Bound last: a control socket that answers means the image is mounted (fr1 mount waits for it).
            running.attach(ControlServer.start(files.socket(), new MirrorTarget(mirror, running), mountpoint.toString()));
            announce(mirror, mountpoint, fuseOptions, files, err);
        } catch (Exception | Error e) {
            try {
                running.close();
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            removeHook(hook);
            throw e;
        }
        mount.awaitUnmounted();
        try {
            running.close();
        } finally {
            removeHook(hook);
        }
        err.println("fr1: unmounted " + mountpoint + ", array closed cleanly");
        err.flush();
        return ExitCodes.OK;
    }

    private static void announce(Mirror mirror, Path mountpoint, FuseOptions fuseOptions,
                                 ControlPaths.MountFiles files, PrintWriter err) {
        MirrorStatus s = mirror.status();
        err.println("fr1: mounted " + mountpoint.resolve(fuseOptions.imageName()) + " (" + s.members().size()
                + " members, size " + Units.human(s.size()) + ", " + s.state() + "; pid "
                + ProcessHandle.current().pid() + ", control " + files.socket() + ")");
        err.flush();
    }

    private static CliException alreadyMounted(Path mountpoint) {
        return new CliException(ExitCodes.REFUSED, "an fr1 daemon is already running for " + mountpoint);
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook runs (or ran) and finds everything closed.
        }
    }
}
