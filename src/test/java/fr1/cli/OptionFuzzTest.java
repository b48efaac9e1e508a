package fr1.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import fr1.engine.MirrorOptions;
import fr1.fuse.FuseOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Seeded property-based fuzzing of what users type: mount option strings, sizes, durations and raidtab files,
 * random and mutated from valid ones. The only failure allowed is the documented one (IllegalArgumentException
 * for options, sizes and durations; a usage CliException for a raidtab), which the CLI turns into exit 2; and what
 * is accepted must be usable (no value the engine would overflow on). Thousands of cases, bounded time.
 * {@code -Dfr1.fuzz.seed=N} replays a run, {@code -Dfr1.fuzz.cases=N} runs more.
 */
class OptionFuzzTest {

    static final long SEED = Long.getLong("fr1.fuzz.seed", System.nanoTime());
    static final int CASES = Integer.getInteger("fr1.fuzz.cases", 5000);

    static final String[] KEYS = {"name", "binding", "allow_other", "uid", "gid", "mode", "io-timeout", "io_timeout",
        "probe-interval", "async", "write-behind", "write-behind-max", "fsync", "event-cmd", "resync-min",
        "resync-max", "fsname", "ro", "rw", "defaults", "_netdev", "nofail", "x-systemd.automount", "comment",
        "bogus", ""};
    static final String[] VALUES = {"", "0", "1", "-1", "0600", "07777", "10000", "abc", "jfuse", "jnr", "disk.img",
        "a/b", ".", "..", "5s", "500ms", "2m", "0s", "5", "5h", "1.5s", "99999999999999999999m",
        "999999999999999999m", "9223372036854775807ms", "9223372036854775807s", "153722867280912930m",
        "9999999999999s", "2147483647", "2147483648", "-2147483648", "1048576", "1048577", "all", "sync",
        "/tmp/a:/tmp/b", "::", "/x\u0000y", "\u0665s", "\u00e9", " ", "=", ",", "+7", "0x10", "1e3",
        "\uD800", "x".repeat(300)};

    private static void check(long seed, String what, String input, Consumer<String> body) {
        try {
            body.accept(input);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                fail(what + " refused " + show(input) + " without a message (seed " + seed + ")");
            }
        } catch (Throwable t) {
            throw new AssertionError(what + " threw " + t + " for " + show(input) + " (seed " + seed + ")", t);
        }
    }

    static String show(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.append('"').toString();
    }

    /** The same checks MountCommand makes, plus: accepted values are ones the engine can compute with. */
    static void parseMountOptions(String text) {
        MountOptions o = MountOptions.parse(text);
        FuseOptions f = o.fuseOptions();
        MirrorOptions m = o.mirrorOptions();
        assertTrue(f.mode() >= 0 && f.mode() <= 07777, "mode " + f.mode());
        assertTrue(f.uid() >= 0 && f.gid() >= 0, "ids");
        for (Duration d : List.of(m.ioTimeout(), m.probeInterval(), m.probeMaxInterval())) {
            assertTrue(!d.isNegative() && !d.isZero(), "duration " + d);
            // Deadlines are System.nanoTime() + timeout (times a few); back-off doubles the interval.
            Math.addExact(System.nanoTime(), Math.multiplyExact(d.toNanos(), 4L));
        }
        assertTrue(m.writeBehindMax() >= 1, "write-behind-max");
        assertTrue(m.resyncMinBps() >= 0 && m.resyncMaxBps() >= 0, "resync speeds");
    }

    static String randomOptions(Random r) {
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                b.append(r.nextInt(10) == 0 ? ",," : ",");
            }
            b.append(r.nextInt(8) == 0 ? randomText(r, 12) : KEYS[r.nextInt(KEYS.length)]);
            if (r.nextInt(4) != 0) {
                b.append('=').append(r.nextInt(6) == 0 ? randomText(r, 20) : VALUES[r.nextInt(VALUES.length)]);
            }
        }
        return b.toString();
    }

    static String randomText(Random r, int max) {
        int n = r.nextInt(max + 1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(10);
            b.append(k < 5 ? (char) (0x20 + r.nextInt(0x5f)) : k < 8 ? "0123456789KMGTkmgtsBi=,:/".charAt(r.nextInt(25))
                    : k < 9 ? (char) r.nextInt(0x20) : (char) r.nextInt(0x10000));
        }
        return b.toString();
    }

    /** Inserts, deletes, duplicates or replaces a few characters; sometimes pastes in a huge number. */
    static String mutate(Random r, String s) {
        StringBuilder b = new StringBuilder(s);
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = b.isEmpty() ? 0 : r.nextInt(b.length() + 1);
            switch (r.nextInt(5)) {
                case 0 -> b.insert(at, randomText(r, 3));
                case 1 -> {
                    if (at < b.length()) {
                        b.deleteCharAt(at);
                    }
                }
                case 2 -> b.insert(at, "9".repeat(1 + r.nextInt(25)));
                case 3 -> {
                    if (at < b.length()) {
                        b.setCharAt(at, (char) r.nextInt(0x80));
                    }
                }
                default -> b.append(',').append(b, 0, Math.min(b.length(), at));
            }
        }
        return b.toString();
    }

    @Test
    void mountOptionStrings() {
        System.out.println("OptionFuzzTest seed=" + SEED);
        List<String> valid = List.of("allow_other,uid=1000,gid=1000,mode=0640", "io-timeout=500ms,probe-interval=2s",
                "async,write-behind=/tmp/b.img,write-behind-max=64,fsync=all", "name=vm.img,binding=jnr",
                "rw,_netdev,nofail,x-systemd.device-timeout=10,comment=x", "resync-min=16,resync-max=100,fsname=vm",
                "event-cmd=/usr/local/bin/notify");
        for (String v : valid) {
            parseMountOptions(v); // the seeds themselves are valid
        }
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(SEED);
            for (int i = 0; i < CASES; i++) {
                String in = r.nextBoolean() ? randomOptions(r) : mutate(r, valid.get(r.nextInt(valid.size())));
                check(SEED, "mount options", in, OptionFuzzTest::parseMountOptions);
            }
        });
    }

    @Test
    void sizeStrings() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(SEED + 1);
            String[] suffixes = {"", "K", "M", "G", "T", "k", "KB", "KiB", "b", "B", "P", "iB"};
            for (int i = 0; i < CASES; i++) {
                String in;
                if (r.nextBoolean()) {
                    long n = r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(100_000);
                    String suffix = suffixes[r.nextInt(suffixes.length)];
                    in = (r.nextInt(8) == 0 ? mutate(r, n + suffix) : n + suffix);
                } else {
                    in = randomText(r, 24);
                }
                check(SEED + 1, "Sizes.parse", in, s -> {
                    long v = Sizes.parse(s);
                    assertTrue(v >= 0, "negative size " + v);
                });
            }
            // Property: a whole number with a binary suffix is that many units, or refused as too large.
            for (int i = 0; i < CASES; i++) {
                long n = r.nextLong(Long.MAX_VALUE);
                int shift = 10 * r.nextInt(5);
                String unit = shift == 0 ? "" : String.valueOf("KMGT".charAt(shift / 10 - 1));
                try {
                    assertEquals(n << shift, Sizes.parse(n + unit), n + unit);
                    assertTrue(n <= Long.MAX_VALUE >> shift, n + unit + " should be too large");
                } catch (IllegalArgumentException e) {
                    assertTrue(n > Long.MAX_VALUE >> shift, n + unit + ": " + e.getMessage());
                }
            }
        });
    }

    @Test
    void durationStrings() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(SEED + 2);
            String[] units = {"ms", "s", "m", "", "h", "S", " s", "sec"};
            for (int i = 0; i < CASES; i++) {
                String in = r.nextBoolean()
                        ? (r.nextBoolean() ? r.nextLong() : r.nextInt(100_000)) + units[r.nextInt(units.length)]
                        : randomText(r, 16);
                check(SEED + 2, "Durations.parse", in, s -> {
                    Duration d = Durations.parse(s);
                    assertTrue(!d.isNegative(), "negative " + d);
                    Math.multiplyExact(d.toNanos(), 4L);
                });
                // The same through the option, which also refuses 0.
                check(SEED + 2, "io-timeout", "io-timeout=" + in, OptionFuzzTest::parseMountOptions);
            }
        });
    }

    @Test
    void raidtabFiles() {
        String valid = """
                raiddev /dev/md0
                    raid-level 1
                    nr-raid-disks 2
                    nr-spare-disks 1
                    chunk-size 64
                    persistent-superblock 1
                    device /data/a.img
                    raid-disk 0
                    device /nfs/b.img
                    raid-disk 1
                    device /data/s.img
                    spare-disk 0
                    fr1-size 1G
                    fr1-image vm.img
                    fr1-options async,io-timeout=5s
                    fr1-mountpoint /mnt/vm
                """;
        Raidtab.parse(valid, Path.of("/etc/raidtab")); // the seed is valid
        String[] lines = valid.split("\n");
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(SEED + 3);
            for (int i = 0; i < CASES; i++) {
                StringBuilder text = new StringBuilder();
                if (r.nextBoolean()) {
                    for (String line : lines) {
                        int k = r.nextInt(12);
                        text.append(k == 0 ? "" : k == 1 ? mutate(r, line) : k == 2 ? line + "\n" + line : line)
                                .append(r.nextInt(20) == 0 ? "\r\n" : "\n");
                    }
                } else {
                    int n = r.nextInt(12);
                    for (int j = 0; j < n; j++) {
                        String line = lines[r.nextInt(lines.length)].strip();
                        int sp = line.indexOf(' ');
                        String key = sp < 0 ? line : line.substring(0, sp);
                        text.append(key).append(' ').append(r.nextBoolean() ? VALUES[r.nextInt(VALUES.length)]
                                : randomText(r, 10)).append('\n');
                    }
                }
                String in = text.toString();
                try {
                    Raidtab.parse(in, Path.of("/etc/raidtab"));
                } catch (CliException e) {
                    assertEquals(ExitCodes.USAGE, e.exitCode(), e.getMessage());
                } catch (Throwable t) {
                    throw new AssertionError("Raidtab.parse threw " + t + " for " + show(in) + " (seed " + (SEED + 3)
                            + ")", t);
                }
            }
        });
    }
}
