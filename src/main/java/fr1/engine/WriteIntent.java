package fr1.engine;

import fr1.meta.Layout;
import fr1.meta.WibPages;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-intent bitmap: before data for a chunk goes to any member, the chunk's bit is durable on the members.
 * One bit covers {@link Layout#chunksPerBit} data chunks (a power of two, the "bitmap chunk"); every method here
 * speaks in DATA chunks and widens to whole bits itself.
 *
 * <h2>Setting</h2>
 * A write whose bits are all set and durable takes no lock and allocates nothing: it reads {@link #durable} (one
 * volatile long read per 64 bits) and notes the bits in {@link #touched} (a read, and an atomic OR only the first
 * time in a sweep period). Otherwise it takes the slow path: under the lock, the bits are set in the in-memory pages,
 * which are kept encoded (bytes as on disk, changed 64 bits at a time), and the write waits for a commit. Commits
 * are batched (group commit: whoever finds no commit running writes every page that changed since, for all waiters
 * at once); the page bytes are copied under the lock, checksummed and written outside it. A bit is set in
 * {@code durable} only after the commit that wrote it returned successfully.
 *
 * <h2>Clearing, and the contract with the caller</h2>
 * Clearing is lazy: {@link #sweep} clears a bit once no write marked any of its chunks for {@link #quietSweeps}
 * whole sweep periods, and only if the caller says no write is in flight on its chunks. Precisely: a period ends at
 * each call of sweep (the first began at construction); a bit marked during period {@code p} (bits given at
 * construction count as marked during the first) is cleared at the earliest by the sweep that ends period
 * {@code p + quietSweeps}, if no mark came since. The caller
 * must:
 * <ol>
 * <li>hold, from before {@link #markDirty} until the write's data is on every member (including queued
 * write-behind copies), something its {@link RangeInFlight} predicate sees: today the stripe lock of the chunks (a
 * {@code ReentrantLock}) and the write-behind counters;</li>
 * <li>acquire it with a volatile write or stronger (a lock acquisition is a CAS), and have the predicate read it
 * with a volatile read or stronger ({@code tryLock} is a CAS).</li>
 * </ol>
 * Why no write can skip the commit for a bit a sweep clears: the sweep first clears the bit in {@code durable}
 * (a volatile read-modify-write), THEN asks the predicate; a write takes its lock, THEN reads {@code durable}. These
 * four actions are synchronization actions, totally ordered consistently with program order (Dekker's pattern), so
 * either the write's read of {@code durable} comes after the sweep's clear (it sees the bit clear and takes the slow
 * path, which waits for the sweep to finish under the lock and sets the bit again), or the write's lock came before
 * the sweep's question (the sweep sees the write in flight, puts the durable bit back, and leaves the bit set: it was
 * never cleared on disk). That is why the fast path reads {@code durable} with a volatile read, not a plain or
 * acquire read: an acquire read may be ordered before the earlier lock CAS by the memory model (on x86 and ARMv8 a
 * volatile read costs the same as a plain one). The sweep holds the lock from the clear to its decision, so the slow
 * path never sees the transient clear. {@code touched} is only a heuristic for laziness, never needed for safety.
 *
 * <h2>Bench switch</h2>
 * JVM property {@code fr1.bench.noBitmap=true} turns {@link #markDirty} and {@link #sweep} into no-ops (nothing is
 * ever marked: a crash then loses track of writes in flight). For measuring the bitmap's cost only; logged as a
 * warning once.
 */
final class WriteIntent {

    private static final Logger LOG = LoggerFactory.getLogger(WriteIntent.class);
    static final String NO_BITMAP_PROPERTY = "fr1.bench.noBitmap";
    /** A bit is cleared once its chunks were not written for this many sweep periods (2 x quiet-period, 4 s). */
    static final int DEFAULT_QUIET_SWEEPS = 2;
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    /** Volatile and atomic access to the elements of {@link #durable} and {@link #touched}. */
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    /** Writes the given bitmap pages (already encoded) to every member that takes writes, and forces them. */
    interface PageSink {
        void writePages(int[] pages, byte[][] contents) throws IOException;
    }

    /** Whether a write is in flight on any data chunk of {@code firstDataChunk..lastDataChunk} (inclusive). */
    @FunctionalInterface
    interface RangeInFlight {
        boolean inFlight(int firstDataChunk, int lastDataChunk);
    }

    private final PageSink sink;
    private final int chunks;
    private final int shift;
    private final int bitCount;
    private final int quietSweeps;
    private final boolean disabled;
    /** Bits set in memory whose setting a successful commit wrote; read without the lock (see the class doc). */
    private final long[] durable;
    /** Bits marked since the last sweep; set without the lock, drained by the sweep. */
    private final long[] touched;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition committedChanged = lock.newCondition();
    // All guarded by lock.
    /** The bitmap as it is to be on disk, encoded (checksum filled in on the copy that is written). */
    private final byte[][] pages;
    /** Bits set per page, so a sweep skips empty pages. */
    private final int[] setInPage;
    private final BitSet pagesToWrite = new BitSet();
    /** Bits set whose commit has not started yet (they become durable when it returns). */
    private RoaringBitmap unflushed = new RoaringBitmap();
    /** Bits a sweep dropped whose commit (which forces every member) has not finished yet. */
    private final RoaringBitmap clearing = new RoaringBitmap();
    /** {@code recent[i]}: bits marked during the i-th last sweep period ({@code recent[0]}: the one just ended). */
    private final RoaringBitmap[] recent;
    private long requested;
    private long committed;
    private boolean committing;
    private IOException lastFailure;
    private long failedUpTo = -1;
    private long commits;
    /** Bits a sweep would have cleared but found a write in flight on (the race the class doc describes). */
    private long sweepKept;

    WriteIntent(PageSink sink, Layout layout, RoaringBitmap initiallyDirty) {
        this(sink, layout.chunks(), layout.chunksPerBit(), DEFAULT_QUIET_SWEEPS, initiallyDirty,
                Boolean.getBoolean(NO_BITMAP_PROPERTY));
    }

    /**
     * @param chunks         data chunks of the image
     * @param chunksPerBit   data chunks per bit, a power of two
     * @param quietSweeps    sweep periods without a write before a bit is cleared, at least 1
     * @param initiallyDirty data chunks found dirty on disk (durable already); they count as marked now
     * @param disabled       the bench switch: mark nothing
     */
    WriteIntent(PageSink sink, int chunks, int chunksPerBit, int quietSweeps, RoaringBitmap initiallyDirty,
                boolean disabled) {
        if (chunks < 1 || chunksPerBit < 1 || Integer.bitCount(chunksPerBit) != 1 || quietSweeps < 1) {
            throw new IllegalArgumentException("bad write-intent geometry " + chunks + "/" + chunksPerBit + "/"
                    + quietSweeps);
        }
        this.sink = sink;
        this.chunks = chunks;
        this.shift = Integer.numberOfTrailingZeros(chunksPerBit);
        this.bitCount = (int) (((long) chunks + chunksPerBit - 1) >>> shift);
        this.quietSweeps = quietSweeps;
        this.disabled = disabled;
        int words = (bitCount + 63) >>> 6;
        this.durable = new long[words];
        this.touched = new long[words];
        int pageCount = (bitCount + WibPages.BITS_PER_PAGE - 1) / WibPages.BITS_PER_PAGE;
        this.pages = new byte[pageCount][];
        for (int p = 0; p < pageCount; p++) {
            pages[p] = WibPages.blank(p);
        }
        this.setInPage = new int[pageCount];
        this.recent = new RoaringBitmap[quietSweeps];
        for (int i = 0; i < quietSweeps; i++) {
            recent[i] = new RoaringBitmap();
        }
        toBits(initiallyDirty).forEach((int b) -> {
            // Durable already (read from disk), and counted as marked in the first period.
            setPageBits(b, b);
            WORDS.getAndBitwiseOr(durable, b >>> 6, 1L << b);
            WORDS.getAndBitwiseOr(touched, b >>> 6, 1L << b);
        });
        pagesToWrite.clear();
        if (disabled && WARNED.compareAndSet(false, true)) {
            LOG.warn("{}=true: the write-intent bitmap is off, a crash will not know which chunks to resync "
                    + "(for benchmarks only)", NO_BITMAP_PROPERTY);
        }
    }

    /** Returns once chunks {@code first..last} (data chunks) are durably marked. */
    void markDirty(int first, int last) throws IOException {
        if (disabled) {
            return;
        }
        int fb = first >>> shift;
        int lb = last >>> shift;
        boolean durableAll = true;
        for (int w = fb >>> 6, lw = lb >>> 6; w <= lw; w++) {
            long mask = mask(w, fb, lb);
            if (((long) WORDS.getVolatile(touched, w) & mask) != mask) {
                WORDS.getAndBitwiseOr(touched, w, mask);
            }
            if (((long) WORDS.getVolatile(durable, w) & mask) != mask) {
                durableAll = false;
            }
        }
        if (!durableAll) {
            markSlow(fb, lb);
        }
    }

    /** Bits {@code lo..hi} of word {@code w} that fall in {@code fb..lb}. */
    private static long mask(int w, int fb, int lb) {
        int lo = Math.max(fb, w << 6) & 63;
        int hi = Math.min(lb, (w << 6) + 63) & 63;
        return (-1L >>> (63 - hi)) & (-1L << lo);
    }

    private boolean allDurable(int fb, int lb) {
        for (int w = fb >>> 6, lw = lb >>> 6; w <= lw; w++) {
            long mask = mask(w, fb, lb);
            if (((long) WORDS.getVolatile(durable, w) & mask) != mask) {
                return false;
            }
        }
        return true;
    }

    private void markSlow(int fb, int lb) throws IOException {
        long ticket;
        lock.lock();
        try {
            if (allDurable(fb, lb)) {
                return;
            }
            setPageBits(fb, lb);
            unflushed.add((long) fb, (long) lb + 1);
            ticket = ++requested;
        } finally {
            lock.unlock();
        }
        awaitCommit(ticket);
    }

    /** Sets bits {@code fb..lb} in the pages and marks their pages to be written. Caller holds the lock. */
    private void setPageBits(int fb, int lb) {
        for (int b = fb; b <= lb; ) {
            int p = b / WibPages.BITS_PER_PAGE;
            int inPage = b - p * WibPages.BITS_PER_PAGE;
            int w = inPage >>> 6;
            int lo = inPage & 63;
            int end = Math.min(lb, b + 63 - lo);
            long m = (-1L >>> (63 - (lo + end - b))) & (-1L << lo);
            long old = WibPages.word(pages[p], w);
            WibPages.setWord(pages[p], w, old | m);
            setInPage[p] += Long.bitCount(m & ~old);
            pagesToWrite.set(p);
            b = end + 1;
        }
    }

    /** Writes pending page changes and waits until the commit that includes request {@code ticket} is done. */
    private void awaitCommit(long ticket) throws IOException {
        lock.lock();
        try {
            while (committed < ticket) {
                if (committing) {
                    committedChanged.awaitUninterruptibly();
                    continue;
                }
                committing = true;
                long target = requested;
                int[] toWrite = pagesToWrite.stream().toArray();
                pagesToWrite.clear();
                byte[][] contents = new byte[toWrite.length][];
                for (int i = 0; i < toWrite.length; i++) {
                    contents[i] = pages[toWrite[i]].clone();
                }
                RoaringBitmap flushing = unflushed;
                unflushed = new RoaringBitmap();
                IOException failure = null;
                // Not holding the lock while checksumming and writing: requests arriving now queue up for the next
                // commit.
                lock.unlock();
                try {
                    for (byte[] c : contents) {
                        WibPages.seal(c);
                    }
                    sink.writePages(toWrite, contents);
                } catch (IOException e) {
                    failure = e;
                } finally {
                    lock.lock();
                }
                committing = false;
                if (failure != null) {
                    // Nothing is known durable: those bits must be written again by the next request.
                    unflushed.or(flushing);
                    for (int pg : toWrite) {
                        pagesToWrite.set(pg);
                    }
                    failedUpTo = target;
                    lastFailure = failure;
                } else {
                    // Only now may a write skip the commit for these bits (those still set: none is cleared while
                    // its write waits, since that write is in flight, but a clearAll may have run).
                    flushing.forEach((int b) -> {
                        if (pageBit(b)) {
                            WORDS.getAndBitwiseOr(durable, b >>> 6, 1L << b);
                        }
                    });
                }
                committed = target;
                commits++;
                committedChanged.signalAll();
            }
            if (ticket <= failedUpTo && lastFailure != null) {
                // The sink fails only when no in-sync member took the pages: nothing can be written safely.
                NoCurrentMemberException e = new NoCurrentMemberException(
                        "write-intent bitmap could not be written: " + lastFailure.getMessage());
                e.initCause(lastFailure);
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether bit {@code b} is set in the pages. Caller holds the lock. */
    private boolean pageBit(int b) {
        int p = b / WibPages.BITS_PER_PAGE;
        int inPage = b - p * WibPages.BITS_PER_PAGE;
        return (WibPages.word(pages[p], inPage >>> 6) & (1L << inPage)) != 0;
    }

    /**
     * One sweep period ends: clears the bits whose chunks no write marked during the last {@link #quietSweeps}
     * periods and that have no write in flight now, and waits until that is durable. Called every quiet period by
     * the housekeeper (the rule is in periods, not seconds, so a test calls it directly).
     *
     * @param inFlight asked once per bit to clear, with the bit's whole data chunk range; true keeps it set
     */
    void sweep(RangeInFlight inFlight) throws IOException {
        if (disabled) {
            return;
        }
        long ticket;
        RoaringBitmap cleared = new RoaringBitmap();
        lock.lock();
        try {
            RoaringBitmap now = new RoaringBitmap();
            for (int w = 0; w < touched.length; w++) {
                if ((long) WORDS.getVolatile(touched, w) != 0) {
                    long t = (long) WORDS.getAndSet(touched, w, 0L);
                    while (t != 0) {
                        now.add((w << 6) + Long.numberOfTrailingZeros(t));
                        t &= t - 1;
                    }
                }
            }
            System.arraycopy(recent, 0, recent, 1, quietSweeps - 1);
            recent[0] = now;
            RoaringBitmap active = RoaringBitmap.or(recent);
            for (int p = 0; p < pages.length; p++) {
                if (setInPage[p] == 0) {
                    continue;
                }
                byte[] page = pages[p];
                for (int w = 0; w < WibPages.WORDS_PER_PAGE; w++) {
                    long set = WibPages.word(page, w);
                    long clear = 0;
                    for (long s = set; s != 0; s &= s - 1) {
                        int bit = Long.numberOfTrailingZeros(s);
                        int b = p * WibPages.BITS_PER_PAGE + (w << 6) + bit;
                        long m = 1L << b;
                        if (active.contains(b) || ((long) WORDS.getVolatile(durable, b >>> 6) & m) == 0) {
                            continue; // marked lately, or its commit is still to come (a write waits for it)
                        }
                        WORDS.getAndBitwiseAnd(durable, b >>> 6, ~m); // first: from here no write skips the commit
                        int firstChunk = b << shift;
                        int lastChunk = (int) Math.min(chunks - 1L, ((long) b << shift) + (1L << shift) - 1);
                        if (inFlight.inFlight(firstChunk, lastChunk)) {
                            WORDS.getAndBitwiseOr(durable, b >>> 6, m); // never cleared on disk: still durable
                            sweepKept++;
                            continue;
                        }
                        clear |= 1L << bit;
                        cleared.add(b);
                    }
                    if (clear != 0) {
                        WibPages.setWord(page, w, set & ~clear);
                        setInPage[p] -= Long.bitCount(clear);
                        pagesToWrite.set(p);
                    }
                }
            }
            if (cleared.isEmpty()) {
                return;
            }
            clearing.or(cleared);
            ticket = ++requested;
        } finally {
            lock.unlock();
        }
        try {
            awaitCommit(ticket);
        } finally {
            lock.lock();
            try {
                clearing.andNot(cleared);
            } finally {
                lock.unlock();
            }
        }
    }

    /** Clears every bit (clean shutdown, after all members are in step) and waits until that is durable. */
    void clearAll(int chunks) throws IOException {
        long ticket;
        lock.lock();
        try {
            for (int w = 0; w < durable.length; w++) {
                WORDS.setVolatile(durable, w, 0L);
            }
            for (int p = 0; p < pages.length; p++) {
                for (int w = 0; w < WibPages.WORDS_PER_PAGE; w++) {
                    WibPages.setWord(pages[p], w, 0);
                }
                setInPage[p] = 0;
            }
            unflushed = new RoaringBitmap();
            pagesToWrite.set(0, pages.length);
            ticket = ++requested;
        } finally {
            lock.unlock();
        }
        awaitCommit(ticket);
    }

    /** Data chunks whose bits are set now (a copy). */
    RoaringBitmap snapshot() {
        lock.lock();
        try {
            return toChunks(pageBits());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Data chunks whose latest data a member may have acknowledged without making it durable yet: those of the bits
     * set, and of those a sweep is clearing now (until the commit's force succeeds on every member). A member that
     * fails may have lost any of them.
     */
    RoaringBitmap atRisk() {
        lock.lock();
        try {
            RoaringBitmap bits = pageBits();
            bits.or(clearing);
            return toChunks(bits);
        } finally {
            lock.unlock();
        }
    }

    /** A copy of bitmap page {@code page} as it is now, checksummed, ready to write. */
    byte[] encodedPage(int page) {
        byte[] copy;
        lock.lock();
        try {
            copy = pages[page].clone();
        } finally {
            lock.unlock();
        }
        return WibPages.seal(copy);
    }

    long commits() {
        lock.lock();
        try {
            return commits;
        } finally {
            lock.unlock();
        }
    }

    /** Bits a sweep kept because a write was in flight on them, so far (for tests). */
    long sweepKept() {
        lock.lock();
        try {
            return sweepKept;
        } finally {
            lock.unlock();
        }
    }

    /** The bits set in the pages. Caller holds the lock. */
    private RoaringBitmap pageBits() {
        RoaringBitmap bits = new RoaringBitmap();
        for (int p = 0; p < pages.length; p++) {
            if (setInPage[p] == 0) {
                continue;
            }
            for (int w = 0; w < WibPages.WORDS_PER_PAGE; w++) {
                for (long s = WibPages.word(pages[p], w); s != 0; s &= s - 1) {
                    bits.add(p * WibPages.BITS_PER_PAGE + (w << 6) + Long.numberOfTrailingZeros(s));
                }
            }
        }
        return bits;
    }

    private RoaringBitmap toBits(RoaringBitmap dataChunks) {
        if (shift == 0) {
            RoaringBitmap bits = dataChunks.clone();
            bits.remove((long) chunks, 1L << 32);
            return bits;
        }
        RoaringBitmap bits = new RoaringBitmap();
        dataChunks.forEach((int c) -> {
            if (Integer.toUnsignedLong(c) < chunks) {
                bits.add(c >>> shift);
            }
        });
        return bits;
    }

    private RoaringBitmap toChunks(RoaringBitmap bits) {
        if (shift == 0) {
            return bits;
        }
        RoaringBitmap out = new RoaringBitmap();
        bits.forEach((int b) -> out.add((long) b << shift, Math.min(chunks, ((long) b + 1) << shift)));
        return out;
    }
}
