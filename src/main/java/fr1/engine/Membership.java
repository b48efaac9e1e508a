package fr1.engine;

import fr1.io.Storage;
import fr1.meta.Anchor;
import fr1.meta.Layout;
import fr1.meta.MemberRecord;
import fr1.meta.MetaStore;
import fr1.meta.NoMetadataException;
import fr1.meta.Superblock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's member commands: fail, down, up, remove, add (a known member, or a new path), and spares. Every
 * call that touches a member's file system (resolving a path the operator gave, opening, reading metadata) runs on
 * this class's own threads with the io deadline, off every lock: a hung member never holds up I/O or status.
 */
final class Membership implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final UUID arrayUuid;
    private final Layout layout;
    private final MirrorOptions options;
    private final Mirror.StorageOpener opener;
    private final Members members;
    private final Failures failures;
    private final MetaWriter meta;
    private final WritePath writes;
    private final Prober prober;
    private final Events events;
    private final long timeoutNanos;
    /** File-system calls with a deadline; a call stuck in a dead mount keeps its thread, not the caller. */
    private final ExecutorService calls = Executors.newCachedThreadPool(
            r -> Thread.ofPlatform().daemon().name("fr1-call").unstarted(r));

    Membership(UUID arrayUuid, Layout layout, MirrorOptions options, Mirror.StorageOpener opener, Members members,
               Failures failures, MetaWriter meta, WritePath writes, Prober prober, Events events) {
        this.arrayUuid = arrayUuid;
        this.layout = layout;
        this.options = options;
        this.opener = opener;
        this.members = members;
        this.failures = failures;
        this.meta = meta;
        this.writes = writes;
        this.prober = prober;
        this.events = events;
        this.timeoutNanos = options.ioTimeout().toNanos();
    }

    // ---------------------------------------------------------------- lookups

    Member resolve(String member) throws IOException {
        Member m = resolveOrNull(member);
        if (m == null) {
            throw new ArrayException("no member " + member + " in this array");
        }
        return m;
    }

    /**
     * A member by index or path. The path is first compared as given with the paths recorded at attach; only if
     * that fails is it resolved (links, hard links, bind mounts), off the caller's thread with the io deadline.
     */
    Member resolveOrNull(String member) throws IOException {
        Member m = members.find(member, null, null);
        if (m != null || member.matches("\\d{1,3}")) {
            return m;
        }
        Path p = Path.of(member);
        Object[] facts;
        try {
            facts = Calls.withDeadline(calls, () -> new Object[] {MemberPaths.canonical(p), ArrayFactory.identity(p)},
                    timeoutNanos, -1);
        } catch (MemberTimeoutException e) {
            throw new ArrayException("cannot resolve " + member + ": its file system did not answer in time");
        }
        return members.find(member, (Path) facts[0], facts[1]);
    }

    // ---------------------------------------------------------------- commands

    /** Marks a member faulty, as if it had failed; first forces it so that what it has is not counted missed. */
    void fail(String member) throws IOException {
        Member m = resolve(member);
        String refusal = members.read(t -> {
            if (m.state != MemberState.IN_SYNC && m.state != MemberState.RECOVERING) {
                return "member " + m.index + " is " + m.state.label() + ", not in use";
            }
            if (m.state == MemberState.IN_SYNC && t.count(MemberState.IN_SYNC) == 1) {
                return "member " + m.index + " is the last in-sync member; failing it would leave nothing to read from";
            }
            return onlyCurrentCopy(t, m);
        });
        if (refusal != null) {
            throw new ArrayException(refusal);
        }
        // Bounded by io-timeout: a member that cannot be forced is failed with its unflushed chunks missed.
        writes.flushMembers(false, m.index);
        members.update(t -> m.manual = true);
        failures.failNow(m, "failed by operator", -1, -1, true);
    }

    /**
     * Why failing {@code m} (healthy: the operator asks) would make chunks unavailable: it is the last synchronous
     * member in sync and write-behind members lack chunks only it holds. Null if it would not.
     */
    private static String onlyCurrentCopy(Members.Table t, Member m) {
        if (m.state != MemberState.IN_SYNC || m.writeBehind) {
            return null;
        }
        java.util.List<Member> others = new java.util.ArrayList<>();
        for (Member o : t.all()) {
            if (o != m && o.state == MemberState.IN_SYNC) {
                if (!o.writeBehind) {
                    return null;
                }
                others.add(o);
            }
        }
        long n = others.isEmpty() ? 0 : Lagging.lackedByAll(others).getLongCardinality();
        return n == 0 ? null : "member " + m.index + " holds the only current copy of " + n + " chunks (the "
                + "write-behind members are behind); wait for them ('fr1 wait --caught-up') before failing it";
    }

    /**
     * An outside agent (a script run when a VPN drops, an nbd client) says a member is unreachable: it is failed at
     * once, without waiting for an I/O error or timeout, and left alone by the prober until {@link #up}.
     */
    void down(String member) throws IOException {
        Member m = resolve(member);
        String refusal = members.read(t -> m.state == MemberState.IN_SYNC && t.count(MemberState.IN_SYNC) == 1
                ? "member " + m.index + " is the last in-sync member; it stays in use" : null);
        if (refusal != null) {
            throw new ArrayException(refusal);
        }
        // As fail: forced first (bounded by io-timeout), so what it holds durably is not counted missed. A member
        // that is really gone fails the force at once or at the deadline.
        writes.flushMembers(false, m.index);
        members.update(t -> m.manual = true);
        failures.failNow(m, "reported down", -1, -1, true);
    }

    /** An outside agent says a member is reachable again: probe it now and re-add it if it is ours. */
    void up(String member) throws IOException {
        Member m = resolve(member);
        members.update(t -> m.manual = false);
        prober.probeSoon(m);
    }

    /** Removes a faulty member from the array: nothing is tracked for it any more. */
    void remove(String member) throws IOException {
        Member m = resolve(member);
        String refusal = members.mutate(t -> {
            if (m.state != MemberState.FAULTY && m.state != MemberState.SPLIT_BRAIN) {
                return "member " + m.index + " is " + m.state.label()
                        + "; only a faulty member can be removed (fail it first)";
            }
            m.state = MemberState.REMOVED;
            m.missed = new RoaringBitmap();
            m.detach();
            t.bump();
            t.missedChanged();
            return null;
        });
        if (refusal != null) {
            throw new ArrayException(refusal);
        }
        LOG.info("{} removed", m.describe());
        events.emit("member-removed", m, null);
        meta.persist();
        promoteSpare();
    }

    /**
     * Brings a member (by path or index, or a new path) back and starts its resync: its missed chunks, or every
     * chunk when {@code full}. A path without this array's metadata, or written elsewhere, needs {@code full}.
     */
    void add(String member, boolean full) throws IOException {
        Member m = resolveOrNull(member);
        if (m == null) {
            addNew(Path.of(member), full);
            return;
        }
        Path path = members.read(t -> m.path);
        String refusal = members.read(t -> switch (m.state) {
            case IN_SYNC -> "member " + m.index + " is already in sync";
            case RECOVERING -> "member " + m.index + " is already recovering";
            case REMOVED -> full ? null : "member " + m.index + " was removed, so what it missed is not known; use "
                    + "add --full to copy every chunk to it";
            default -> null;
        });
        if (refusal != null) {
            throw new ArrayException(refusal);
        }
        if (path == null) {
            throw new ArrayException("member " + m.index + " has no known path; add it by path");
        }
        awaitQuiesced(m);
        Opened o = open(m, path);
        MetaStore store;
        try {
            store = checkReturning(m, o.storage, path, full);
        } catch (IOException | RuntimeException e) {
            closeQuietly(o.storage);
            throw e;
        }
        String late = members.mutate(t -> {
            if (m.state == MemberState.IN_SYNC || m.state == MemberState.RECOVERING) {
                return "member " + m.index + " is already " + m.state.label();
            }
            m.attach(o.storage, store, options.ioThreads(), o.facts);
            if (full) {
                m.missed = RoaringBitmap.bitmapOfRange(0, layout.chunks());
            }
            m.state = MemberState.RECOVERING;
            m.reason = null;
            m.manual = false;
            t.bump();
            return null;
        });
        if (late != null) {
            closeQuietly(o.storage);
            throw new ArrayException(late);
        }
        long chunks = members.read(t -> m.missed.getLongCardinality());
        LOG.info("{} added; resync of {} chunks starts{}", m.describe(), chunks, full ? " (full)" : "");
        events.emit("member-added", m, (full ? "full, " : "") + chunks + " chunks to copy");
        meta.persist();
    }

    private void addNew(Path path, boolean full) throws IOException {
        if (!full) {
            throw new ArrayException(path + " is not a member of this array; use add --full to make it one and "
                    + "copy every chunk to it");
        }
        Member slot = members.mutate(t -> {
            for (Member x : t.all()) {
                if (x.state == MemberState.REMOVED) {
                    return x;
                }
            }
            if (t.all().size() >= Math.min(Mirror.MAX_MEMBERS, layout.maxMembers())) {
                return null;
            }
            Member m = new Member(t.all().size(), UUID.randomUUID(), layout.chunks());
            m.state = MemberState.REMOVED;
            m.generation = t.generation();
            m.prevGeneration = t.generation();
            t.all().add(m);
            return m;
        });
        if (slot == null) {
            throw new ArrayException("the array has " + members.topology().size() + " members, the most it can hold");
        }
        awaitQuiesced(slot);
        try {
            Calls.withDeadline(calls, () -> {
                ArrayFactory.ensureCapacity(path, layout.minCapacity());
                return null;
            }, timeoutNanos, slot.index);
        } catch (MemberTimeoutException e) {
            throw new ArrayException("cannot prepare " + path + ": its file system did not answer in time");
        }
        Opened o = open(slot, path);
        try {
            MetaStore store = formatMember(o.storage, path, slot.index, slot.uuid);
            members.update(t -> {
                slot.path = path;
                slot.attach(o.storage, store, options.ioThreads(), o.facts);
                slot.missed = RoaringBitmap.bitmapOfRange(0, layout.chunks());
                slot.state = MemberState.RECOVERING;
                slot.reason = null;
                t.bump();
            });
        } catch (IOException | RuntimeException e) {
            closeQuietly(o.storage);
            throw e;
        }
        LOG.info("{} added as a new member; full resync of {} chunks starts", slot.describe(), layout.chunks());
        events.emit("member-added", slot, "new member, full, " + layout.chunks() + " chunks to copy");
        meta.persist();
    }

    /** A member was removed for good: a spare, if one is there, takes its place with a full resync (as md does). */
    void promoteSpare() {
        Member spare = members.read(t -> {
            for (Member m : t.all()) {
                if (m.state == MemberState.SPARE && m.storage != null) {
                    return m;
                }
            }
            return null;
        });
        if (spare == null) {
            return;
        }
        try {
            Storage storage = members.read(t -> spare.storage);
            MetaStore store = formatMember(storage, spare.path, spare.index, spare.uuid);
            boolean used = members.mutate(t -> {
                if (spare.state != MemberState.SPARE) {
                    return false;
                }
                spare.meta = store;
                spare.missed = RoaringBitmap.bitmapOfRange(0, layout.chunks());
                spare.state = MemberState.RECOVERING;
                t.bump();
                return true;
            });
            if (!used) {
                return;
            }
            LOG.info("{}: spare put to use; full resync of {} chunks starts", spare.describe(), layout.chunks());
            events.emit("spare-activated", spare, layout.chunks() + " chunks to copy");
            meta.persist();
        } catch (IOException e) {
            LOG.error("{}: spare could not be put to use: {}", spare.describe(), Mirror.reason(e));
            members.update(t -> {
                spare.state = MemberState.FAULTY;
                spare.reason = "spare activation: " + Mirror.reason(e);
                spare.detach();
            });
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Storage just opened on a member's path, and what its path is. */
    record Opened(Storage storage, PathFacts facts) {
    }

    /** Opens a member's path and reads its facts, off the caller's thread with the io deadline. */
    Opened open(Member m, Path path) throws IOException {
        try {
            return Calls.withDeadline(calls, () -> {
                Storage s;
                try {
                    s = opener.open(path);
                } catch (IOException e) {
                    throw new ArrayException("cannot open " + path + ": " + Mirror.reason(e));
                }
                return new Opened(s, PathFacts.read(path));
            }, timeoutNanos, m.index);
        } catch (MemberTimeoutException e) {
            throw new ArrayException("cannot open " + path + ": its file system did not answer in time");
        }
    }

    /** Refuses to re-add a member while I/O from before its failure may still land on it. */
    private void awaitQuiesced(Member m) throws IOException {
        try {
            if (!m.awaitQuiesced(options.ioTimeout())) {
                throw new ArrayException("member " + m.index + " still has I/O in flight from before it failed "
                        + "(a hung call); try again when it has returned");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for member " + m.index);
        }
    }

    /** Checks that a returning member is ours and only missed updates, or (full) lays fresh metadata on it. */
    private MetaStore checkReturning(Member m, Storage storage, Path path, boolean full) throws IOException {
        String problem;
        MetaStore store = null;
        try {
            Object[] read = Calls.withDeadline(calls, () -> {
                MetaStore ms = MetaStore.open(storage, path.toString());
                return new Object[] {ms, ms.readSuperblock()};
            }, timeoutNanos, m.index);
            store = (MetaStore) read[0];
            Superblock sb = (Superblock) read[1];
            MetaStore s = store;
            problem = members.mutate(t -> {
                if (!s.anchor().arrayUuid().equals(arrayUuid)) {
                    return path + " belongs to another array (" + s.anchor().arrayUuid() + ")";
                } else if (!s.layout().equals(layout)) {
                    return path + " has another geometry";
                } else if (sb.memberIndex() != m.index || !sb.self().uuid().equals(m.uuid)) {
                    return path + " is member " + sb.memberIndex() + " of this array, not member " + m.index;
                } else if (!t.record(m).knows(sb.events(), sb.generation())) {
                    return "member " + m.index + " (" + path + ") was written elsewhere since it failed (split brain)";
                }
                Mirror.remember(m, sb);
                return null;
            });
        } catch (NoMetadataException e) {
            problem = path + " has no fr1 metadata";
        } catch (fr1.meta.CorruptMetadataException e) {
            problem = e.getMessage();
        } catch (MemberTimeoutException e) {
            throw new ArrayException("cannot read " + path + ": its file system did not answer in time");
        }
        if (problem == null && !full) {
            return store;
        }
        if (!full) {
            throw new ArrayException(problem + "; use add --full to copy every chunk to it");
        }
        return formatMember(storage, path, m.index, m.uuid);
    }

    /** Lays fresh metadata for member {@code index} on a path (add --full, spares). */
    private MetaStore formatMember(Storage storage, Path path, int index, UUID memberUuid) throws IOException {
        Superblock sb = members.read(t -> {
            List<MemberRecord> records = new ArrayList<>();
            for (Member x : t.all()) {
                MemberRecord r = t.record(x);
                if (x.index == index) {
                    r = new MemberRecord(memberUuid, MemberState.RECOVERING.code(), 0, t.events(), t.generation(),
                            t.events(), t.generation(), 0, RoaringBitmap.bitmapOfRange(0, layout.chunks()));
                }
                records.add(r);
            }
            return new Superblock(arrayUuid, index, false, layout.size(), layout.chunkSize(), t.events(),
                    t.generation(), records);
        });
        try {
            return Calls.withDeadline(calls, () -> MetaStore.format(storage, path.toString(),
                    new Anchor(arrayUuid, layout), sb), timeoutNanos, index);
        } catch (MemberTimeoutException e) {
            throw new ArrayException("cannot write metadata to " + path + ": its file system did not answer in time");
        }
    }

    static void closeQuietly(Storage s) {
        try {
            if (s != null) {
                s.close();
            }
        } catch (IOException ignored) {
            // Nothing useful to do: the member is not in use.
        }
    }

    @Override
    public void close() {
        calls.shutdownNow();
    }
}
