package fr1.cli;

import fr1.cli.Raidtab.Array;
import fr1.cli.Raidtab.Device;
import fr1.cli.Raidtab.Role;
import fr1.engine.Mirror;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static fr1.cli.Raidtab.*;

/**
 * Reads raidtab text line by line into a {@link Raidtab}: one {@link Section} per raiddev, every problem a usage
 * error naming the file and line. The model and what is done with it (locating the file, choosing an array,
 * resolving a mountpoint) stay in {@link Raidtab}.
 */
final class RaidtabParser {
    private final Path file;
    private final List<Array> arrays = new ArrayList<>();
    private final Map<String, Integer> arrayLines = new HashMap<>();
    private final Map<Path, String> deviceOwners = new HashMap<>();
    private Section current;
    private int lineNo;

    RaidtabParser(Path file) {
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

        void apply(String key, String value, RaidtabParser p) {
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

        Array build(RaidtabParser p) {
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
        private void checkRoles(RaidtabParser p, List<Role> roles, int count, String countKey, String what) {
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
