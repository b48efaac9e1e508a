package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * The commands that send one request about one member to a running mount ({@code fail}, {@code remove},
 * {@code add}, {@code down}, {@code up}): {@code fr1 VERB MOUNTPOINT MEMBER}. Subclasses say which request and
 * what to report once it is done.
 */
abstract class MemberCommand implements Callable<Integer> {

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = MountClients.MOUNTPOINT_HELP
            + " Also the raiddev name in the raidtab, which stands for its mountpoint.")
    String mountpoint;

    @Parameters(index = "1", paramLabel = "MEMBER", description = "The member: its index (see fr1 status) or its path.")
    String member;

    /** The request to send. */
    abstract Request request();

    /** The line to print on success, or null for none. */
    abstract String done();

    @Override
    public final Integer call() throws Exception {
        // raidtools2 habits: 'raidhotadd md0 /dev/sdc' names the array; its raidtab fr1-mountpoint is meant.
        String mnt = Raidtab.resolveMountpoint(mountpoint, null, false);
        MountClients.forMountpoint(parent.paths(), mnt).call(MountClients.request(spec, this::request));
        String line = done();
        if (line != null) {
            spec.commandLine().getErr().println(line);
        }
        return ExitCodes.OK;
    }
}
