package fr1.engine;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code fr1 create} asks for.
 *
 * @param size      image size in bytes (a multiple of 4 KiB), or -1 to take it from {@code from}, else from the
 *                  smallest member ({@link ImageSize#fromMembers}; every member must exist)
 * @param chunkSize chunk size in bytes, a power of two from 4 KiB to 64 MiB
 * @param members   member paths, 2..{@link Mirror#MAX_MEMBERS}
 * @param force     overwrite paths that hold fr1 metadata or other data
 * @param from      an existing plain image that becomes member 0 and is copied to the others, or null
 * @param spares    spare paths: made with this array's metadata in state spare, data untouched until used
 * @param bitmapChunk bytes one write-intent bit covers (a power of two from {@code chunkSize} to 1 GiB), or 0 for
 *                  {@link fr1.meta.Layout#defaultBitmapChunk}
 */
public record CreateSpec(long size, int chunkSize, List<Path> members, boolean force, Path from, List<Path> spares,
                         int bitmapChunk) {

    public CreateSpec {
        members = List.copyOf(members);
        spares = List.copyOf(spares);
    }

    public CreateSpec(long size, int chunkSize, List<Path> members, boolean force, Path from, List<Path> spares) {
        this(size, chunkSize, members, force, from, spares, 0);
    }

    public CreateSpec(long size, int chunkSize, List<Path> members, boolean force, Path from) {
        this(size, chunkSize, members, force, from, List.of());
    }
}
