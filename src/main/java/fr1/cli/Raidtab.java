package fr1.cli;

import fr1.engine.Mirror;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

    private Raidtab(Path file, List<Array> arrays) {
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
        return new Parser(file).parse(text);
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

    /** Line-by-line reader; one builder per raiddev section. */
    private static final class Parser {
        private final Path file;
        private final List<Array> arrays = new ArrayList<>();
        private final Map<String, Integer> arrayLines = new HashMap<>();
        private final Map<Path, String> deviceOwners = new HashMap<>();
        private Section current;
        private int lineNo;

        Parser(Path file) {
            this.file = file;
        }

        Raidtab parse(String text) {
            String[] lines = text.split("\r?\n", -1);
            for (int i = 0; i < lines.length; i++) {
                lineNo = i + 1;
                String line = stripComment(lines[i]).strip();
                if (line.isEmpty()) {
                    continue;
                }
                int ws = firstSpace(line);
                String key = (ws < 0 ? line : line.substring(0, ws)).toLowerCase(Locale.ROOT);
                String value = ws < 0 ? "" : line.substring(ws).strip();
                apply(key, value);
            }
            finish();
            return new Raidtab(file, arrays);
        }

        private void apply(String key, String value) {
            if (key.equals("raiddev")) {
                finish();
                String name = need(key, value);
                Integer before = arrayLines.putIfAbsent(name, lineNo);
                if (before != null) {
                    throw error("raiddev '" + name + "' is already defined on line " + before);
                }
                current = new Section(name, lineNo);
                return;
            }
            if (!Section.KEYS.contains(key)) {
                throw error("unknown key '" + key + "'");
            }
            if (current == null) {
                throw error("'" + key + "' before any raiddev line");
            }
            current.apply(key, value, this);
        }

        private void finish() {
            if (current != null) {
                Array a = current.build(this);
                for (Device d : a.devices()) {
                    String owner = deviceOwners.putIfAbsent(d.path(), a.name());
                    if (owner != null && !owner.equals(a.name())) {
                        throw errorAt(d.deviceLine(), "device " + d.path() + " is also in raiddev " + owner);
                    }
                }
                arrays.add(a);
                current = null;
            }
        }

        String need(String key, String value) {
            if (value.isEmpty()) {
                throw error("'" + key + "' needs a value");
            }
            return value;
        }

        /** A path as written; one the OS cannot take (a NUL in it) is a usage error like any other. */
        Path path(String key, String v) {
            try {
                return Path.of(v);
            } catch (java.nio.file.InvalidPathException e) {
                throw error(key + ": not a usable path (" + e.getReason() + ")");
            }
        }

        int number(String key, String value) {
            String v = need(key, value);
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw error(key + " '" + v + "': expected a whole number");
            }
        }

        CliException error(String message) {
            return errorAt(lineNo, message);
        }

        CliException errorAt(int line, String message) {
            return new CliException(ExitCodes.USAGE, file + ":" + line + ": " + message);
        }

        int line() {
            return lineNo;
        }

        /** Cuts a comment: '#' at the start or after white space ('a#b' is a name, not a comment). */
        private static String stripComment(String line) {
            for (int i = 0; i < line.length(); i++) {
                if (line.charAt(i) == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                    return line.substring(0, i);
                }
            }
            return line;
        }

        private static int firstSpace(String s) {
            for (int i = 0; i < s.length(); i++) {
                if (Character.isWhitespace(s.charAt(i))) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** One raiddev section while it is read. */
    private static final class Section {
        static final List<String> KEYS = List.of("raid-level", "nr-raid-disks", "nr-spare-disks", "chunk-size",
                "persistent-superblock", "device", "raid-disk", "spare-disk", "failed-disk", "fr1-size", "fr1-image",
                "fr1-options", "fr1-mountpoint");

        final String name;
        final int line;
        final Map<String, Integer> seen = new LinkedHashMap<>();
        final List<Device> devices = new ArrayList<>();
        Integer nrRaid;
        int nrSpare;
        int chunkKiB = DEFAULT_CHUNK_KIB;
        boolean level;
        Long size;
        String image;
        String options = "";
        Path mountpoint;
        Path pending;
        int pendingLine;

        Section(String name, int line) {
            this.name = name;
            this.line = line;
        }

        void apply(String key, String value, Parser p) {
            boolean role = key.equals("raid-disk") || key.equals("spare-disk") || key.equals("failed-disk");
            if (!key.equals("device") && !role) {
                Integer before = seen.putIfAbsent(key, p.line());
                if (before != null) {
                    throw p.error("'" + key + "' given twice in raiddev " + name + " (first on line " + before + ")");
                }
            }
            if (pending != null && !role) {
                throw p.errorAt(pendingLine, "device " + pending + " needs a raid-disk, spare-disk or failed-disk "
                        + "line right after it");
            }
            switch (key) {
                case "raid-level" -> {
                    String v = p.need(key, value);
                    if (!v.equals("1") && !v.equalsIgnoreCase("raid1") && !v.equalsIgnoreCase("mirror")) {
                        throw p.error("raid-level " + v + ": fr1 does RAID1 only (raid-level 1)");
                    }
                    level = true;
                }
                case "nr-raid-disks" -> {
                    int n = p.number(key, value);
                    if (n < 1 || n > Mirror.MAX_MEMBERS) {
                        throw p.error("nr-raid-disks " + n + ": must be from 1 to " + Mirror.MAX_MEMBERS);
                    }
                    nrRaid = n;
                }
                case "nr-spare-disks" -> {
                    int n = p.number(key, value);
                    if (n < 0 || n > Mirror.MAX_MEMBERS) {
                        throw p.error("nr-spare-disks " + n + ": must be from 0 to " + Mirror.MAX_MEMBERS);
                    }
                    nrSpare = n;
                }
                case "chunk-size" -> {
                    int n = p.number(key, value);
                    if (n < MIN_CHUNK_KIB || n > MAX_CHUNK_KIB || Integer.bitCount(n) != 1) {
                        throw p.error("chunk-size " + n + ": must be a power of two from " + MIN_CHUNK_KIB + " to "
                                + MAX_CHUNK_KIB + " (KiB)");
                    }
                    chunkKiB = n;
                }
                case "persistent-superblock" -> {
                    String v = p.need(key, value);
                    if (!v.equals("1")) {
                        throw p.error("persistent-superblock " + v + ": must be 1 (fr1 always keeps its metadata "
                                + "on the members)");
                    }
                }
                case "device" -> {
                    String v = p.need(key, value);
                    Path path = p.path(key, v);
                    if (!path.isAbsolute()) {
                        throw p.error("device " + v + ": use an absolute path");
                    }
                    pending = path.normalize();
                    pendingLine = p.line();
                    for (Device d : devices) {
                        if (d.path().equals(pending)) {
                            throw p.error("device " + pending + " is listed twice (also on line " + d.deviceLine()
                                    + ")");
                        }
                    }
                }
                case "raid-disk", "spare-disk", "failed-disk" -> {
                    if (pending == null) {
                        throw p.error("'" + key + "' without a device line right before it");
                    }
                    int n = p.number(key, value);
                    if (n < 0) {
                        throw p.error(key + " " + n + ": must not be negative");
                    }
                    Role r = key.equals("raid-disk") ? Role.RAID : key.equals("spare-disk") ? Role.SPARE : Role.FAILED;
                    devices.add(new Device(pending, r, n, p.line(), pendingLine));
                    pending = null;
                }
                case "fr1-size" -> {
                    String v = p.need(key, value);
                    long bytes;
                    try {
                        bytes = Sizes.parse(v);
                    } catch (IllegalArgumentException e) {
                        throw p.error("fr1-size: " + e.getMessage());
                    }
                    if (bytes <= 0 || bytes % CreateCommand.ALIGN != 0) {
                        throw p.error("fr1-size " + v + ": must be a positive multiple of 4K");
                    }
                    size = bytes;
                }
                case "fr1-image" -> {
                    String v = p.need(key, value);
                    if (!plainName(v)) {
                        throw p.error("fr1-image " + v + ": must be a plain file name, no '/'");
                    }
                    image = v;
                }
                case "fr1-options" -> {
                    String v = p.need(key, value);
                    try {
                        MountOptions.parse(v).mirrorOptions();
                    } catch (IllegalArgumentException e) {
                        throw p.error("fr1-options: " + e.getMessage());
                    }
                    for (String item : v.split(",")) {
                        if (item.strip().startsWith("name=")) {
                            throw p.error("fr1-options: give the image name with fr1-image, not name=");
                        }
                    }
                    options = v;
                }
                case "fr1-mountpoint" -> {
                    String v = p.need(key, value);
                    Path mp = p.path(key, v);
                    if (!mp.isAbsolute()) {
                        throw p.error("fr1-mountpoint " + v + ": use an absolute path");
                    }
                    mountpoint = mp.normalize();
                }
                default -> throw new IllegalStateException(key);
            }
        }

        Array build(Parser p) {
            if (pending != null) {
                throw p.errorAt(pendingLine, "device " + pending + " needs a raid-disk, spare-disk or failed-disk "
                        + "line right after it");
            }
            if (!level) {
                throw p.errorAt(line, "raiddev " + name + ": raid-level missing (fr1 needs raid-level 1)");
            }
            if (nrRaid == null) {
                throw p.errorAt(line, "raiddev " + name + ": nr-raid-disks missing");
            }
            checkRoles(p, List.of(Role.RAID, Role.FAILED), nrRaid, "nr-raid-disks", "raid-disk or failed-disk");
            checkRoles(p, List.of(Role.SPARE), nrSpare, "nr-spare-disks", "spare-disk");
            if (devices.stream().noneMatch(d -> d.role() == Role.RAID)) {
                throw p.errorAt(line, "raiddev " + name + ": no raid-disk (every device is failed or spare)");
            }
            Path imagePath = imagePath(name);
            String img = image != null ? image : plainName(name) ? name
                    : imagePath != null ? imagePath.getFileName().toString() : DEFAULT_IMAGE;
            Path mp = mountpoint != null ? mountpoint : imagePath != null ? imagePath.getParent() : null;
            return new Array(name, p.file, line, chunkKiB << 10, devices, size, img, options, mp);
        }

        /** The count matches the key, and the numbers of these roles are 0..count-1, each once. */
        private void checkRoles(Parser p, List<Role> roles, int count, String countKey, String what) {
            List<Device> those = devices.stream().filter(d -> roles.contains(d.role())).toList();
            Integer countLine = seen.get(countKey);
            if (those.size() != count) {
                throw p.errorAt(countLine != null ? countLine : line, countKey + " is " + count
                        + (countLine == null ? " (not given)" : "") + " but " + those.size()
                        + (those.size() == 1 ? " device has " : " devices have ") + what);
            }
            Map<Integer, Device> byIndex = new HashMap<>();
            for (Device d : those) {
                if (d.index() >= count) {
                    throw p.errorAt(d.line(), d.role().key + " " + d.index() + ": out of range 0.." + (count - 1)
                            + " (" + countKey + " " + count + ")");
                }
                Device before = byIndex.putIfAbsent(d.index(), d);
                if (before != null) {
                    throw p.errorAt(d.line(), "number " + d.index() + " is already used by " + before.path()
                            + " (line " + before.line() + ")");
                }
            }
        }

        /**
         * The image's path when the raiddev name is one ({@code /srv/vol/vol.img}: an absolute path outside /dev,
         * below some directory, whose last element could be a file name), else null ({@code /dev/md0}, {@code vm.img}).
         */
        static Path imagePath(String name) {
            if (!name.startsWith("/") || name.endsWith("/") || name.equals("/dev") || name.startsWith("/dev/")) {
                return null;
            }
            Path p;
            try {
                p = Path.of(name).normalize();
            } catch (java.nio.file.InvalidPathException e) {
                return null;
            }
            Path parent = p.getParent();
            return p.getFileName() != null && parent != null && parent.getParent() != null
                    && plainName(p.getFileName().toString()) ? p : null;
        }

        private static boolean plainName(String v) {
            return !v.isEmpty() && !v.equals(".") && !v.equals("..") && v.indexOf('/') < 0 && v.length() <= 255
                    && v.chars().noneMatch(Character::isWhitespace) && v.indexOf(',') < 0;
        }
    }
}
