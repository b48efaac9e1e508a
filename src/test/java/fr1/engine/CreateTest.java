package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fr1 create}: checks every path before touching any; --from turns a plain image into member 0. */
class CreateTest {

    static final long SIZE = 1L << 20;

    @TempDir
    Path dir;

    private CreateSpec spec(boolean force, Path from, Path... members) {
        return new CreateSpec(from == null ? SIZE : -1, 4096, List.of(members), force, from);
    }

    @Test
    void refusesDataAndForeignMetadataWithoutForceAndChangesNothing() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Path data = dir.resolve("data");
        Files.write(data, "important".getBytes());
        ArrayException e = assertThrows(ArrayException.class, () -> Mirror.create(spec(false, null, a, data)));
        assertTrue(e.getMessage().contains("already holds data"), e.getMessage());
        assertTrue(Files.notExists(a), "a refused create must not create the other members");
        assertEquals("important", Files.readString(data));

        Mirror.create(spec(false, null, a, b));
        byte[] before = Files.readAllBytes(a);
        e = assertThrows(ArrayException.class, () -> Mirror.create(spec(false, null, a, dir.resolve("c"))));
        assertTrue(e.getMessage().contains("fr1 metadata"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(a));
        Mirror.create(spec(true, null, a, dir.resolve("c"))); // --force overwrites
    }

    @Test
    void refusesBadPaths() throws Exception {
        Path a = dir.resolve("a");
        assertThrows(ArrayException.class, () -> Mirror.create(spec(false, null, a, a)));
        Path link = dir.resolve("link");
        Files.createSymbolicLink(link, a);
        assertThrows(ArrayException.class, () -> Mirror.create(spec(false, null, a, link)));
        assertThrows(ArrayException.class, () -> Mirror.create(spec(false, null, a, dir)));
        assertThrows(ArrayException.class, () -> Mirror.create(spec(false, null, a, dir.resolve("no/such/dir/x"))));
        assertThrows(ArrayException.class, () -> Mirror.create(new CreateSpec(SIZE, 3000, List.of(a), false, null)));
        assertThrows(ArrayException.class, () -> Mirror.create(new CreateSpec(1000, 4096, List.of(a), false, null)));
        assertTrue(Files.notExists(a));
    }

    @Test
    void fromImageBecomesMemberZeroAndIsCopied() throws Exception {
        Path image = dir.resolve("plain.img");
        byte[] content = new byte[(int) SIZE - 1000]; // not a multiple of 4K: padded with zeros
        new Random(1).nextBytes(content);
        Files.write(image, content);
        Path m1 = dir.resolve("m1");
        Mirror.create(spec(false, image, m1));
        try (Mirror m = Mirror.open(List.of(image, m1), TestArray.fastOptions())) {
            assertEquals(SIZE, m.size());
            ByteBuffer b = ByteBuffer.allocate(content.length);
            m.read(b, 0);
            assertArrayEquals(content, b.array());
            m.fail("0");
            b.clear();
            m.read(b, 0); // from member 1 alone
            assertArrayEquals(content, b.array());
        }
        byte[] copy = Files.readAllBytes(m1);
        assertArrayEquals(content, java.util.Arrays.copyOf(copy, content.length));
    }
}
