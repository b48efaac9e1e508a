package fr1.engine;

import java.io.IOException;

/** No member is left that can serve a read or take a write. The FUSE adapter maps it to EIO. */
public final class NoCurrentMemberException extends IOException {
    public NoCurrentMemberException(String message) {
        super(message);
    }
}
