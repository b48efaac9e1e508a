package fr1.engine;

import fr1.io.FileStorage;
import fr1.meta.Layout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The image size an array gets from its members when none is given, as raidtools2 takes it from its component
 * devices: the largest multiple of the chunk size that fits, with fr1's metadata area after it, on the smallest
 * member (a regular file's length, a block device's size).
 */
public final class ImageSize {

    /**
     * The size chosen and where it comes from.
     *
     * @param size     image size in bytes, a multiple of the chunk size
     * @param smallest the member with the least capacity
     * @param capacity that member's capacity in bytes
     */
    public record Fit(long size, Path smallest, long capacity) {
    }

    private ImageSize() {
    }

    /**
     * The largest image every member holds, and every spare that exists already (a spare that does not is made as
     * large as needed).
     *
     * @param bitmapChunk as in {@link CreateSpec}: 0 for the default
     * @throws ArrayException if a member is missing, a path is neither a regular file nor a block device, or the
     *                        smallest is too small for one chunk and the metadata
     */
    public static Fit fromMembers(List<Path> members, List<Path> spares, int chunkSize, int bitmapChunk)
            throws IOException {
        List<Path> paths = new ArrayList<>(members);
        spares.stream().filter(Files::exists).forEach(paths::add);
        if (paths.isEmpty()) {
            throw new ArrayException("no member to take the size from");
        }
        Path smallest = null;
        long least = Long.MAX_VALUE;
        for (Path p : paths) {
            if (!Files.exists(p)) {
                throw new ArrayException(p + " does not exist: without a size every member must exist (the "
                        + "smallest gives the size)");
            }
            long cap;
            try {
                cap = FileStorage.capacityOf(p);
            } catch (IOException e) {
                throw new ArrayException("cannot take the size of " + p + ": " + Reasons.of(e));
            }
            if (cap < least) {
                least = cap;
                smallest = p;
            }
        }
        int bits = bitmapChunk > 0 ? bitmapChunk : Layout.defaultBitmapChunk(chunkSize);
        long size = largestFitting(least, chunkSize, bits);
        if (size <= 0) {
            throw new ArrayException(smallest + " has " + least + " bytes: too small for one chunk of " + chunkSize
                    + " bytes and fr1's metadata (" + new Layout(chunkSize, chunkSize, Mirror.MAX_MEMBERS, bits)
                    .minCapacity() + " bytes at least)");
        }
        return new Fit(size, smallest, least);
    }

    /**
     * The largest multiple of {@code chunkSize} whose layout ({@link Layout#minCapacity}: image plus metadata area)
     * fits in {@code capacity} bytes, or 0 if not even one chunk does. The metadata area grows with the image, so
     * this searches.
     */
    static long largestFitting(long capacity, int chunkSize, int bitmapChunk) {
        long lo = 0; // chunks that fit (0: none known to)
        long hi = Math.min(capacity / chunkSize, Integer.MAX_VALUE - 2L); // upper bound on chunks
        while (lo < hi) {
            long mid = lo + (hi - lo + 1) / 2;
            if (new Layout(mid * chunkSize, chunkSize, Mirror.MAX_MEMBERS, bitmapChunk).minCapacity() <= capacity) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo * chunkSize;
    }
}
