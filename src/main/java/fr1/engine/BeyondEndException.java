package fr1.engine;

import java.io.IOException;

/** A write that would reach past the end of the image. The FUSE adapter maps it to EFBIG. */
public final class BeyondEndException extends IOException {
    public BeyondEndException(long offset, long length, long size) {
        super("write of " + length + " bytes at offset " + offset + " goes beyond the end of the image (" + size + " bytes)");
    }
}
