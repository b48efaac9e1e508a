package fr1.control;

import fr1.engine.MirrorStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
