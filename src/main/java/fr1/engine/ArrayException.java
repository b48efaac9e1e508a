package fr1.engine;

import java.io.IOException;

/**
 * A request the array refuses as it stands: members that do not belong together, a path that already
 * holds data, an unknown member, an operation that does not fit the member's state. Nothing was changed.
 * The CLI reports the message as one line and exits with {@code 3}.
 */
public class ArrayException extends IOException {
    public ArrayException(String message) {
        super(message);
    }
}
