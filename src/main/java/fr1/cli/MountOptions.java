package fr1.cli;

import fr1.engine.MirrorOptions;
import fr1.fuse.FuseOptions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The {@code -o} options of {@code fr1 mount}, comma-separated as for mount(8):
 * <pre>
 * name=FILE        name of the image file in the mount      (default disk.img)
 * binding=B        jfuse (libfuse3) or jnr (libfuse2)        (default jfuse)
 * allow_other      let other users in (the mode still applies)
 * uid=N, gid=N     owner of the image file                   (default: the mounting user)
 * mode=OCTAL       permissions of the image file             (default 0600)
 * io-timeout=D     a member slower than this is failed       (default 5s; units ms, s, m)
 * probe-interval=D first wait before a faulty member is probed again; doubles up to 30s (default 1s)
 * async            acknowledge writes once the members that are not write-behind have them
 * write-behind=P[:P] with async: the members that may lag (default: all but the fastest at mount)
 * write-behind-max=N with async: queued writes per lagging member before it goes behind (default 256)
 * write-behind-bytes=SIZE with async: queued bytes per lagging member before it goes behind (default 64M)
 * max-lag=D        with async: slow writes so no write-behind member's recovery point passes D (default: none)
 * fsync=all        fsync also waits for write-behind members (default: only the others)
 * event-cmd=PROG   run PROG on every state change (as mdadm --monitor --program)
 * resync-min=N     resync/check speed kept up while other I/O goes on, MiB/s (md's speed_limit_min; default 16)
 * resync-max=N     resync/check speed ceiling, MiB/s; 0 = unlimited (md's speed_limit_max; default 0)
 * fsname=NAME      the source shown in /proc/mounts and df (default fr1; --config sets the raidtab's path)
 * metrics-file=PATH rewrite PATH (absolute) with Prometheus metrics every 5 s (node_exporter textfile collector)
 * </pre>
 * Generic mount(8) options that fstab lines carry ({@link #IGNORED}, {@code x-*}, {@code comment=}) are
 * accepted and ignored. Anything else is a usage error naming the option. Unset options keep the defaults
 * of {@link FuseOptions#defaults()} and {@link MirrorOptions#defaults()}.
 */
final class MountOptions {

    /** mount(8) options that mean nothing to fr1 but appear in fstab lines and helper calls. */
    static final Set<String> IGNORED = Set.of("rw", "defaults", "_netdev", "nofail", "noauto", "auto", "user",
            "nouser", "dev", "nodev", "suid", "nosuid", "exec", "noexec");

    private String imageName;
    private String binding;
    private boolean allowOther;
    private Integer uid;
    private Integer gid;
    private Integer mode;
    private Duration ioTimeout;
    private Duration probeInterval;
    private boolean async;
    private List<Path> writeBehind = List.of();
    private Integer writeBehindMax;
    private Long writeBehindBytes;
    private Duration maxLag;
    private boolean fsyncAll;
    private String eventCmd;
    private Long resyncMin;
    private Long resyncMax;
    private String fsname;
    private Path metricsFile;

    private MountOptions() {
    }

    /**
     * Parses an option string ({@code -o} values joined by commas); empty items are skipped.
     *
     * @throws IllegalArgumentException naming the offending option
     */
    static MountOptions parse(String options) {
        MountOptions o = new MountOptions();
        for (String item : options.split(",")) {
            String opt = item.strip();
            if (!opt.isEmpty()) {
                o.apply(opt);
            }
        }
        return o;
    }

    private void apply(String opt) {
        int eq = opt.indexOf('=');
        String key = eq < 0 ? opt : opt.substring(0, eq);
        String value = eq < 0 ? null : opt.substring(eq + 1);
        if (IGNORED.contains(key) || key.startsWith("x-") || key.equals("comment")) {
            return;
        }
        switch (key) {
            case "name" -> imageName = imageName(need(key, value));
            case "binding" -> binding = binding(need(key, value));
            case "allow_other" -> {
                if (value != null) {
                    throw new IllegalArgumentException("mount option 'allow_other' takes no value");
                }
                allowOther = true;
            }
            case "uid" -> uid = id(key, need(key, value));
            case "gid" -> gid = id(key, need(key, value));
            case "mode" -> mode = mode(need(key, value));
            case "io-timeout", "io_timeout" -> ioTimeout = timeout(key, need(key, value));
            case "probe-interval", "probe_interval" -> probeInterval = timeout(key, need(key, value));
            case "async" -> {
                if (value != null) {
                    throw new IllegalArgumentException("mount option 'async' takes no value");
                }
                async = true;
            }
            case "write-behind", "write_behind" -> writeBehind = Arrays.stream(need(key, value).split(":"))
                    .filter(s -> !s.isEmpty()).map(s -> Path.of(s).toAbsolutePath().normalize()).toList();
            case "write-behind-max", "write_behind_max" -> writeBehindMax = count(key, need(key, value));
            case "write-behind-bytes", "write_behind_bytes" -> writeBehindBytes = bytes(key, need(key, value));
            case "max-lag", "max_lag" -> maxLag = timeout(key, need(key, value));
            case "fsync" -> {
                String v = need(key, value);
                if (!v.equals("all") && !v.equals("sync")) {
                    throw new IllegalArgumentException("mount option 'fsync=" + v + "': use all or sync");
                }
                fsyncAll = v.equals("all");
            }
            case "event-cmd", "event_cmd" -> eventCmd = need(key, value);
            case "resync-min", "resync_min" -> resyncMin = mibPerSecond(key, need(key, value));
            case "resync-max", "resync_max" -> resyncMax = mibPerSecond(key, need(key, value));
            case "fsname" -> fsname = fsname(need(key, value));
            case "metrics-file", "metrics_file" -> metricsFile = fr1.control.MetricsFile.path(need(key, value));
            case "ro" -> throw new IllegalArgumentException("mount option 'ro': read-only mounts are not supported");
            default -> throw new IllegalArgumentException("unknown mount option '" + key + "'");
        }
    }

    /** The engine's settings: the defaults with {@code io-timeout} and {@code probe-interval} applied. */
    MirrorOptions mirrorOptions() {
        MirrorOptions o = MirrorOptions.defaults();
        if (ioTimeout != null) {
            o = o.withIoTimeout(ioTimeout);
        }
        if (probeInterval != null) {
            // The back-off cap stays unless the first interval is already longer.
            Duration max = probeInterval.compareTo(o.probeMaxInterval()) > 0 ? probeInterval : o.probeMaxInterval();
            o = o.withProbeInterval(probeInterval, max);
        }
        if (!writeBehind.isEmpty() && !async) {
            throw new IllegalArgumentException("mount option 'write-behind' needs 'async'");
        }
        if (maxLag != null && !async) {
            throw new IllegalArgumentException("mount option 'max-lag' needs 'async'");
        }
        if (resyncMin != null || resyncMax != null) {
            long max = resyncMax != null ? resyncMax : o.resyncMaxBps();
            long min = resyncMin != null ? resyncMin : o.resyncMinBps();
            if (max > 0 && min > max) {
                if (resyncMin != null) {
                    throw new IllegalArgumentException("mount option 'resync-min=" + (min >> 20)
                            + "' is above 'resync-max=" + (max >> 20) + "'");
                }
                min = max; // only a ceiling was given, below the default floor: the floor follows it down
            }
            o = o.withResyncSpeed(min, max);
        }
        if (async) {
            o = o.withAsync(writeBehind, writeBehindMax != null ? writeBehindMax : o.writeBehindMax(), fsyncAll);
            if (writeBehindBytes != null) {
                o = o.withWriteBehindBytes(writeBehindBytes);
            }
            if (maxLag != null) {
                o = o.withMaxLag(maxLag);
            }
        } else if (fsyncAll) {
            o = o.withFsyncAll(true);
        }
        return o;
    }

    /** The file named by metrics-file, or null. */
    Path metricsFile() {
        return metricsFile;
    }

    /** The program named by event-cmd, or null. */
    String eventCommand() {
        return eventCmd;
    }

    /** The FUSE settings: the defaults with every given option applied. */
    FuseOptions fuseOptions() {
        FuseOptions d = FuseOptions.defaults();
        return new FuseOptions(binding != null ? binding : d.binding(), imageName != null ? imageName : d.imageName(),
                allowOther || d.allowOther(), uid != null ? uid : d.uid(), gid != null ? gid : d.gid(),
                mode != null ? mode : d.mode(), fsname != null ? fsname : d.fsname());
    }

    private static String need(String key, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("mount option '" + key + "' needs a value (" + key + "=...)");
        }
        return value;
    }

    private static String imageName(String v) {
        if (v.equals(".") || v.equals("..") || v.indexOf('/') >= 0 || v.length() > 255) {
            throw new IllegalArgumentException("mount option 'name=" + v + "': must be a plain file name, no '/'");
        }
        return v;
    }

    /** MiB/s as md takes them, whole numbers; 0 means no floor (min) or no ceiling (max). */
    private static long mibPerSecond(String key, String v) {
        try {
            long n = Long.parseLong(v);
            if (n >= 0 && n <= 1L << 20) {
                return n << 20;
            }
        } catch (NumberFormatException e) {
            // Reported below with the option named.
        }
        throw new IllegalArgumentException("mount option '" + key + "=" + v
                + "': expected MiB/s, a whole number from 0 (unlimited) to 1048576");
    }

    private static String fsname(String v) {
        if (v.length() > 1024 || v.chars().anyMatch(c -> c < 0x20)) {
            throw new IllegalArgumentException("mount option 'fsname': at most 1024 printable characters");
        }
        return v;
    }

    private static String binding(String v) {
        if (!v.equals("jfuse") && !v.equals("jnr")) {
            throw new IllegalArgumentException("mount option 'binding=" + v + "': use jfuse or jnr");
        }
        return v;
    }

    private static int id(String key, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below with the option named.
        }
        throw new IllegalArgumentException("mount option '" + key + "=" + v + "': expected a numeric id");
    }

    private static int mode(String v) {
        try {
            int m = Integer.parseInt(v, 8);
            if (m >= 0 && m <= 07777) {
                return m;
            }
        } catch (NumberFormatException e) {
            // Reported below with the option named.
        }
        throw new IllegalArgumentException("mount option 'mode=" + v + "': expected octal permission bits, e.g. 0600");
    }

    private static int count(String key, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= 1 << 20) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below with the option named.
        }
        throw new IllegalArgumentException("mount option '" + key + "=" + v + "': expected a number from 1 to 1048576");
    }

    private static long bytes(String key, String v) {
        long n;
        try {
            n = Sizes.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mount option '" + key + "': " + e.getMessage());
        }
        if (n < 4096) {
            throw new IllegalArgumentException("mount option '" + key + "=" + v + "': must be at least 4K");
        }
        return n;
    }

    private static Duration timeout(String key, String v) {
        Duration d;
        try {
            d = Durations.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mount option '" + key + "': " + e.getMessage());
        }
        if (d.isZero()) {
            throw new IllegalArgumentException("mount option '" + key + "=" + v + "': must be more than 0");
        }
        return d;
    }
}
