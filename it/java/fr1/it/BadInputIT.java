package fr1.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.it.support.Mounts;
import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input to the real CLI: every refusal is ONE line on stderr starting {@code fr1: }, nothing on stdout, the
 * exit code README documents (2 usage, 3 refused), and no byte of any member file changed (SHA-256 of the whole
 * files before and after), no mount and no daemon left behind.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BadInputIT {

    private static final long SIZE = 4L << 20;
    private static final int USAGE = 2;
    private static final int REFUSED = 3;

    private Rig rig;
    private final List<Path> immutable = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        rig = Rig.open();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Path p : immutable) {
            Sh.attempt(Duration.ofSeconds(10), "chattr", "-i", p.toString());
        }
        if (rig != null) {
            rig.close();
        }
    }

    /** {@code fr1 create --size SIZE DIR/NAME0 DIR/NAME1 [ARGS...]}. */
    private List<Path> create(String name, String... extra) {
        List<Path> m = List.of(rig.dir.resolve(name + "0"), rig.dir.resolve(name + "1"));
        List<String> args = new ArrayList<>(List.of("create", "--size", Long.toString(SIZE)));
        args.addAll(List.of(extra));
        m.forEach(p -> args.add(p.toString()));
        rig.cli.run(args.toArray(String[]::new));
        return m;
    }

    /**
     * Runs {@code fr1 ARGS} and checks the refusal: exit {@code code}, one {@code fr1: } line on stderr naming
     * {@code mentions}, nothing on stdout, the {@code watched} files byte for byte as before, and no mount at MNT.
     */
    private String refused(int code, String mentions, List<Path> watched, String... args) throws Exception {
        Map<Path, String> before = digests(watched);
        boolean wasMounted = Mounts.isMounted(rig.mnt);
        Sh.Result r = rig.cli.attempt(Duration.ofSeconds(60), args);
        String what = "fr1 " + String.join(" ", args) + ": " + r.describe();
        assertEquals(code, r.exit(), what);
        String err = r.err().strip();
        assertTrue(err.startsWith("fr1: "), "stderr should start with 'fr1: ': " + what);
        assertEquals(1, err.lines().count(), "stderr should be one line: " + what);
        assertTrue(r.out().isBlank(), "nothing on stdout: " + what);
        assertTrue(err.contains(mentions), "the message should mention '" + mentions + "': " + err);
        assertEquals(before, digests(watched), "a refused command changed a member: " + what);
        assertEquals(wasMounted, Mounts.isMounted(rig.mnt), "mount state of MNT changed: " + what);
        return err;
    }

    private static Map<Path, String> digests(List<Path> files) throws IOException {
        Map<Path, String> d = new LinkedHashMap<>();
        for (Path f : files) {
            d.put(f, Files.exists(f) ? Files.size(f) + ":" + Rig.sha256(f, Files.size(f)) : "absent");
        }
        return d;
    }

    private static List<Path> all(List<Path>... groups) {
        return Stream.of(groups).flatMap(List::stream).toList();
    }

    /**
     * {@code fr1 mount -f OPERANDS}: refusals come from assembly before the daemon would detach, so the foreground
     * form gives the same line and exit code at half the cost of starting a daemon. Each test also goes once
     * through the background launcher ({@link #mountBg}), which relays the daemon's error line.
     */
    private String[] mountArgs(Object... operands) {
        List<String> args = new ArrayList<>(List.of("mount", "-f"));
        for (Object o : operands) {
            args.add(o.toString());
        }
        return args.toArray(String[]::new);
    }

    private String[] mountBg(Object... operands) {
        List<String> args = new ArrayList<>(List.of("mount"));
        for (Object o : operands) {
            args.add(o.toString());
        }
        return args.toArray(String[]::new);
    }

    @Test
    void membersOfAnotherArrayOrOfAnotherSizeOrChunkSize() throws Exception {
        List<Path> a = create("a");
        List<Path> bigger = List.of(rig.dir.resolve("b0"), rig.dir.resolve("b1"));
        rig.cli.run("create", "--size", Long.toString(2 * SIZE), bigger.get(0).toString(), bigger.get(1).toString());
        List<Path> chunk4k = create("c", "--chunk-size", "4K");
        List<Path> other = create("d");
        List<Path> watched = all(a, bigger, chunk4k, other);
        refused(REFUSED, "belongs to array", watched, mountBg(a.get(0), bigger.get(1), rig.mnt));
        refused(REFUSED, "belongs to array", watched, mountArgs(a.get(0), chunk4k.get(1), rig.mnt));
        refused(REFUSED, "belongs to array", watched, mountArgs(a.get(0), other.get(1), rig.mnt));
        // A member whose file grew (truncate -s +1M): its anchor is no longer at the end.
        Path grown = rig.dir.resolve("grown");
        Files.copy(a.get(1), grown);
        Sh.run("truncate", "-s", "+1M", grown.toString());
        refused(REFUSED, "no fr1 metadata", all(watched, List.of(grown)), mountArgs(a.get(0), grown, rig.mnt));
    }

    @Test
    void theSamePathTwiceAlsoThroughASymlinkOrABindMount() throws Exception {
        Path dir = Files.createDirectory(rig.dir.resolve("m"));
        List<Path> m = List.of(dir.resolve("a0"), dir.resolve("a1"));
        rig.cli.run("create", "--size", Long.toString(SIZE), m.get(0).toString(), m.get(1).toString());
        Path link = rig.dir.resolve("link");
        Files.createSymbolicLink(link, m.get(0));
        Path alias = Files.createDirectory(rig.dir.resolve("alias"));
        Sh.run("mount", "--bind", dir.toString(), alias.toString());
        refused(REFUSED, "same file", m, mountArgs(m.get(0), m.get(0), rig.mnt));
        refused(REFUSED, "same file", m, mountArgs(m.get(0), link, rig.mnt));
        refused(REFUSED, "same file", m, mountBg(m.get(0), alias.resolve("a0"), rig.mnt));
        // create: the same three ways, for new files and for existing ones
        Path fresh = dir.resolve("new");
        refused(USAGE, "twice", m, "create", "--size", "1M", fresh.toString(), fresh.toString());
        refused(REFUSED, "same file", m, "create", "--size", "1M", fresh.toString(), alias.resolve("new").toString());
        assertFalse(Files.exists(fresh), "a refused create made " + fresh);
        refused(REFUSED, "same file", m, "create", "--force", "--size", "1M", m.get(0).toString(), link.toString());
        refused(REFUSED, "same file", m, "create", "--force", "--size", "1M", m.get(1).toString(),
                alias.resolve("a1").toString());
    }

    @Test
    void aMissingReadOnlyOrNonRegularMember() throws Exception {
        List<Path> a = create("a");
        Path dir = Files.createDirectory(rig.dir.resolve("d"));
        Path missing = rig.dir.resolve("missing.img");
        refused(REFUSED, missing.toString(), a, mountArgs(a.get(0), missing, rig.mnt));
        refused(REFUSED, dir.toString(), a, mountArgs(a.get(0), dir, rig.mnt));
        refused(REFUSED, "/dev/null", a, mountArgs(a.get(0), "/dev/null", rig.mnt));
        // Root ignores modes: read-only means an immutable file or a read-only mount.
        Path ro = Files.createDirectory(rig.dir.resolve("ro"));
        Sh.run("mount", "--bind", "-o", "ro", rig.dir.toString(), ro.toString());
        refused(REFUSED, "Read-only file system", a, mountBg(a.get(0), ro.resolve("a1"), rig.mnt));
        immutable.add(a.get(1));
        Sh.run("chattr", "+i", a.get(1).toString());
        refused(REFUSED, "Operation not permitted", a, mountArgs(a.get(0), a.get(1), rig.mnt));

        Path x = rig.dir.resolve("x.img");
        List<Path> w = all(a, List.of(x));
        refused(REFUSED, "directory", w, "create", "--size", "1M", x.toString(), rig.dir.resolve("no/such").toString());
        refused(REFUSED, "/dev/null", w, "create", "--size", "1M", x.toString(), "/dev/null");
        refused(REFUSED, a.get(1).toString(), w, "create", "--force", "--size", "1M", x.toString(),
                a.get(1).toString());
        assertFalse(Files.exists(x), "a refused create made " + x);
    }

    @Test
    void aMountpointThatIsBusyMissingOrNotADirectory() throws Exception {
        List<Path> a = create("a");
        List<Path> d = create("d");
        Path file = Files.createFile(rig.dir.resolve("file"));
        refused(REFUSED, "not a directory", a, mountBg(a.get(0), a.get(1), file));
        refused(REFUSED, "does not exist", a, mountArgs(a.get(0), a.get(1), rig.dir.resolve("nowhere")));
        rig.cli.run(mountBg(a.get(0), a.get(1), rig.mnt));
        try {
            refused(REFUSED, "already running", d, mountBg(d.get(0), d.get(1), rig.mnt));
            String err = refused(REFUSED, "", d, mountArgs(a.get(0), a.get(1), rig.mnt));
            assertTrue(err.contains("already running") || err.contains("in use"), err);
            assertTrue(Files.isRegularFile(rig.image()), "the first mount is still there");
        } finally {
            rig.cli.umount(rig.mnt);
        }
    }

    @Test
    void unknownOrMalformedOptionsAndSizes() throws Exception {
        List<Path> a = create("a");
        Path x = rig.dir.resolve("x0");
        Path y = rig.dir.resolve("x1");
        List<Path> w = all(a, List.of(x, y));
        String m0 = a.get(0).toString();
        String m1 = a.get(1).toString();
        String mnt = rig.mnt.toString();
        String[][] mountOptions = {
            {"foo", "unknown mount option 'foo'"}, {"mode=999", "mode=999"}, {"uid=abc", "uid=abc"},
            {"io-timeout=5", "malformed duration"}, {"io-timeout=999999999999999999m", "too large"},
            {"write-behind=" + m1, "needs 'async'"}, {"ro", "read-only"},
        };
        for (String[] o : mountOptions) {
            refused(USAGE, o[1], w, "mount", "-o", o[0], m0, m1, mnt);
        }
        refused(USAGE, "MOUNTPOINT", w, "mount", mnt);
        String[][] sizes = {
            {"--size", "10Q", "malformed size"}, {"--size", "4095", "multiple of 4K"}, {"--size", "", "malformed size"},
            {"--size", "99999999999T", "too large"}, {"--chunk-size", "3K", "power of two"},
        };
        for (String[] s : sizes) {
            List<String> args = new ArrayList<>(List.of("create"));
            if (!s[0].equals("--size")) {
                args.addAll(List.of("--size", "1M"));
            }
            args.addAll(List.of(s[0], s[1], x.toString(), y.toString()));
            refused(USAGE, s[2], w, args.toArray(String[]::new));
        }
        refused(USAGE, "--size is required", w, "create", x.toString(), y.toString());
        refused(USAGE, "at least 2 members", w, "create", "--size", "1M", x.toString());
        refused(USAGE, "Unmatched argument", w, "bogus-command");
        assertFalse(Files.exists(x), "a refused create made " + x);
    }

    @Test
    void metadataOfANewerFormatVersion() throws Exception {
        List<Path> a = create("a");
        // Anchor (last 4 KiB): version at byte 8, CRC32C of bytes 0..4091 at 4092 (docs/FORMAT.md).
        try (FileChannel ch = FileChannel.open(a.get(1), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long at = ch.size() - 4096;
            ByteBuffer page = ByteBuffer.allocate(4096).order(ByteOrder.BIG_ENDIAN);
            ch.read(page, at);
            assertTrue(page.getInt(8) <= fr1.meta.Anchor.VERSION, "anchor version " + page.getInt(8));
            page.putInt(8, fr1.meta.Anchor.VERSION + 1);
            CRC32C crc = new CRC32C();
            crc.update(page.array(), 0, 4092);
            page.putInt(4092, (int) crc.getValue());
            ch.write(page.flip(), at);
        }
        String newer = "version " + (fr1.meta.Anchor.VERSION + 1) + " is newer than this fr1 supports ("
                + fr1.meta.Anchor.VERSION + ")";
        refused(REFUSED, newer, a, mountBg(a.get(0), a.get(1), rig.mnt));
        refused(REFUSED, newer, a, mountArgs(a.get(1), rig.mnt));
        refused(REFUSED, "damaged fr1 metadata", a, "create", "--size", "1M", a.get(1).toString(),
                rig.dir.resolve("z").toString());
    }

    @Test
    void corruptMetadataFromTheCorpus() throws Exception {
        Path corpus = Path.of("src/test/resources/corrupt-metadata").toAbsolutePath();
        List<Path> samples;
        try (Stream<Path> s = Files.list(corpus)) {
            samples = s.filter(f -> f.toString().endsWith(".img")).sorted().toList();
        }
        assertTrue(samples.size() >= 10, "corpus " + corpus + ": " + samples);
        for (Path sample : samples) {
            Path copy = rig.dir.resolve(sample.getFileName());
            Files.copy(sample, copy);
            String[] args = sample.equals(samples.getFirst()) ? mountBg(copy, rig.mnt) : mountArgs(copy, rig.mnt);
            String err = refused(REFUSED, copy.toString(), List.of(copy), args);
            System.out.println("BadInputIT " + sample.getFileName() + ": " + err);
        }
    }

    @Test
    void writesBeyondTheEndFailWithEfbigAndReadsAtTheEndAreShort() throws Exception {
        List<Path> a = create("a");
        long capacity = Files.size(a.get(0));
        rig.cli.run(mountBg(a.get(0), a.get(1), rig.mnt));
        Path image = rig.image();
        assertEquals(SIZE, Files.size(image));
        byte[] tail = new byte[4096];
        new Random(5).nextBytes(tail);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            assertEquals(4096, ch.write(ByteBuffer.wrap(tail), SIZE - 4096), "a write that ends at the end");
            for (long at : new long[] {SIZE, SIZE + 4096, SIZE + (1L << 30)}) {
                IOException e = assertThrows(IOException.class, () -> ch.write(ByteBuffer.wrap(new byte[4096]), at),
                        "write at " + at);
                assertTrue(String.valueOf(e.getMessage()).contains("File too large"), "write at " + at + ": " + e);
            }
            // Straddling the end: the part inside may be written (a short write, as on a disk), never more.
            try {
                int n = ch.write(ByteBuffer.wrap(new byte[8192]), SIZE - 2048);
                assertTrue(n <= 2048, "a write across the end wrote " + n + " bytes");
            } catch (IOException e) {
                assertTrue(String.valueOf(e.getMessage()).contains("File too large"), e.toString());
            }
            ByteBuffer b = ByteBuffer.allocate(4096);
            assertEquals(100, ch.read(b, SIZE - 100), "a read across the end is short");
            assertEquals(-1, ch.read(ByteBuffer.allocate(4096), SIZE), "a read at the end is EOF");
            assertEquals(-1, ch.read(ByteBuffer.allocate(4096), SIZE + 12345), "a read beyond the end is EOF");
            ByteBuffer first = ByteBuffer.allocate(2048);
            assertEquals(2048, ch.read(first, SIZE - 4096));
            assertEquals(ByteBuffer.wrap(tail, 0, 2048), first.flip(), "the image's last bytes before the end");
        }
        assertEquals(SIZE, Files.size(image), "the image grew");
        Sh.Result dd = Sh.attempt(Duration.ofSeconds(30), "dd", "if=/dev/zero", "of=" + image, "bs=4096",
                "seek=" + SIZE / 4096, "count=1", "conv=notrunc");
        assertFalse(dd.ok(), "dd past the end succeeded: " + dd.describe());
        assertTrue(dd.err().contains("File too large"), dd.describe());
        rig.cli.umount(rig.mnt);
        for (Path m : a) {
            assertEquals(capacity, Files.size(m), "member " + m + " changed size");
        }
        assertEquals(Rig.sha256(a.get(0), SIZE), Rig.sha256(a.get(1), SIZE), "members differ");
    }

    @Test
    void createOverExistingDataWithoutForce() throws Exception {
        Path data = rig.dir.resolve("data.img");
        byte[] bytes = new byte[1 << 20];
        new Random(7).nextBytes(bytes);
        Files.write(data, bytes);
        Path x = rig.dir.resolve("x.img");
        List<Path> w = List.of(data, x);
        refused(REFUSED, "already holds data", w, "create", "--size", "1M", data.toString(), x.toString());
        refused(REFUSED, "already holds data", w, "create", "--size", "1M", x.toString(), data.toString());
        assertFalse(Files.exists(x), "a refused create made " + x);
        List<Path> a = create("a");
        refused(REFUSED, "already holds fr1 metadata", all(a, w), "create", "--size", "1M", x.toString(),
                a.get(1).toString());
        // Zeros at start and end but data in the middle is not looked at (as wipefs): not a refusal to test here.
        rig.cli.run("create", "--force", "--size", "1M", data.toString(), x.toString());
    }
}
