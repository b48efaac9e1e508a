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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** raidtools2's {@code raidstart [--config FILE] ARRAY | --all}: mount at the array's mountpoint in the raidtab. */
@Command(name = "raidstart", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "raidtools2: start (mount) the array ARRAY at its mountpoint, with its devices, spares, image "
                        + "name and fr1-options from the raidtab. The same as 'fr1 mount --config FILE --array "
                        + "ARRAY'. The mountpoint is fr1-mountpoint, else the directory of a raiddev that is the "
                        + "image's path ('raiddev /srv/vol/vol.img': the image vol.img at /srv/vol). With --all, "
                        + "every array of the raidtab that has a mountpoint and is not mounted yet.",
                "",
                "Without --config the raidtab is /etc/raidtab, else /etc/fr1/raidtab."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 raidstart md0", "  fr1 raidstart /srv/vol/vol.img",
                "  fr1 raidstart --config /etc/fr1/vol.raidtab --all"})
final class RaidstartCommand implements Callable<Integer> {

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config", "--configfile"}, paramLabel = "FILE",
            description = "The raidtab (default /etc/raidtab, then /etc/fr1/raidtab).")
    Path config;

    @Option(names = {"-a", "--all"}, description = "Start every array in the raidtab that has a mountpoint.")
    boolean all;

    @Option(names = "-o", paramLabel = "OPTIONS", description = "More mount options (they win over fr1-options).")
    List<String> options = new ArrayList<>();

    @Parameters(arity = "0..1", paramLabel = "ARRAY", description = "The raiddev name (md0 matches /dev/md0).")
    String array;

    @Override
    public Integer call() throws Exception {
        if (all == (array != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either ARRAY or --all");
        }
        Raidtab tab = Raidtab.read(Raidtab.locate(config));
        String extra = String.join(",", options);
        if (!all) {
            return start(tab, tab.select(array), extra);
        }
        PrintWriter err = spec.commandLine().getErr();
        int status = ExitCodes.OK;
        for (Raidtab.Array a : tab.arrays()) {
            if (a.mountpoint() == null) {
                continue;
            }
            if (MountClients.isServed(parent.paths(), a.mountpoint())) {
                err.println("fr1: " + a.name() + " is already running at " + a.mountpoint());
                continue;
            }
            try {
                int s = start(tab, a, extra);
                if (s != ExitCodes.OK) {
                    status = s;
                }
            } catch (Exception e) {
                status = ExitCodes.of(e);
                err.println("fr1: " + a.name() + ": " + ExitCodes.message(e));
            }
            err.flush();
        }
        return status;
    }

    private int start(Raidtab tab, Raidtab.Array a, String extra) throws Exception {
        if (a.mountpoint() == null) {
            throw new CliException(ExitCodes.USAGE, a.where() + "raiddev " + a.name()
                    + " has no fr1-mountpoint (raidstart mounts there; or name the image's path in raiddev, or use "
                    + "fr1 mount --config)");
        }
        int s = MountCommand.mount(parent.paths(), spec, a.mountPaths(), a.mountpoint(),
                MountCommand.configOptions(tab, a, extra), false);
        if (s == ExitCodes.OK) {
            Path image = a.mountpoint().resolve(a.imageName());
            spec.commandLine().getErr().println(image.toString().equals(a.name())
                    ? "fr1: started " + image + " (mounted at " + a.mountpoint() + ")"
                    : "fr1: started " + a.name() + " at " + a.mountpoint() + " (" + image + ")");
            spec.commandLine().getErr().flush();
        }
        return s;
    }
}
