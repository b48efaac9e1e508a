package fr1.it.faults;

import java.nio.file.Path;

/**
 * Where member 1 lives and how it is made to fail for real. Teardown calls {@link #heal()} first (so the array can
 * flush and unmount), then, once fr1 is unmounted, {@link #close()}.
 */
public interface FaultRig extends AutoCloseable {

    /** The member path as fr1 is given it. */
    Path member();

    /** Where the test reads the member's bytes to compare it with member 0 (the member itself, unless cheaper). */
    default Path contents() {
        return member();
    }

    /** Undoes whatever fault is active; best effort, never throws. */
    void heal();

    /** Takes the rig down (mounts, processes, firewall rules); fails if something is left. */
    @Override
    void close();
}
