package fr1.control;

import fr1.engine.MirrorStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatusTextTest {

    @Test
    void degradedArrayLikeMdstat() {
        assertEquals("""
                fr1 /mnt/x: degraded raid1 2 members [U_] chunk 64K events 12 size 1.0G
                      [0] /data/a.img in_sync
                      [1] /nfs/b.img faulty (write: Input/output error) missed 123 chunks
                """, StatusText.format("/mnt/x", Samples.degraded()));
    }

    @Test
    void recoveryShowsPercentBarRateAndEta() {
        // 1704 chunks of 64K left = 106.5 MiB at 52.3 MiB/s: 2.04 s, shown rounded up.
        assertEquals("""
                fr1 /mnt/x: recovering raid1 2 members [U_] chunk 64K events 13 size 1.0G
                      [0] /data/a.img in_sync
                      [1] /nfs/b.img recovering missed 1704 chunks
                      recovery = 42.0% (1234/2938 chunks) [========>...........] 52.3MiB/s eta 0:03
                """, StatusText.format("/mnt/x", Samples.recovering()));
    }

    @Test
    void removedMembersAreListedButNotCounted() {
        MirrorStatus s = new MirrorStatus("u", 4L << 20, 4096, 7, "clean",
                List.of(new MirrorStatus.Member(0, "/a", "in_sync", 0, 10, null),
                        new MirrorStatus.Member(1, "/b", "removed", 0, 0, ""),
                        new MirrorStatus.Member(2, "/c", "in_sync", 0, 0, null)),
                MirrorStatus.Resync.idle());
        assertEquals("""
                fr1 /m: clean raid1 2 members [UU] chunk 4K events 7 size 4.0M
                      [0] /a in_sync
                      [1] /b removed
                      [2] /c in_sync
                """, StatusText.format("/m", s));
    }

    @Test
    void fullResyncWithoutRateHasNoEta() {
        MirrorStatus s = new MirrorStatus("u", 1L << 20, 65536, 1, "recovering",
                List.of(new MirrorStatus.Member(0, "/a", "in_sync", 0, 0, null),
                        new MirrorStatus.Member(1, "/b", "recovering", 1, 0, null)),
                new MirrorStatus.Resync(true, 1, 0, 16, 0, true));
        assertEquals("resync = 0.0% (0/16 chunks) [>...................] 0B/s eta ?", StatusText.progressLine(s));
    }

    @Test
    void progressIsTruncatedNotRounded() {
        MirrorStatus s = new MirrorStatus("u", 1L << 20, 65536, 1, "recovering", List.of(),
                new MirrorStatus.Resync(true, 1, 999, 1000, 1024, false));
        assertEquals("recovery = 99.9% (999/1000 chunks) [===================>] 1.0KiB/s eta 1:04",
                StatusText.progressLine(s));
    }

    @Test
    void aWriteBehindMemberShowsItsModeWhatItLacksAndItsRecoveryPoint() {
        MirrorStatus s = new MirrorStatus("u", 1L << 30, 65536, 7, "active",
                List.of(new MirrorStatus.Member(0, "/a", "in_sync", 0, 0, null),
                        new MirrorStatus.Member(1, "/nas/b", "in_sync", 0, 0, null, true, 0, List.of(),
                                new MirrorStatus.Lag("behind", 1834, 120_193_024L, 1834, 2400))),
                MirrorStatus.Resync.idle(), MirrorStatus.Check.idle(), new MirrorStatus.Unavailable(0, -1));
        assertEquals("      [1] /nas/b in_sync write-behind behind: lacks 1834 writes (114.6M), "
                + "recovery point 2.4s", StatusText.format("/m", s).lines().toList().get(2));
    }

    @Test
    void unavailableChunksAreSaidWithWhereTheirDataIs() {
        MirrorStatus s = new MirrorStatus("u", 1L << 30, 65536, 7, "degraded",
                List.of(new MirrorStatus.Member(0, "/a", "faulty", 10, 0, "failed by operator"),
                        new MirrorStatus.Member(1, "/nas/b", "in_sync", 0, 0, null)),
                MirrorStatus.Resync.idle(), MirrorStatus.Check.idle(), new MirrorStatus.Unavailable(3, 0));
        assertTrue(StatusText.format("/m", s).contains("3 chunks unavailable: their current data is on member 0;"
                + " reads of them fail until it is back"), StatusText.format("/m", s));
    }

    @Test
    void sparesAreListedButNotCounted() {
        MirrorStatus s = new MirrorStatus("u", 4L << 20, 4096, 7, "active",
                List.of(new MirrorStatus.Member(0, "/a", "in_sync", 0, 0, null),
                        new MirrorStatus.Member(1, "/b", "in_sync", 0, 0, null),
                        new MirrorStatus.Member(2, "/s", "spare", 0, 0, null)),
                MirrorStatus.Resync.idle());
        assertEquals("fr1 /m: active raid1 2 members [UU] chunk 4K events 7 size 4.0M",
                StatusText.format("/m", s).lines().findFirst().orElseThrow());
    }

    @Test
    void pausedResyncSaysSo() {
        MirrorStatus r = Samples.recovering();
        MirrorStatus.Resync p = new MirrorStatus.Resync(true, 1, 1234, 2938, 0, false, true);
        MirrorStatus s = new MirrorStatus(r.uuid(), r.size(), r.chunkSize(), r.events(), r.state(), r.members(), p);
        assertEquals("recovery = 42.0% (1234/2938 chunks) [========>...........] (paused)", StatusText.progressLine(s));
    }

    @Test
    void checkProgressAndResult() {
        MirrorStatus d = Samples.degraded();
        MirrorStatus running = new MirrorStatus(d.uuid(), d.size(), d.chunkSize(), d.events(), d.state(), d.members(),
                d.resync(), new MirrorStatus.Check(true, false, 1638, 16384, 1, 0, List.of(5L)));
        assertEquals("""
                fr1 /m: degraded raid1 2 members [U_] chunk 64K events 12 size 1.0G
                      [0] /data/a.img in_sync
                      [1] /nfs/b.img faulty (write: Input/output error) missed 123 chunks
                      check = 9.9% (1638/16384 chunks) [=>..................] mismatches 1
                """, StatusText.format("/m", running));
        // 14746 chunks of 64K left at 100 MiB/s: 9.2 s.
        assertEquals("check = 9.9% (1638/16384 chunks) [=>..................] mismatches 1 100.0MiB/s eta 0:10",
                StatusText.checkLine(running, 100 << 20));
        assertEquals("last check: no mismatches",
                StatusText.checkResult(new MirrorStatus.Check(false, false, 10, 10, 0, 0, List.of())));
        assertEquals("last repair: 2 mismatched chunks, 1 repaired (chunks 3, 9)",
                StatusText.checkResult(new MirrorStatus.Check(false, true, 10, 10, 2, 1, List.of(3L, 9L))));
        assertEquals("last check: 12 mismatched chunks (stopped at chunk 5 of 10) (chunks 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...)",
                StatusText.checkResult(new MirrorStatus.Check(false, false, 5, 10, 12, 0,
                        List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L))));
    }
}
