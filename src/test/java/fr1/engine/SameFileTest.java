package fr1.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two paths that name one file are one member, also when no symbolic link says so: a hard link, or the same
 * directory reached through a bind mount (BadInputIT tests that one for real). Until the file's identity
 * (device, inode) was compared, create made a "two-member" array on one file (the second member's metadata
 * over the first's) and mount refused it only by accident ("both member 0").
 */
class SameFileTest {

    @TempDir
    Path dir;

    @Test
    void createRefusesAHardLinkToAnotherMember() throws Exception {
        Path a = dir.resolve("a");
        Files.write(a, new byte[0]);
        Path b = dir.resolve("b");
        Files.createLink(b, a);
        ArrayException e = assertThrows(ArrayException.class,
                () -> Mirror.create(new CreateSpec(1 << 20, 4096, List.of(a, b), false, null)));
        assertTrue(e.getMessage().contains("same file"), e.getMessage());
        assertTrue(Files.size(a) == 0, "a refused create changed " + a);
    }

    /** add --full of another name for an in-sync member must not lay new metadata over that member. */
    @Test
    void addRefusesAnotherNameOfAMemberInUse() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Mirror.create(new CreateSpec(1 << 20, 4096, List.of(a, b), false, null));
        Path alias = dir.resolve("alias");
        Files.createLink(alias, a);
        try (Mirror m = Mirror.open(List.of(a, b), TestArray.fastOptions())) {
            ArrayException e = assertThrows(ArrayException.class, () -> m.add(alias.toString(), true));
            assertTrue(e.getMessage().contains("already in sync"), e.getMessage());
            assertTrue(m.status().members().size() == 2, "a third member appeared: " + m.status());
        }
        try (Mirror m = Mirror.open(List.of(a, b), TestArray.fastOptions())) {
            assertTrue(m.status().members().stream().allMatch(x -> x.state().equals("in_sync")), m.status().toString());
        }
    }

    @Test
    void mountRefusesAHardLinkToAnotherMemberAsTheSameFile() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Mirror.create(new CreateSpec(1 << 20, 4096, List.of(a, b), false, null));
        Path alias = dir.resolve("alias");
        Files.createLink(alias, a);
        byte[] before = Files.readAllBytes(a);
        ArrayException e = assertThrows(ArrayException.class,
                () -> Mirror.open(List.of(a, alias), TestArray.fastOptions()));
        assertTrue(e.getMessage().contains("same file"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(a));
    }
}
