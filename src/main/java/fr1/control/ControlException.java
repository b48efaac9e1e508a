package fr1.control;

import java.io.IOException;

/** A control request that failed, with the reason as an {@link ErrorCode}. The message is one line. */
public class ControlException extends IOException {

    private final ErrorCode code;

    public ControlException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
