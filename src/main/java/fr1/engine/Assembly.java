package fr1.engine;

import fr1.io.Storage;
import fr1.meta.Layout;
import fr1.meta.MemberRecord;
import fr1.meta.MetaStore;
import fr1.meta.NoMetadataException;
import fr1.meta.Superblock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.roaringbitmap.RoaringBitmap;

/**
 * What the member paths given at mount say, checked before anything is written: they exist, hold this array's
 * metadata, are distinct, and agree on geometry. Picks the authority (the highest event count: its member table
 * is the truth) and the source for recovery.
 */
record Assembly(Layout layout, UUID arrayUuid, Superblock authority, Map<Integer, Found> byIndex, int sourceIndex,
                RoaringBitmap dirty) {

    /** One given path and what was read from it. */
    record Found(Path path, Storage storage, MetaStore meta, Superblock superblock) {
    }

    Found found(int index) {
        return byIndex.get(index);
    }

    static Assembly read(List<Path> paths, Mirror.StorageOpener opener) throws IOException {
        if (paths.isEmpty()) {
            throw new ArrayException("no member given");
        }
        List<Found> found = new ArrayList<>();
        try {
            Map<Object, Path> seen = new HashMap<>();
            for (Path p : paths) {
                Path real = MemberPaths.canonical(p);
                Path before = seen.putIfAbsent(ArrayFactory.identity(p), p);
                if (before != null) {
                    throw new ArrayException(p + " and " + before + " are the same file (" + real + ")");
                }
                Storage s;
                try {
                    s = opener.open(p);
                } catch (IOException e) {
                    throw new ArrayException("cannot open member " + p + ": " + Mirror.reason(e));
                }
                try {
                    MetaStore meta = MetaStore.open(s, p.toString());
                    found.add(new Found(p, s, meta, meta.readSuperblock()));
                } catch (NoMetadataException e) {
                    s.close();
                    throw new ArrayException(e.getMessage() + "; make an array with 'fr1 create' or add the path "
                            + "to a running one with 'fr1 add --full'");
                } catch (IOException | RuntimeException e) {
                    s.close();
                    throw e;
                }
            }
            return check(found);
        } catch (IOException | RuntimeException e) {
            for (Found f : found) {
                try {
                    f.storage().close();
                } catch (IOException ignored) {
                    // Already failing; the first error is the one to report.
                }
            }
            throw e;
        }
    }

    private static Assembly check(List<Found> found) throws IOException {
        Found first = found.get(0);
        UUID array = first.meta().anchor().arrayUuid();
        Layout layout = first.meta().layout();
        Superblock auth = first.superblock();
        for (Found f : found) {
            if (!f.meta().anchor().arrayUuid().equals(array)) {
                throw new ArrayException(f.path() + " belongs to array " + f.meta().anchor().arrayUuid() + ", "
                        + first.path() + " to array " + array);
            }
            if (!f.meta().layout().equals(layout)) {
                throw new ArrayException(f.path() + " has size " + f.meta().layout().size() + " and chunk size "
                        + f.meta().layout().chunkSize() + ", " + first.path() + " has " + layout.size() + " and "
                        + layout.chunkSize());
            }
            if (f.superblock().events() > auth.events()) {
                auth = f.superblock();
            }
        }
        Map<Integer, Found> byIndex = new HashMap<>();
        for (Found f : found) {
            int idx = f.superblock().memberIndex();
            Found other = byIndex.put(idx, f);
            if (other != null) {
                throw new ArrayException(f.path() + " and " + other.path() + " are both member " + idx);
            }
            if (idx >= auth.members().size()
                    || !auth.members().get(idx).uuid().equals(f.superblock().self().uuid())) {
                throw new ArrayException(f.path() + " claims to be member " + idx
                        + " but the array no longer knows it; add it with 'fr1 add --full'");
            }
        }
        // The source of recovery must hold every acknowledged write: an in-sync member that was not write-behind
        // (async mode acknowledges before write-behind members have the data), the freshest such one.
        int source = -1;
        long best = -1;
        boolean bestBehind = true;
        for (Found f : found) {
            int idx = f.superblock().memberIndex();
            MemberRecord r = auth.members().get(idx);
            boolean behind = (r.flags() & 1) != 0;
            if (r.state() != MemberState.IN_SYNC.code()) {
                continue;
            }
            if (source < 0 || (bestBehind && !behind) || (bestBehind == behind && f.superblock().events() > best)) {
                best = f.superblock().events();
                source = idx;
                bestBehind = behind;
            }
        }
        if (source < 0) {
            throw new ArrayException("none of the given members is in sync; give at least one in-sync member");
        }
        RoaringBitmap dirty = new RoaringBitmap();
        if (!auth.clean()) {
            for (Found f : found) {
                int st = auth.members().get(f.superblock().memberIndex()).state();
                if (st == MemberState.IN_SYNC.code() || st == MemberState.RECOVERING.code()) {
                    try {
                        dirty.or(f.meta().readWib());
                    } catch (IOException e) {
                        // Unreadable bitmap: every chunk may differ. Safe, slow.
                        dirty.add(0L, layout.chunks());
                    }
                }
            }
        }
        return new Assembly(layout, array, auth, byIndex, source, dirty);
    }

    void closeAll() {
        for (Found f : byIndex.values()) {
            try {
                f.storage().close();
            } catch (IOException ignored) {
                // Failing already.
            }
        }
    }
}
