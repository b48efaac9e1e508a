package fr1.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.io.FileStorage;
import fr1.io.Storage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.RoaringBitmap;

/** The members' last known paths in the tail page of each superblock slot. */
class PathPageTest {

    static final Layout LAYOUT = MetadataTest.LAYOUT;

    @TempDir
    Path dir;

    static Superblock withPaths(long events, String... paths) {
        Superblock sb = MetadataTest.sample(events, 3, 77);
        List<MemberRecord> records = new ArrayList<>();
        for (int i = 0; i < sb.members().size(); i++) {
            records.add(sb.members().get(i).withPath(paths[i]));
        }
        return new Superblock(sb.arrayUuid(), sb.memberIndex(), sb.clean(), sb.size(), sb.chunkSize(), sb.events(),
                sb.generation(), records);
    }

    private Storage member() throws IOException {
        Path p = dir.resolve("m.img");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(LAYOUT.minCapacity());
        }
        Storage s = FileStorage.open(p);
        MetaStore.format(s, "m", new Anchor(new UUID(5, 6), LAYOUT), withPaths(10, "/data/a.img", "/nfs/b.img"));
        return s;
    }

    private static List<String> paths(Superblock sb) {
        return sb.members().stream().map(MemberRecord::path).toList();
    }

    @Test
    void pathsRoundTripWithTheirSlot() throws IOException {
        try (Storage s = member()) {
            MetaStore meta = MetaStore.open(s, "m");
            assertEquals(List.of("/data/a.img", "/nfs/b.img"), paths(meta.readSuperblock()));
            meta.writeSuperblock(withPaths(11, "/data/a.img", null));
            assertEquals(Collections.nCopies(1, "/data/a.img"), paths(MetaStore.open(s, "m").readSuperblock())
                    .subList(0, 1));
            assertNull(MetaStore.open(s, "m").readSuperblock().members().get(1).path());
            // Written without paths: the page in that slot is from an older write, so no path is claimed.
            meta.writeSuperblock(MetadataTest.sample(12, 3, 77));
            meta.writeSuperblock(MetadataTest.sample(13, 3, 77));
            Superblock sb = MetaStore.open(s, "m").readSuperblock();
            assertEquals(13, sb.events());
            assertEquals(Collections.nCopies(2, (String) null), paths(sb));
        }
    }

    @Test
    void aDamagedPageLosesOnlyThePaths() throws IOException {
        try (Storage s = member()) {
            MetaStore meta = MetaStore.open(s, "m");
            meta.readSuperblock();
            meta.writeSuperblock(withPaths(11, "/data/a.img", "/nfs/b.img")); // sequence 3: slot B
            s.writeFully(ByteBuffer.wrap(new byte[] {1, 2, 3}), PathPage.offset(LAYOUT, 1) + 30);
            Superblock sb = MetaStore.open(s, "m").readSuperblock();
            assertEquals(11, sb.events());
            assertEquals(Collections.nCopies(2, (String) null), paths(sb));
        }
    }

    @Test
    void theSuperblockNeverReachesThePage() {
        // The worst case (every member's missed set as large as can be) still leaves the last 4 KiB of the slot.
        for (Layout l : List.of(LAYOUT, new Layout(1L << 30, 4096, 8), new Layout(4096, 4096, 8),
                new Layout(1L << 40, 64 << 10, 8, 16 << 20))) {
            long worst = 64 + 64 + 8L * (80 + RoaringBitmap.maximumSerializedSize(l.chunks(), l.chunks()));
            assertTrue(PathPage.fits(l, worst), l.toString());
            assertTrue(PathPage.offset(l, 0) + Layout.PAGE <= l.slotOffset(1));
        }
    }

    @Test
    void longPathsAndOddBytesAreUnknownNotDamage() {
        String longest = "/" + "x".repeat(PathPage.MAX_PATH_BYTES - 1);
        List<String> eight = Collections.nCopies(8, longest);
        assertEquals(eight, PathPage.decode(PathPage.encode(5, eight), 5, 8));
        List<String> tooLong = List.of("/" + "y".repeat(PathPage.MAX_PATH_BYTES), "/ok", "/é");
        assertEquals(java.util.Arrays.asList(null, "/ok", "/é"), PathPage.decode(PathPage.encode(5, tooLong), 5, 3));
        assertNull(PathPage.decode(PathPage.encode(5, List.of("/a")), 6, 1), "another write's page");
        assertNull(PathPage.decode(PathPage.encode(5, List.of("/a")), 5, 2), "another member count");
        assertNull(PathPage.decode(new byte[Layout.PAGE], 0, 0), "never written");
    }
}
