package fr1.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** raidtools2's {@code mkraid [--config FILE] [--force] ARRAY}: {@code fr1 create --config FILE --array ARRAY}. */
@Command(name = "mkraid", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "raidtools2: create the array ARRAY as the raidtab describes it (its devices, spares, chunk-size "
                        + "and fr1-size). The same as 'fr1 create --config FILE --array ARRAY'.",
                "",
                "Without fr1-size, as raidtools2 does, the size comes from the smallest device (a file's length, "
                        + "a block device's size; every device must exist): the largest multiple of the chunk size "
                        + "that leaves room for fr1's metadata, said in one line. Devices that hold data are "
                        + "refused unless --force.",
                "",
                "Without --config the raidtab is /etc/raidtab, else /etc/fr1/raidtab."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 mkraid /dev/md0                            # from /etc/raidtab",
                "  fr1 mkraid /srv/vol/vol.img                     # raiddev /srv/vol/vol.img",
                "  fr1 mkraid --config /etc/fr1/vol.raidtab vol.img"})
final class MkraidCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config", "--configfile"}, paramLabel = "FILE",
            description = "The raidtab (default /etc/raidtab, then /etc/fr1/raidtab).")
    Path config;

    @Option(names = {"-f", "--force", "--really-force"},
            description = "Overwrite devices that hold fr1 metadata or other data.")
    boolean force;

    @Option(names = "--from", paramLabel = "IMAGE",
            description = "An existing plain image the array starts with (copied to the members).")
    Path from;

    @Parameters(paramLabel = "ARRAY", description = "The raiddev name (md0 matches /dev/md0).")
    String array;

    @Override
    public Integer call() throws Exception {
        Raidtab.Array a = Raidtab.read(Raidtab.locate(config)).select(array);
        return CreateCommand.fromRaidtab(spec, a, force, from);
    }
}
