package fr1.meta;

import java.util.UUID;
import org.roaringbitmap.RoaringBitmap;

/**
 * One member as the array sees it, stored in every member's superblock.
 *
 * @param uuid             the member's UUID (zero for an empty slot)
 * @param state            {@code fr1.engine.MemberState} code
 * @param flags            role flags; bit 0: write-behind
 * @param lastEvents       event count of the last superblock fr1 wrote to this member's own metadata
 * @param generation       array generation in that superblock
 * @param prevEvents       event count of the superblock written before that one (the other slot)
 * @param prevGeneration   its generation. A returning member whose own newest superblock matches neither pair
 *                         was written elsewhere (split brain).
 * @param lastResyncChunks chunks copied by its last completed resync
 * @param missed           chunks it lacks (its missed set); empty when in sync. Owned by the caller.
 * @param path             the path the member was last known by, or null if not known: only for people (not
 *                         in the superblock itself but in its slot's {@link PathPage}; not compared by anything)
 */
public record MemberRecord(UUID uuid, int state, int flags, long lastEvents, UUID generation, long prevEvents,
                           UUID prevGeneration, long lastResyncChunks,
                           RoaringBitmap missed, String path) {

    /** A record whose path is not known. */
    public MemberRecord(UUID uuid, int state, int flags, long lastEvents, UUID generation, long prevEvents,
                        UUID prevGeneration, long lastResyncChunks, RoaringBitmap missed) {
        this(uuid, state, flags, lastEvents, generation, prevEvents, prevGeneration, lastResyncChunks, missed, null);
    }

    /** The same record with {@code p} as its last known path. */
    public MemberRecord withPath(String p) {
        return new MemberRecord(uuid, state, flags, lastEvents, generation, prevEvents, prevGeneration,
                lastResyncChunks, missed, p);
    }

    /** True if a member whose own newest superblock has these values only missed updates from this array. */
    public boolean knows(long events, java.util.UUID gen) {
        return (events == lastEvents && gen.equals(generation)) || (events == prevEvents && gen.equals(prevGeneration));
    }
}
