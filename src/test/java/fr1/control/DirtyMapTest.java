package fr1.control;

import fr1.engine.MirrorStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DirtyMapTest {

    private static MirrorStatus status(long size, int chunk, MirrorStatus.Member... members) {
        return new MirrorStatus("u", size, chunk, 1, "degraded", List.of(members), MirrorStatus.Resync.idle());
    }

    private static MirrorStatus.Member member(int index, String state, long missed, MirrorStatus.Run... runs) {
        return new MirrorStatus.Member(index, "/m" + index, state, missed, 0, null, false, 0, List.of(runs));
    }

    @Test
    void oneBarPerMemberNotInSync() {
        // 1 GiB of 64K chunks: 16384 chunks, 256 per column.
        MirrorStatus s = status(1L << 30, 64 << 10,
                member(0, "in_sync", 0),
                member(1, "faulty", 300, new MirrorStatus.Run(0, 1), new MirrorStatus.Run(256, 257),
                        new MirrorStatus.Run(16383, 1)),
                member(2, "recovering", 0),
                member(3, "removed", 0),
                member(4, "spare", 0));
        assertEquals("""
                dirty map: 64 columns of 256 chunks (16.0M) each; '#' = missed
                      [1] |###............................................................#| faulty, 300 chunks missed
                      [2] |................................................................| recovering, 0 chunks missed
                          0                                                             1.0G
                """, DirtyMap.render(s));
    }

    @Test
    void smallImagesGetOneColumnPerChunk() {
        MirrorStatus s = status(10 * 4096, 4096, member(0, "faulty", 3, new MirrorStatus.Run(2, 3)));
        assertEquals("""
                dirty map: 10 columns of 1 chunk (4.0K) each; '#' = missed
                      [0] |..###.....| faulty, 3 chunks missed
                          0      40.0K
                """, DirtyMap.render(s));
    }

    @Test
    void allInSync() {
        MirrorStatus s = status(1 << 20, 4096, member(0, "in_sync", 0), member(1, "in_sync", 0));
        assertEquals("""
                dirty map: 64 columns of 4 chunks (16.0K) each; '#' = missed
                      every member is in sync: nothing missed
                """, DirtyMap.render(s));
    }

    @Test
    void aPartialLastChunkCounts() {
        // 5 chunks of 4K, the last one partial (18K image): still 5 columns; a run past the end is clipped.
        MirrorStatus s = status(18 << 10, 4096, member(0, "faulty", 2, new MirrorStatus.Run(4, 9)));
        assertEquals("      [0] |....#| faulty, 2 chunks missed", DirtyMap.render(s).lines().toList().get(1));
    }
}
