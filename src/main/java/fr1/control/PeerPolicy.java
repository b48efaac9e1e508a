package fr1.control;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.Objects;

/**
 * Who may use a mount's control channel: root and the mount's owner (the user the daemon runs as). Checked
 * on every connection against the peer's credentials ({@code SO_PEERCRED}), on top of the 0700 run directory
 * and the 0600 socket, so a loosened permission alone does not open the channel.
 * <p>
 * Principals are compared with {@code equals}, which for the JDK's Unix principals compares the numeric id:
 * a renamed or unnamed uid still matches.
 */
public final class PeerPolicy {

    private final UserPrincipal owner;
    private final UserPrincipal root;

    PeerPolicy(UserPrincipal owner, UserPrincipal root) {
        this.owner = Objects.requireNonNull(owner);
        this.root = Objects.requireNonNull(root);
    }

    /** The policy for a socket file: its owner (the daemon's user) and root. */
    static PeerPolicy ownerOf(Path socket) throws IOException {
        UserPrincipal owner = Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS);
        // "0" resolves to uid 0 whatever root is called (the JDK falls back to a numeric id).
        UserPrincipal root = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("0");
        return new PeerPolicy(owner, root);
    }

    /** True if this peer may control the mount. An unknown peer (null) may not. */
    boolean allows(UserPrincipal peer) {
        return peer != null && (peer.equals(root) || peer.equals(owner));
    }

    /** The one-line refusal sent to a peer that may not. */
    String refusal(UserPrincipal peer) {
        return "permission denied: user " + (peer == null ? "(unknown)" : peer.getName())
                + " may not control this mount (only root or its owner " + owner.getName() + " may)";
    }
}
