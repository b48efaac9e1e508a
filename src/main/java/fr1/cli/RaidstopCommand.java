package fr1.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** raidtools2's {@code raidstop MOUNTPOINT|ARRAY | --all}: {@code fr1 umount}. */
@Command(name = "raidstop", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "raidtools2: stop (unmount) an array cleanly, named by its mountpoint or by its raiddev name in "
                        + "the raidtab (then its mountpoint), or by the image's path. The same as 'fr1 umount'. With --all, every "
                        + "array of the raidtab that is running.",
                "",
                "Detach loop devices on the image first (see fr1-loop@.service)."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 raidstop /srv/vol", "  fr1 raidstop md0", "  fr1 raidstop --config /etc/fr1/vol.raidtab --all"})
final class RaidstopCommand implements Callable<Integer> {

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config", "--configfile"}, paramLabel = "FILE",
            description = "The raidtab for ARRAY names (default /etc/raidtab, then /etc/fr1/raidtab).")
    Path config;

    @Option(names = {"-a", "--all"}, description = "Stop every array of the raidtab that is running.")
    boolean all;

    @Parameters(arity = "0..1", paramLabel = "MOUNTPOINT|ARRAY", description = "The mountpoint, the image's path "
            + "in it, or the raiddev name.")
    String target;

    @Override
    public Integer call() throws Exception {
        if (all == (target != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either MOUNTPOINT|ARRAY or --all");
        }
        PrintWriter err = spec.commandLine().getErr();
        if (!all) {
            String mnt = Raidtab.resolveMountpoint(target, config, config != null);
            int s = UmountCommand.umount(parent.paths(), mnt, err);
            err.println("fr1: stopped " + mnt);
            err.flush();
            return s;
        }
        Raidtab tab = Raidtab.read(Raidtab.locate(config));
        int status = ExitCodes.OK;
        for (Raidtab.Array a : tab.arrays()) {
            if (a.mountpoint() == null || !MountClients.isServed(parent.paths(), a.mountpoint())) {
                continue;
            }
            try {
                UmountCommand.umount(parent.paths(), a.mountpoint().toString(), err);
                err.println("fr1: stopped " + a.name() + " at " + a.mountpoint());
            } catch (Exception e) {
                status = ExitCodes.of(e);
                err.println("fr1: " + a.name() + ": " + ExitCodes.message(e));
            }
            err.flush();
        }
        return status;
    }
}
