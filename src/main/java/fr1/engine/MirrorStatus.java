package fr1.engine;

import java.util.List;

/**
 * A consistent snapshot of the array for {@code fr1 status}. Plain data; the control channel turns it into
 * JSON and the CLI into mdstat-like text.
 *
 * @param uuid       array UUID
 * @param size       image size in bytes
 * @param chunkSize  chunk size in bytes
 * @param events     event counter
 * @param state      {@code clean}, {@code active}, {@code degraded}, {@code recovering} or {@code failed}
 * @param members    every member slot, in index order
 * @param resync     the resync in progress, or an inactive one
 */
public record MirrorStatus(String uuid, long size, int chunkSize, long events, String state,
                           List<Member> members, Resync resync) {

    /**
     * @param index            member index in the array
     * @param path             the path the member was opened from
     * @param state            {@link MemberState#label()}
     * @param missedChunks     chunks this member lacks (its missed set), 0 when in sync
     * @param lastResyncChunks chunks copied by its last completed resync, 0 if none
     * @param reason           why it failed, or null
     * @param writeBehind      true if the member may lag (async mode)
     * @param lagWrites        writes queued to it and not yet on it (async mode)
     */
    public record Member(int index, String path, String state, long missedChunks, long lastResyncChunks,
                         String reason, boolean writeBehind, int lagWrites) {

        public Member(int index, String path, String state, long missedChunks, long lastResyncChunks, String reason) {
            this(index, path, state, missedChunks, lastResyncChunks, reason, false, 0);
        }
    }

    /**
     * @param active       true while a resync runs
     * @param member       index of the member being resynced, -1 if none
     * @param doneChunks   chunks copied so far
     * @param totalChunks  chunks to copy in all
     * @param bytesPerSecond recent copy rate
     * @param full         true for a full resync (every chunk)
     */
    public record Resync(boolean active, int member, long doneChunks, long totalChunks, double bytesPerSecond,
                         boolean full) {
        public static Resync idle() {
            return new Resync(false, -1, 0, 0, 0, false);
        }
    }
}
