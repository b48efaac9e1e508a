package fr1.cli;


import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A raidtools2 raidtab: one or more arrays, each opened by {@code raiddev NAME}.
 * <pre>
 * raiddev vm.img                    # the array's name; a plain name is also the image's file name
 *     raid-level            1       # fr1 does RAID1 only
 *     nr-raid-disks         2       # must match the raid-disk and failed-disk lines
 *     nr-spare-disks        1       # must match the spare-disk lines (default 0)
 *     chunk-size            64      # KiB, a power of two from 4 to 65536 (default 64)
 *     persistent-superblock 1       # fr1 always keeps metadata on the members: must be 1 if given
 *     device    /data/a.img
 *     raid-disk 0
 *     device    /nfs/b.img
 *     raid-disk 1
 *     device    /nfs/c.img
 *     spare-disk 0
 *     fr1-size       10G            # image size, for mkraid / create (default: from the smallest device)
 *     fr1-image      vm.img         # image file name in the mount (see below)
 *     fr1-options    async,resync-max=50   # mount -o options
 *     fr1-mountpoint /srv/vm        # where raidstart mounts it
 * </pre>
 * {@code #} starts a comment (at the start of a line or after white space). A key's value is the rest of its
 * line, so paths may hold spaces. {@code device} lines name absolute paths and are each followed by exactly
 * one {@code raid-disk N}, {@code spare-disk N} or {@code failed-disk N}; the raid-disk numbers give the
 * member order. A failed-disk is a member slot left out: mount assembles the array without it (degraded),
 * and create refuses it.
 * <p>
 * The image path is the array's device name, as {@code /dev/md0} is for raidtools2: {@code raiddev
 * /srv/vol/vol.img} (an absolute path outside /dev) means the image {@code vol.img} at the mountpoint
 * {@code /srv/vol}, unless {@code fr1-image} or {@code fr1-mountpoint} say otherwise. Otherwise the image's file
 * name in the mount is {@code fr1-image} if given; else the {@code raiddev} name when it is a plain file name
 * ({@code raiddev vm.img} gives {@code MOUNTPOINT/vm.img}); else ({@code raiddev /dev/md0}, as raidtools users
 * write it) fr1's default {@code disk.img}. An array is selected by its raiddev name or that name's last path
 * element ({@code md0} selects {@code /dev/md0}).
 * <p>
 * Every error names the file and the line: {@code /etc/fr1/vol.raidtab:7: unknown key 'raid-dsik'}; it is a
 * usage error (exit 2).
 */
final class Raidtab {

    /** Where raidtools2 commands look when no --config is given, in order. */
    static final List<Path> DEFAULT_PATHS = List.of(Path.of("/etc/raidtab"), Path.of("/etc/fr1/raidtab"));
    static final String DEFAULT_IMAGE = "disk.img";
    static final int MIN_CHUNK_KIB = 4;
    static final int MAX_CHUNK_KIB = 64 << 10;
    static final int DEFAULT_CHUNK_KIB = 64;

    enum Role {
        RAID("raid-disk"), SPARE("spare-disk"), FAILED("failed-disk");

        final String key;

        Role(String key) {
            this.key = key;
        }
    }

    /** A {@code device} line ({@code deviceLine}) and the role line after it ({@code line}). */
    record Device(Path path, Role role, int index, int line, int deviceLine) {
    }

    /**
     * One {@code raiddev} section.
     *
     * @param size       {@code fr1-size} in bytes, or null
     * @param options    {@code fr1-options}, or "" (validated as mount options)
     * @param mountpoint {@code fr1-mountpoint}, else the directory of the raiddev name when that is the image's
     *                   path ({@code /srv/vol} for {@code raiddev /srv/vol/vol.img}), else null
     */
    record Array(String name, Path file, int line, int chunkSize, List<Device> devices, Long size,
                 String imageName, String options, Path mountpoint) {

        Array {
            devices = List.copyOf(devices);
        }

        /** The raid-disk paths in raid-disk order (failed-disks are left out). */
        List<Path> members() {
            return devices.stream().filter(d -> d.role() == Role.RAID)
                    .sorted(Comparator.comparingInt(Device::index)).map(Device::path).toList();
        }

        /** The spare-disk paths in spare-disk order. */
        List<Path> spares() {
            return devices.stream().filter(d -> d.role() == Role.SPARE)
                    .sorted(Comparator.comparingInt(Device::index)).map(Device::path).toList();
        }

        List<Device> failed() {
            return devices.stream().filter(d -> d.role() == Role.FAILED).toList();
        }

        /** What {@code fr1 mount} gets: members, then spares (their metadata says they are spares). */
        List<Path> mountPaths() {
            List<Path> all = new ArrayList<>(members());
            all.addAll(spares());
            return all;
        }

        /** The mount options for this array: {@code name=IMAGE}, then {@code fr1-options}. */
        String mountOptions() {
            return options.isEmpty() ? "name=" + imageName : "name=" + imageName + "," + options;
        }

        /** "FILE:LINE: " of the raiddev line, for messages about the whole array. */
        String where() {
            return file + ":" + line + ": ";
        }

        boolean matches(String wanted) {
            return name.equals(wanted) || lastElement(name).equals(lastElement(wanted));
        }
    }

    private final Path file;
    private final List<Array> arrays;

    Raidtab(Path file, List<Array> arrays) {
        this.file = file;
        this.arrays = List.copyOf(arrays);
    }

    Path file() {
        return file;
    }

    List<Array> arrays() {
        return arrays;
    }

    /** The config to use: the given one, else the first of {@link #DEFAULT_PATHS} that exists. */
    static Path locate(Path given) {
        return locate(given, DEFAULT_PATHS);
    }

    static Path locate(Path given, List<Path> defaults) {
        if (given != null) {
            return given;
        }
        for (Path p : defaults) {
            if (Files.exists(p)) {
                return p;
            }
        }
        throw new CliException(ExitCodes.USAGE, "no raidtab: give --config FILE (looked for "
                + defaults.stream().map(Path::toString).collect(Collectors.joining(" and ")) + ")");
    }

    /**
     * What raidtools2-style commands accept where a mountpoint goes: a mountpoint, or the name of an array in
     * the raidtab ({@code raidstop md0}), which stands for its fr1-mountpoint. An existing path is taken as it
     * is. Otherwise the raidtab ({@code config}, else the default one if there is one) is looked up.
     *
     * @param strict if false, a missing or broken default raidtab and an unknown name give {@code arg} back
     *               (the caller then reports that no fr1 mount is there); if true they are errors
     */
    static String resolveMountpoint(String arg, Path config, boolean strict) throws IOException {
        try {
            if (Files.exists(Path.of(arg))) {
                return arg;
            }
        } catch (java.nio.file.InvalidPathException e) {
            return arg;
        }
        Path file;
        if (config != null) {
            file = config;
        } else {
            file = DEFAULT_PATHS.stream().filter(Files::exists).findFirst().orElse(null);
            if (file == null) {
                return arg;
            }
        }
        Array a;
        try {
            Raidtab tab = read(file);
            if (!strict && tab.arrays.stream().noneMatch(x -> x.matches(arg))) {
                return arg;
            }
            a = tab.select(arg);
        } catch (CliException e) {
            if (strict || config != null) {
                throw e;
            }
            return arg;
        }
        if (a.mountpoint() == null) {
            throw new CliException(ExitCodes.USAGE, a.where() + "raiddev " + a.name()
                    + " has no fr1-mountpoint: give the mountpoint instead");
        }
        return a.mountpoint().toString();
    }

    /** Reads and checks a raidtab; every problem is a usage error naming the file and line. */
    static Raidtab read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.USAGE, file + ": no such file (the raidtab)");
        } catch (MalformedInputException e) {
            throw new CliException(ExitCodes.USAGE, file + ": not a text file (not UTF-8)");
        }
        return parse(text, file.toAbsolutePath().normalize());
    }

    /** Parses raidtab text; {@code file} names it in messages. */
    static Raidtab parse(String text, Path file) {
        return new RaidtabParser(file).parse(text);
    }

    /**
     * The array named {@code wanted}, or the only one when {@code wanted} is null.
     *
     * @throws CliException (usage) if there is no such array, or several and none was named
     */
    Array select(String wanted) {
        if (arrays.isEmpty()) {
            throw new CliException(ExitCodes.USAGE, file + ": no raiddev in the file");
        }
        if (wanted == null) {
            if (arrays.size() == 1) {
                return arrays.getFirst();
            }
            throw new CliException(ExitCodes.USAGE, file + " has " + arrays.size() + " arrays ("
                    + names() + "): name one");
        }
        List<Array> exact = arrays.stream().filter(a -> a.name().equals(wanted)).toList();
        if (exact.size() == 1) {
            return exact.getFirst();
        }
        List<Array> found = arrays.stream().filter(a -> a.matches(wanted)).toList();
        if (found.size() == 1) {
            return found.getFirst();
        }
        if (found.isEmpty()) {
            throw new CliException(ExitCodes.USAGE, "no raiddev '" + wanted + "' in " + file + " (it has "
                    + names() + ")");
        }
        throw new CliException(ExitCodes.USAGE, "'" + wanted + "' matches several arrays in " + file + " ("
                + found.stream().map(Array::name).collect(Collectors.joining(", ")) + "): give the full name");
    }

    private String names() {
        return arrays.stream().map(Array::name).collect(Collectors.joining(", "));
    }

    static String lastElement(String name) {
        String s = name;
        while (s.length() > 1 && s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        int slash = s.lastIndexOf('/');
        return slash < 0 || s.length() == 1 ? s : s.substring(slash + 1);
    }
}
