package fr1.control;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerPolicyTest {

    record User(String name) implements UserPrincipal {
        @Override
        public String getName() {
            return name;
        }
    }

    private final PeerPolicy policy = new PeerPolicy(new User("alice"), new User("root"));

    @Test
    void ownerAndRootMayOthersMayNot() {
        assertTrue(policy.allows(new User("alice")));
        assertTrue(policy.allows(new User("root")));
        assertFalse(policy.allows(new User("mallory")));
        assertFalse(policy.allows(null), "a peer without credentials");
    }

    @Test
    void refusalNamesPeerAndOwner() {
        String m = policy.refusal(new User("mallory"));
        assertTrue(m.equals("permission denied: user mallory may not control this mount (only root or its owner alice may)"), m);
    }

    @Test
    void realPrincipalsCompareByUid(@TempDir Path dir) throws Exception {
        Path f = Files.createFile(dir.resolve("s"));
        PeerPolicy real = PeerPolicy.ownerOf(f);
        UserPrincipal me = Files.getOwner(f);
        assertTrue(real.allows(me));
        var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        assertTrue(real.allows(lookup.lookupPrincipalByName("0")), "uid 0 by number");
        // A uid nobody has: neither root nor the owner.
        assertFalse(real.allows(lookup.lookupPrincipalByName("54321")));
    }
}
