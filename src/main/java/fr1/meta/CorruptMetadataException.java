package fr1.meta;

import java.io.IOException;

/**
 * Metadata that cannot be trusted: bad magic, bad checksum, impossible values, a newer format version.
 * It is refused, never used. The CLI reports it as one line and exits with {@code 3}.
 */
public class CorruptMetadataException extends IOException {
    public CorruptMetadataException(String message) {
        super(message);
    }
}
