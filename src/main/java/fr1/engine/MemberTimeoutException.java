package fr1.engine;

import java.io.IOException;

/** A member call did not return within the I/O deadline. The member is failed; its stuck call is abandoned. */
public final class MemberTimeoutException extends IOException {
    public MemberTimeoutException(String message) {
        super(message);
    }
}
