package fr1.engine;

import fr1.io.FileStorage;
import fr1.io.Storage;
import fr1.meta.Anchor;
import fr1.meta.CorruptMetadataException;
import fr1.meta.Layout;
import fr1.meta.MemberRecord;
import fr1.meta.MetaStore;
import fr1.meta.NoMetadataException;
import fr1.meta.Superblock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the members of a new array ({@code fr1 create}). Every path is checked before any is touched, so a refused
 * request changes nothing. The anchor is written last on each member: a creation cut short leaves no member that
 * could be mistaken for a complete one.
 */
final class ArrayFactory {

    private static final Logger LOG = LoggerFactory.getLogger(ArrayFactory.class);
    /** How much of the start and end of an existing path is looked at for data (as wipefs looks for signatures). */
    private static final int PROBE_BYTES = 1 << 20;

    private ArrayFactory() {
    }

    static void create(CreateSpec spec) throws IOException {
        List<Path> paths = new ArrayList<>();
        if (spec.from() != null) {
            paths.add(spec.from());
        }
        for (Path p : spec.members()) {
            if (spec.from() == null || !identity(p).equals(identity(spec.from()))) {
                paths.add(p);
            }
        }
        int active = paths.size();
        paths.addAll(spec.spares());
        if (active == 0 || paths.size() > Mirror.MAX_MEMBERS) {
            throw new ArrayException("an array has 1 to " + Mirror.MAX_MEMBERS + " members and spares, not "
                    + paths.size());
        }
        long size = spec.size();
        if (spec.from() != null) {
            if (!Files.isRegularFile(spec.from())) {
                throw new ArrayException("--from " + spec.from() + " is not a regular file");
            }
            long imageSize = Files.size(spec.from());
            long rounded = (imageSize + Layout.PAGE - 1) / Layout.PAGE * Layout.PAGE;
            if (size < 0) {
                size = rounded;
            } else if (size < imageSize) {
                throw new ArrayException("--size " + size + " is smaller than the image " + spec.from() + " ("
                        + imageSize + " bytes)");
            }
        }
        if (size < 0) {
            size = ImageSize.fromMembers(spec.members(), spec.spares(), spec.chunkSize(),
                    spec.bitmapChunk()).size();
        }
        Layout layout;
        try {
            Layout.validate(size, spec.chunkSize(), Mirror.MAX_MEMBERS);
            int bitmapChunk = spec.bitmapChunk() > 0 ? spec.bitmapChunk()
                    : Layout.defaultBitmapChunk(spec.chunkSize());
            layout = new Layout(size, spec.chunkSize(), Mirror.MAX_MEMBERS, bitmapChunk);
        } catch (IllegalArgumentException e) {
            throw new ArrayException(e.getMessage());
        }
        Map<Object, Path> seen = new HashMap<>();
        for (Path p : paths) {
            Path before = seen.putIfAbsent(identity(p), p);
            if (before != null) {
                throw new ArrayException(p + " and " + before + " are the same file");
            }
            check(p, layout, spec.force(), p.equals(spec.from()));
        }
        // Checks passed: from here on, paths are changed.
        boolean allFresh = spec.from() == null;
        List<Storage> opened = new ArrayList<>();
        try {
            for (Path p : paths) {
                boolean existed = Files.exists(p);
                allFresh &= !existed;
                ensureCapacity(p, layout.minCapacity());
                opened.add(FileStorage.open(p));
            }
            if (!allFresh) {
                // Spares are not copied to: one gets a full resync when it is put to use.
                copyImage(opened.subList(0, active), paths, layout);
            }
            writeMetadata(opened, paths, layout, active);
        } finally {
            for (Storage s : opened) {
                s.close();
            }
        }
        LOG.info("created array of {} members, {} bytes, chunk {}, bitmap chunk {}", paths.size(), size,
                spec.chunkSize(), layout.bitmapChunk());
    }

    /**
     * What tells two paths apart as members: the file's (device, inode) if it exists, else its directory's and its
     * name, else its canonical path. So a hard link or a bind mount of the same directory is the same file, which
     * comparing resolved paths alone does not see.
     */
    static Object identity(Path p) {
        Path c = MemberPaths.canonical(p);
        Object key = PathFacts.fileKey(c);
        if (key != null) {
            return key;
        }
        Path parent = c.getParent();
        Object dirKey = parent == null ? null : PathFacts.fileKey(parent);
        return dirKey == null ? c : List.of(dirKey, c.getFileName().toString());
    }

    /** Refuses a path that cannot be a member or holds data (unless forced); changes nothing. */
    private static void check(Path p, Layout layout, boolean force, boolean isFrom) throws IOException {
        if (!Files.exists(p)) {
            Path parent = p.toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                throw new ArrayException("cannot create " + p + ": its directory does not exist");
            }
            if (!Files.isWritable(parent)) {
                throw new ArrayException("cannot create " + p + ": its directory is not writable");
            }
            return;
        }
        if (Files.isDirectory(p)) {
            throw new ArrayException(p + " is a directory");
        }
        boolean regular = Files.isRegularFile(p);
        if (!regular && !isBlockDevice(p)) {
            throw new ArrayException(p + " is not a regular file or block device");
        }
        if (!Files.isWritable(p) || !Files.isReadable(p)) {
            throw new ArrayException(p + " is not readable and writable");
        }
        try (Storage s = FileStorage.open(p)) {
            long cap = s.capacity();
            if (!regular && cap < layout.minCapacity()) {
                throw new ArrayException(p + " has " + cap + " bytes; the array needs " + layout.minCapacity());
            }
            if (isFrom || force) {
                return;
            }
            String data = describeData(s, p);
            if (data != null) {
                throw new ArrayException(p + " already holds " + data + "; use --force to overwrite it");
            }
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ArrayException(p + " is not readable and writable");
        }
    }

    /** What an existing path holds, or null if it looks empty (zeros where data would be). */
    private static String describeData(Storage s, Path p) throws IOException {
        try {
            MetaStore meta = MetaStore.open(s, p.toString());
            return "fr1 metadata (array " + meta.anchor().arrayUuid() + ")";
        } catch (NoMetadataException e) {
            // Not ours; look for other data below.
        } catch (CorruptMetadataException e) {
            return "damaged fr1 metadata";
        }
        long cap = s.capacity();
        if (!isZero(s, 0, Math.min(cap, PROBE_BYTES)) || !isZero(s, Math.max(0, cap - PROBE_BYTES), cap)) {
            return "data (non-zero bytes)";
        }
        return null;
    }

    private static boolean isZero(Storage s, long from, long to) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) (to - from));
        long pos = from;
        while (b.hasRemaining()) {
            int n = s.read(b, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
        b.flip();
        while (b.remaining() >= 8) {
            if (b.getLong() != 0) {
                return false;
            }
        }
        while (b.hasRemaining()) {
            if (b.get() != 0) {
                return false;
            }
        }
        return true;
    }

    static boolean isBlockDevice(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode");
            return mode instanceof Integer m && (m & 0170000) == 0060000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Makes a regular file at least {@code capacity} bytes long (sparse); creates it if missing. */
    static void ensureCapacity(Path p, long capacity) throws IOException {
        if (Files.exists(p) && !Files.isRegularFile(p)) {
            return;
        }
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            if (f.length() < capacity) {
                f.setLength(capacity);
            }
        }
    }

    /** Copies member 0's image region to every other member, so they start identical. */
    private static void copyImage(List<Storage> members, List<Path> paths, Layout layout) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20);
        long lastLog = System.nanoTime();
        for (long off = 0; off < layout.size(); off += buf.capacity()) {
            int len = (int) Math.min(buf.capacity(), layout.size() - off);
            // Only data moves: the image's holes (and pages of zeros) become holes on the other members.
            SparseCopy copy = new SparseCopy(buf.clear().limit(len), off);
            copy.read(members.get(0));
            for (int i = 1; i < members.size(); i++) {
                copy.write(members.get(i));
            }
            if (System.nanoTime() - lastLog > 5_000_000_000L) {
                LOG.info("copying {} to the other members: {}%", paths.get(0), off * 100 / layout.size());
                lastLog = System.nanoTime();
            }
        }
        for (Storage s : members) {
            s.force();
        }
    }

    private static void writeMetadata(List<Storage> members, List<Path> paths, Layout layout, int active)
            throws IOException {
        UUID array = UUID.randomUUID();
        UUID generation = UUID.randomUUID();
        long events = 1;
        List<MemberRecord> records = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            MemberState state = i < active ? MemberState.IN_SYNC : MemberState.SPARE;
            records.add(new MemberRecord(UUID.randomUUID(), state.code(), 0, events, generation, events,
                    generation, 0, new RoaringBitmap(), MemberPaths.shown(paths.get(i))));
        }
        Anchor anchor = new Anchor(array, layout);
        for (int i = 0; i < members.size(); i++) {
            Superblock sb = new Superblock(array, i, true, layout.size(), layout.chunkSize(), events, generation,
                    records);
            MetaStore.format(members.get(i), paths.get(i).toString(), anchor, sb);
        }
    }
}
