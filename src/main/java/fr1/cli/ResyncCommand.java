package fr1.cli;

import fr1.control.ControlClient;
import fr1.control.Request;
import fr1.engine.MirrorStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code fr1 resync pause|resume MOUNTPOINT}. */
@Command(name = "resync", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Pause or resume the resync (md's 'echo frozen/idle > sync_action'). A paused resync keeps its "
                        + "place: the member stays 'recovering' and the array degraded until it is resumed. A "
                        + "resync that starts while paused (after 'fr1 add', or by the prober) waits too. The "
                        + "pause lasts as long as the mount: what is left to copy survives an unmount, and the "
                        + "next mount resumes from there.",
                "",
                "To slow a resync down instead, mount with -o resync-max=MiB/s."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 resync pause /mnt/vm     # the backup window: give the disks to the backup",
                "  fr1 resync resume /mnt/vm"})
final class ResyncCommand implements Callable<Integer> {

    enum Action { pause, resume }

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "pause|resume", description = "pause or resume.")
    Action action;

    @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = MountClients.MOUNTPOINT_HELP)
    String mountpoint;

    @Override
    public Integer call() throws Exception {
        String mnt = Raidtab.resolveMountpoint(mountpoint, null, false);
        ControlClient client = MountClients.forMountpoint(parent.paths(), mnt);
        boolean pause = action == Action.pause;
        client.call(new Request.Resync(pause));
        MirrorStatus s = client.status();
        PrintWriter err = spec.commandLine().getErr();
        if (pause) {
            err.println("fr1: resync of " + mnt + " paused" + (s.resync().active() ? ""
                    : " (none is running; the next one waits until 'fr1 resync resume')"));
        } else {
            err.println("fr1: resync of " + mnt + " resumed" + (s.resync().active() ? "" : " (none is running)"));
        }
        err.flush();
        return ExitCodes.OK;
    }
}
