package fr1.control;

import fr1.engine.MirrorCounters;
import fr1.engine.MirrorStatus;

import java.io.IOException;

/**
 * What the control channel can do to a running mount. The CLI adapts {@code Mirror} to it; tests use a fake.
 * Calls come from the control server's worker threads, possibly several at once.
 */
public interface ControlTarget {

    /** A consistent snapshot of the array. */
    MirrorStatus status() throws IOException;

    /** Per-member I/O and event counters, for monitoring; none by default. */
    default MirrorCounters counters() throws IOException {
        return MirrorCounters.NONE;
    }

    /** Marks a member (path or index, as the user typed it) faulty. */
    void fail(String member) throws IOException;

    /** An outside agent says a member is unreachable: fail it now and leave it alone until {@link #up}. */
    void down(String member) throws IOException;

    /** An outside agent says a member is reachable again: probe it now and re-add it if it is ours. */
    void up(String member) throws IOException;

    /** Removes a faulty member from the array. */
    void remove(String member) throws IOException;

    /** Re-adds a member (or adds a new path) and starts its resync; {@code full} copies every chunk. */
    void add(String member, boolean full) throws IOException;

    /**
     * Starts a scrub in the background: compare every chunk of the in-sync members; with {@code repair},
     * rewrite mismatches from {@code source} (path or index), or from the majority when it is null.
     */
    void check(boolean repair, String source) throws IOException;

    /** Pauses the resync where it is (a resync that starts later waits too) until {@link #resumeResync}. */
    void pauseResync() throws IOException;

    void resumeResync() throws IOException;

    /**
     * Starts a clean unmount and shutdown and returns without waiting for it, so the reply can still be
     * sent. The daemon removes its control socket once the array is closed.
     */
    void unmount() throws IOException;
}
