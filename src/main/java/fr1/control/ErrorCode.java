package fr1.control;

/**
 * Why a control request failed. The server sends the {@link #wire()} name in {@code error <code> <message>};
 * the CLI turns the code into its exit status.
 */
public enum ErrorCode {
    /** The request line was malformed or unknown. */
    USAGE("usage"),
    /** The array refused the request; nothing changed. */
    REFUSED("refused"),
    /** The peer is neither root nor the mount's owner. */
    DENIED("denied"),
    /** Every control worker is busy; try again. */
    BUSY("busy"),
    /** An I/O error while carrying out the request. */
    IO("io"),
    /** A bug: an unexpected exception in the daemon. */
    INTERNAL("internal"),
    /** Client side only: no daemon answered (no socket, stale socket, no reply in time). */
    UNREACHABLE("unreachable");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /** The code for a wire name; unknown names (a newer daemon) count as {@link #INTERNAL}. */
    public static ErrorCode ofWire(String name) {
        for (ErrorCode c : values()) {
            if (c.wire.equals(name)) {
                return c;
            }
        }
        return INTERNAL;
    }
}
