package fr1.meta;

/** The path holds no fr1 metadata at all (as opposed to damaged metadata). Still never trusted. */
public final class NoMetadataException extends CorruptMetadataException {
    public NoMetadataException(String message) {
        super(message);
    }
}
