package fr1.cli;

import fr1.control.Units;
import fr1.engine.CreateSpec;
import fr1.engine.Mirror;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code fr1 create --size SIZE [--chunk-size 64K] [--force] [--from IMAGE] MEMBER...}. */
@Command(name = "create", aliases = "mkraid", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Create a new array: write fr1's metadata to every member (files are created and sized as needed). "
                        + "Each member holds the image at offset 0 and the metadata in a reserved area after it.",
                "",
                "Paths that already hold fr1 metadata or other data are refused unless --force is given."},
        footerHeading = "%nExamples:%n",
        footer = {
                "  fr1 create --size 10G /data/a.img /nfs/b.img",
                "  fr1 create --size 512M --chunk-size 1M /dev/sdb1 /mnt/nas/disk.img",
                "  fr1 create --from vm.img /nfs/b.img    # start from an existing image"})
final class CreateCommand implements Callable<Integer> {

    static final int MIN_CHUNK = 4 << 10;
    static final int MAX_CHUNK = 64 << 20;
    static final long ALIGN = 4 << 10;

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Size of the image: a number with an optional suffix K, M, G or T (binary, 1K = 1024), "
                    + "a multiple of 4K. Required unless --from gives it.")
    Long size;

    @Option(names = "--chunk-size", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "64K",
            description = "Unit of dirty and missed-chunk tracking: a power of two from 4K to 64M "
                    + "(default: ${DEFAULT-VALUE}). Larger chunks mean smaller bitmaps and coarser resyncs.")
    long chunkSize;

    @Option(names = "--force", description = "Overwrite members that hold fr1 metadata or other data.")
    boolean force;

    @Option(names = "--from", paramLabel = "IMAGE",
            description = "An existing plain image whose content the new array starts with (copied to the members).")
    Path from;

    @Parameters(paramLabel = "MEMBER", arity = "1..*",
            description = "Member paths: files (created if missing) or block devices; 2 to " + Mirror.MAX_MEMBERS + ".")
    List<Path> members;

    @Override
    public Integer call() throws Exception {
        validate();
        long imageSize = size != null ? size : -1;
        Mirror.create(new CreateSpec(imageSize, (int) chunkSize, List.copyOf(members), force, from));
        spec.commandLine().getErr().println("fr1: created " + members.size() + "-member array"
                + (size != null ? ", size " + Units.human(size) : "") + ", chunk " + Units.exact(chunkSize));
        return ExitCodes.OK;
    }

    private void validate() {
        if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK || Long.bitCount(chunkSize) != 1) {
            throw usage("--chunk-size " + Units.exact(chunkSize) + ": must be a power of two from 4K to 64M");
        }
        if (size == null && from == null) {
            throw usage("--size is required (or --from IMAGE to take the size of an existing image)");
        }
        if (size != null && (size <= 0 || size % ALIGN != 0)) {
            throw usage("--size " + size + ": must be a positive multiple of 4K");
        }
        if (from == null && members.size() < 2) {
            throw usage("a mirror needs at least 2 members, got " + members.size());
        }
        if (members.size() > Mirror.MAX_MEMBERS) {
            throw usage("at most " + Mirror.MAX_MEMBERS + " members, got " + members.size());
        }
        if (members.stream().map(p -> p.toAbsolutePath().normalize()).distinct().count() != members.size()) {
            throw usage("a member path is given twice");
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** Lets picocli report a malformed size as a usage error naming the option. */
    static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Sizes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
