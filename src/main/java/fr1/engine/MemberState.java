package fr1.engine;

/** A member's place in the array, as md names them. Stored in the metadata by its {@link #code()}. */
public enum MemberState {
    /** Holds every acknowledged write; serves reads. */
    IN_SYNC(0, "in_sync"),
    /** Failed; still tracked: every chunk written since is recorded in its missed set. */
    FAULTY(1, "faulty"),
    /** Being resynced: takes writes, serves no reads until its missed set is empty. */
    RECOVERING(2, "recovering"),
    /** No longer part of the array; nothing is tracked for it. */
    REMOVED(3, "removed"),
    /** Came back written elsewhere; fr1 does not touch it until the user decides. */
    SPLIT_BRAIN(4, "split-brain"),
    /** Standing by: takes nothing until a member is removed, then becomes one with a full resync (as md). */
    SPARE(5, "spare");

    private final int code;
    private final String label;

    MemberState(int code, String label) {
        this.code = code;
        this.label = label;
    }

    public int code() {
        return code;
    }

    /** The name shown in status and JSON. */
    public String label() {
        return label;
    }

    public static MemberState ofCode(int code) {
        for (MemberState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown member state code " + code);
    }
}
