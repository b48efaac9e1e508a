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
 * @param check      the scrub in progress, or the last one's result
 * @param unavailable chunks no member holds current data of (every synchronous member failed while a write-behind
 *                   member lacked them): reads of them fail until a member that holds them comes back
 */
public record MirrorStatus(String uuid, long size, int chunkSize, long events, String state,
                           List<Member> members, Resync resync, Check check, Unavailable unavailable) {

    public MirrorStatus(String uuid, long size, int chunkSize, long events, String state, List<Member> members,
                        Resync resync) {
        this(uuid, size, chunkSize, events, state, members, resync, Check.idle());
    }

    public MirrorStatus(String uuid, long size, int chunkSize, long events, String state, List<Member> members,
                        Resync resync, Check check) {
        this(uuid, size, chunkSize, events, state, members, resync, check, Unavailable.NONE);
    }

    /** This status with {@code list} as its members. */
    public MirrorStatus withMembers(List<Member> list) {
        return new MirrorStatus(uuid, size, chunkSize, events, state, list, resync, check, unavailable);
    }

    /**
     * @param chunks        chunks whose current data no attached member holds, 0 normally
     * @param currentDataOn the member that held their current data when it failed, -1 if none
     */
    public record Unavailable(long chunks, int currentDataOn) {
        public static final Unavailable NONE = new Unavailable(0, -1);
    }

    /**
     * How far a write-behind member is behind (async mode).
     *
     * @param mode                {@code streaming} (writes queued to it), {@code behind} (writes only recorded, a
     *                            catch-up copies them), {@code catching-up} (writes queued again, the last recorded
     *                            chunks being copied); {@code none} for a member that is not write-behind
     * @param writes              acknowledged writes it does not hold: queued, plus recorded while behind
     * @param bytes               their bytes (recorded chunks count whole)
     * @param chunks              chunks recorded as lacking and not yet copied
     * @param recoveryPointMillis age of the oldest acknowledged write it does not hold (what would be lost if the
     *                            synchronous members died now), 0 when it holds everything
     */
    public record Lag(String mode, long writes, long bytes, long chunks, long recoveryPointMillis) {
        public static final Lag NONE = new Lag("none", 0, 0, 0, 0);

        public boolean current() {
            return writes == 0 && chunks == 0;
        }
    }

    /**
     * @param index            member index in the array
     * @param path             the path the member was opened from
     * @param state            {@link MemberState#label()}
     * @param missedChunks     chunks this member lacks (its missed set), 0 when in sync
     * @param lastResyncChunks chunks copied by its last completed resync, 0 if none
     * @param reason           why it failed, or null
     * @param writeBehind      true if the member may lag (async mode)
     * @param lagWrites        writes queued to it and not yet on it (async mode)
     * @param missedRuns       its missed set as runs of chunks, in order (the dirty map; at most
     *                         {@link #MAX_RUNS}: further runs are merged into the last one)
     * @param lag              how far behind it is (write-behind members), {@link Lag#NONE} otherwise
     * @param allocatedBytes   bytes the member file holds on its file system (as {@code du} counts them, metadata
     *                         included), -1 if unknown (detached, a block device, no answer in time)
     */
    public record Member(int index, String path, String state, long missedChunks, long lastResyncChunks,
                         String reason, boolean writeBehind, int lagWrites, List<Run> missedRuns, Lag lag,
                         long allocatedBytes) {

        public static final int MAX_RUNS = 1024;

        public Member {
            missedRuns = List.copyOf(missedRuns);
            lag = lag == null ? Lag.NONE : lag;
        }

        public Member(int index, String path, String state, long missedChunks, long lastResyncChunks, String reason,
                      boolean writeBehind, int lagWrites, List<Run> missedRuns, Lag lag) {
            this(index, path, state, missedChunks, lastResyncChunks, reason, writeBehind, lagWrites, missedRuns, lag,
                    -1);
        }

        /** This member with {@code bytes} allocated. */
        public Member withAllocatedBytes(long bytes) {
            return new Member(index, path, state, missedChunks, lastResyncChunks, reason, writeBehind, lagWrites,
                    missedRuns, lag, bytes);
        }

        public Member(int index, String path, String state, long missedChunks, long lastResyncChunks, String reason,
                      boolean writeBehind, int lagWrites, List<Run> missedRuns) {
            this(index, path, state, missedChunks, lastResyncChunks, reason, writeBehind, lagWrites, missedRuns,
                    Lag.NONE);
        }

        public Member(int index, String path, String state, long missedChunks, long lastResyncChunks, String reason) {
            this(index, path, state, missedChunks, lastResyncChunks, reason, false, 0, List.of());
        }

        public Member(int index, String path, String state, long missedChunks, long lastResyncChunks, String reason,
                      boolean writeBehind, int lagWrites) {
            this(index, path, state, missedChunks, lastResyncChunks, reason, writeBehind, lagWrites, List.of());
        }
    }

    /** Chunks {@code start .. start+length-1}. */
    public record Run(long start, long length) {
    }

    /**
     * @param active       true while a resync runs
     * @param member       index of the member being resynced, -1 if none
     * @param doneChunks   chunks copied so far
     * @param totalChunks  chunks to copy in all
     * @param bytesPerSecond recent copy rate
     * @param full         true for a full resync (every chunk)
     * @param paused       true while paused by the operator
     */
    public record Resync(boolean active, int member, long doneChunks, long totalChunks, double bytesPerSecond,
                         boolean full, boolean paused) {

        public Resync(boolean active, int member, long doneChunks, long totalChunks, double bytesPerSecond,
                      boolean full) {
            this(active, member, doneChunks, totalChunks, bytesPerSecond, full, false);
        }

        public static Resync idle() {
            return new Resync(false, -1, 0, 0, 0, false);
        }
    }

    /**
     * The scrub ({@code fr1 check} / {@code fr1 repair}): members compared chunk by chunk.
     *
     * @param active         true while it runs
     * @param repair         true if mismatches are repaired as they are found
     * @param doneChunks     chunks compared so far
     * @param totalChunks    chunks to compare
     * @param mismatches     chunks whose copies differ (found so far, or in the last check)
     * @param repaired       of those, chunks made identical again
     * @param firstMismatches the first mismatched chunks (at most 100)
     */
    public record Check(boolean active, boolean repair, long doneChunks, long totalChunks, long mismatches,
                        long repaired, List<Long> firstMismatches) {

        public Check {
            firstMismatches = List.copyOf(firstMismatches);
        }

        public static Check idle() {
            return new Check(false, false, 0, 0, 0, 0, List.of());
        }
    }
}
