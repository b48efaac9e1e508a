package fr1.cli;

import fr1.control.Units;
import fr1.engine.CreateSpec;
import fr1.engine.ImageSize;
import fr1.engine.Mirror;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code fr1 create --size SIZE [--chunk-size 64K] [--force] [--from IMAGE] [--spare PATH]... MEMBER...} and
 * {@code fr1 create --config FILE [--array NAME]}.
 */
@Command(name = "create", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        customSynopsis = {"fr1 create [--size SIZE] [--chunk-size SIZE] [--bitmap-chunk SIZE]",
                "           [--force] [--from IMAGE] [--spare PATH]... MEMBER...",
                "fr1 create --config FILE [--array NAME] [--force] [--from IMAGE]"},
        description = {
                "Create a new array: write fr1's metadata to every member (files are created and sized as needed). "
                        + "Each member holds the image at offset 0 and the metadata in a reserved area after it.",
                "",
                "Without --size (and --from), as raidtools2 does, the size comes from the smallest member (a "
                        + "file's length, a block device's size; every member must exist): the largest multiple "
                        + "of the chunk size that leaves room for the metadata, said in one line ('fr1: size "
                        + "63.9M from the smallest member /dev/sdb1').",
                "",
                "Paths that already hold fr1 metadata or other data are refused unless --force is given. "
                        + "Spares get this array's metadata and stand by; when a member is removed, a spare takes "
                        + "its place with a full resync.",
                "",
                "With --config the members, spares, size (fr1-size, else from the smallest device) and chunk size "
                        + "come from a raidtab "
                        + "('fr1 mkraid' is the same in raidtools2 form). When existing content is copied "
                        + "(--from), a progress bar shows on a terminal."},
        footerHeading = "%nExamples:%n",
        footer = {
                "  fr1 create --size 10G /data/a.img /nfs/b.img",
                "  fr1 create --size 512M --chunk-size 1M /dev/sdb1 /mnt/nas/disk.img",
                "  fr1 create /dev/sdb1 /dev/sdc1              # size from the smaller",
                "  fr1 create --size 10G --spare /data/s.img /data/a.img /nfs/b.img",
                "  fr1 create --from vm.img /nfs/b.img    # start from an existing image",
                "  fr1 create --config /etc/fr1/vol.raidtab"})
final class CreateCommand implements Callable<Integer> {

    static final int MIN_CHUNK = 4 << 10;
    static final int MAX_CHUNK = 64 << 20;
    static final long ALIGN = 4 << 10;
    static final long DEFAULT_CHUNK = 64 << 10;
    static final long MAX_BITMAP_CHUNK = 1 << 30;

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Size of the image: a number with an optional suffix K, M, G or T (binary, 1K = 1024), "
                    + "a multiple of 4K. Default: the size of the --from image, else from the smallest member "
                    + "(every member must exist then).")
    Long size;

    @Option(names = "--chunk-size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Unit of dirty and missed-chunk tracking: a power of two from 4K to 64M "
                    + "(default: 64K). Larger chunks mean smaller bitmaps and coarser resyncs.")
    Long chunkSize;

    @Option(names = "--bitmap-chunk", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Bytes one write-intent bit covers: a power of two from the chunk size to 1G "
                    + "(default: 16M, or the chunk size if larger). Larger means fewer bitmap writes under "
                    + "scattered writes and more to resync after a crash.")
    Long bitmapChunk;

    @Option(names = "--force", description = "Overwrite members that hold fr1 metadata or other data.")
    boolean force;

    @Option(names = "--from", paramLabel = "IMAGE",
            description = "An existing plain image whose content the new array starts with (copied to the members; "
                    + "only its data moves: its holes and pages of zeros stay holes).")
    Path from;

    @Option(names = "--spare", paramLabel = "PATH",
            description = "A spare (repeatable): stands by until a member is removed, then replaces it.")
    List<Path> spares = new ArrayList<>();

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Take members, spares, size and chunk size from this raidtab.")
    Path config;

    @Option(names = "--array", paramLabel = "NAME",
            description = "With --config: the raiddev to create (needed when the file has several).")
    String array;

    @Parameters(paramLabel = "MEMBER", arity = "0..*",
            description = "Member paths: files (created if missing) or block devices; 2 to " + Mirror.MAX_MEMBERS
                    + " with the spares.")
    List<Path> members = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (config != null) {
            if (!members.isEmpty() || size != null || chunkSize != null || !spares.isEmpty()
                    || bitmapChunk != null) {
                throw usage("with --config the members, spares, size and chunk size come from the raidtab; "
                        + "give no MEMBER, --size, --chunk-size, --bitmap-chunk or --spare");
            }
            Raidtab.Array a = Raidtab.read(config).select(array);
            return fromRaidtab(spec, a, force, from);
        }
        if (array != null) {
            throw usage("--array needs --config");
        }
        if (members.isEmpty()) {
            throw usage("Missing required parameter: 'MEMBER'");
        }
        long chunk = chunkSize != null ? chunkSize : DEFAULT_CHUNK;
        validate(chunk);
        if (bitmapChunk != null && (bitmapChunk < chunk || bitmapChunk > MAX_BITMAP_CHUNK
                || Long.bitCount(bitmapChunk) != 1)) {
            throw usage("--bitmap-chunk " + Units.exact(bitmapChunk) + ": must be a power of two from the chunk size ("
                    + Units.exact(chunk) + ") to 1G");
        }
        int bits = bitmapChunk != null ? bitmapChunk.intValue() : 0;
        ImageSize.Fit fit = size == null && from == null ? sizeFromMembers(members, spares, chunk, bits,
                "--size is required when a member does not exist yet (%s does not; without --size the "
                        + "smallest member gives the size)") : null;
        create(spec, fit != null ? Long.valueOf(fit.size()) : size, chunk, bits, members, spares, force, from, fit);
        return ExitCodes.OK;
    }

    /** {@code create --config} and {@code mkraid}: the array as the raidtab describes it. */
    static int fromRaidtab(CommandSpec spec, Raidtab.Array a, boolean force, Path from) throws Exception {
        if (!a.failed().isEmpty()) {
            Raidtab.Device d = a.failed().getFirst();
            throw new CliException(ExitCodes.USAGE, a.file() + ":" + d.line() + ": failed-disk " + d.index()
                    + ": create makes every member, so list " + d.path() + " as a raid-disk (to start from an "
                    + "existing image use --from)");
        }
        if (from == null && a.members().size() < 2) {
            throw new CliException(ExitCodes.USAGE, a.where() + "raiddev " + a.name()
                    + ": a mirror needs at least 2 raid-disks, got " + a.members().size());
        }
        ImageSize.Fit fit = a.size() == null && from == null ? sizeFromMembers(a.members(), a.spares(),
                a.chunkSize(), 0, a.where().replace("%", "%%") + "raiddev " + a.name().replace("%", "%%")
                        + " has no fr1-size and device %s does not exist: give fr1-size (the image size), or create "
                        + "the devices first (the smallest gives the size)") : null;
        create(spec, fit != null ? Long.valueOf(fit.size()) : a.size(), a.chunkSize(), 0, a.members(), a.spares(), force, from,
                fit);
        return ExitCodes.OK;
    }

    /**
     * The image size raidtools2 would take: from the smallest member (every one must exist; spares that exist count
     * too), rounded down to the chunk size after fr1's metadata area.
     *
     * @param missing the usage error when a member does not exist, a format with one {@code %s} for its path
     */
    static ImageSize.Fit sizeFromMembers(List<Path> members, List<Path> spares, long chunk, int bitmapChunk,
                                         String missing) throws IOException {
        for (Path p : members) {
            if (!Files.exists(p)) {
                throw new CliException(ExitCodes.USAGE, missing.formatted(p));
            }
        }
        return ImageSize.fromMembers(members, spares, (int) chunk, bitmapChunk);
    }

    /**
     * Creates the array, with a progress bar on a terminal while content is copied; reports on stderr.
     *
     * @param fit where the size came from when the members gave it, else null
     */
    static void create(CommandSpec spec, Long size, long chunk, int bitmapChunk, List<Path> members,
                       List<Path> spares, boolean force, Path from, ImageSize.Fit fit) throws Exception {
        long imageSize = size != null ? size : -1;
        CreateSpec createSpec = new CreateSpec(imageSize, (int) chunk, List.copyOf(members), force, from,
                List.copyOf(spares), bitmapChunk);
        PrintWriter err = spec.commandLine().getErr();
        try (CopyProgress progress = CopyProgress.start(err, copyBytes(size, members, from))) {
            Mirror.create(createSpec);
            progress.finish();
        }
        Path source = from != null ? from.toAbsolutePath().normalize() : null;
        boolean fromIsMember = members.stream().anyMatch(p -> p.toAbsolutePath().normalize().equals(source));
        int count = members.size() + (from != null && !fromIsMember ? 1 : 0); // --from IMAGE becomes member 0
        if (fit != null) {
            err.println("fr1: size " + Units.human(fit.size()) + " from the smallest member " + fit.smallest());
        }
        err.println("fr1: created " + count + "-member array"
                + (spares.isEmpty() ? "" : " with " + spares.size() + (spares.size() == 1 ? " spare" : " spares"))
                + (size != null ? ", size " + Units.human(size) : "") + ", chunk " + Units.exact(chunk));
        err.flush();
    }

    /** What a create copies at most: the image to every member but the source (0 if nothing is known). */
    static long copyBytes(Long size, List<Path> members, Path from) {
        long image;
        try {
            image = size != null ? size : from != null ? Files.size(from) : 0;
        } catch (IOException e) {
            return 0;
        }
        Path source = from != null ? from.toAbsolutePath().normalize() : null;
        long targets = members.stream().map(p -> p.toAbsolutePath().normalize()).filter(p -> !p.equals(source))
                .distinct().count();
        if (source == null) {
            targets--; // member 0 is the source when existing members are made identical
        }
        return Math.max(0, targets) * image;
    }

    private void validate(long chunk) {
        if (chunk < MIN_CHUNK || chunk > MAX_CHUNK || Long.bitCount(chunk) != 1) {
            throw usage("--chunk-size " + Units.exact(chunk) + ": must be a power of two from 4K to 64M");
        }
        if (size != null && (size <= 0 || size % ALIGN != 0)) {
            throw usage("--size " + size + ": must be a positive multiple of 4K");
        }
        if (from == null && members.size() < 2) {
            throw usage("a mirror needs at least 2 members, got " + members.size());
        }
        if (members.size() + spares.size() > Mirror.MAX_MEMBERS) {
            throw usage("at most " + Mirror.MAX_MEMBERS + " members and spares, got "
                    + (members.size() + spares.size()));
        }
        List<Path> all = new ArrayList<>(members);
        all.addAll(spares);
        if (all.stream().map(p -> p.toAbsolutePath().normalize()).distinct().count() != all.size()) {
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
