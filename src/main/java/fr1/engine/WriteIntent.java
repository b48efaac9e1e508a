package fr1.engine;

import fr1.meta.WibPages;
import java.io.IOException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntPredicate;
import org.roaringbitmap.RoaringBitmap;

/**
 * The write-intent bitmap: before data for a chunk goes to any member, the chunk's bit is durable on the members.
 * Setting is batched (group commit: whoever finds no commit running writes every page that changed since, for all
 * waiters at once). Clearing is lazy: {@link #sweep} drops bits of chunks that stayed quiet for a whole period and
 * have no write in flight.
 */
final class WriteIntent {

    /** Writes the given bitmap pages (already encoded) to every member that takes writes, and forces them. */
    interface PageSink {
        void writePages(int[] pages, byte[][] contents) throws IOException;
    }

    private final PageSink sink;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition committedChanged = lock.newCondition();
    // All guarded by lock.
    private final RoaringBitmap bits = new RoaringBitmap();
    private RoaringBitmap unflushed = new RoaringBitmap();
    private final RoaringBitmap pagesToWrite = new RoaringBitmap();
    private RoaringBitmap touched = new RoaringBitmap();
    private RoaringBitmap touchedBefore = new RoaringBitmap();
    /** Bits a sweep dropped whose commit (which forces every member) has not finished yet. */
    private final RoaringBitmap clearing = new RoaringBitmap();
    private long requested;
    private long committed;
    private boolean committing;
    private IOException lastFailure;
    private long failedUpTo = -1;
    private long commits;

    WriteIntent(PageSink sink, RoaringBitmap initiallyDirty) {
        this.sink = sink;
        bits.or(initiallyDirty);
    }

    /** Returns once chunks {@code first..last} are durably marked. */
    void markDirty(int first, int last) throws IOException {
        long from = first;
        long to = last + 1L;
        long ticket;
        lock.lock();
        try {
            touched.add(from, to);
            if (bits.contains(from, to) && !unflushed.intersects(from, to)) {
                return;
            }
            bits.add(from, to);
            unflushed.add(from, to);
            pagesToWrite.add(first / WibPages.BITS_PER_PAGE, last / WibPages.BITS_PER_PAGE + 1);
            ticket = ++requested;
        } finally {
            lock.unlock();
        }
        awaitCommit(ticket);
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
                int[] pages = pagesToWrite.toArray();
                pagesToWrite.clear();
                byte[][] contents = new byte[pages.length][];
                for (int i = 0; i < pages.length; i++) {
                    contents[i] = WibPages.encode(pages[i], bits);
                }
                RoaringBitmap flushing = unflushed;
                unflushed = new RoaringBitmap();
                IOException failure = null;
                // Not holding the lock while writing: requests arriving now queue up for the next commit.
                lock.unlock();
                try {
                    sink.writePages(pages, contents);
                } catch (IOException e) {
                    failure = e;
                } finally {
                    lock.lock();
                }
                committing = false;
                if (failure != null) {
                    // Nothing is known durable: those bits must be written again by the next request.
                    unflushed.or(flushing);
                    for (int pg : pages) {
                        pagesToWrite.add(pg);
                    }
                    failedUpTo = target;
                    lastFailure = failure;
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

    /**
     * Clears the bits of chunks not written during the last two periods and not locked by a write now.
     *
     * @param inFlight true if a write holds the chunk now (and it must stay set)
     */
    void sweep(IntPredicate inFlight) throws IOException {
        long ticket;
        RoaringBitmap cleared = new RoaringBitmap();
        lock.lock();
        try {
            RoaringBitmap quiet = RoaringBitmap.andNot(bits, RoaringBitmap.or(touched, touchedBefore));
            touchedBefore = touched;
            touched = new RoaringBitmap();
            quiet.forEach((int c) -> {
                if (!inFlight.test(c)) {
                    cleared.add(c);
                }
            });
            if (cleared.isEmpty()) {
                return;
            }
            bits.andNot(cleared);
            clearing.or(cleared);
            cleared.forEach((int c) -> pagesToWrite.add(c / WibPages.BITS_PER_PAGE));
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
            bits.clear();
            unflushed = new RoaringBitmap();
            pagesToWrite.add(0L, (long) (chunks + WibPages.BITS_PER_PAGE - 1) / WibPages.BITS_PER_PAGE);
            ticket = ++requested;
        } finally {
            lock.unlock();
        }
        awaitCommit(ticket);
    }

    /** Bits set now (a copy). */
    RoaringBitmap snapshot() {
        lock.lock();
        try {
            return bits.clone();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Chunks whose latest data a member may have acknowledged without making it durable yet: the bits set, and those
     * a sweep is clearing now (until the commit's force succeeds on every member). A member that fails may have lost
     * any of them.
     */
    RoaringBitmap atRisk() {
        lock.lock();
        try {
            return RoaringBitmap.or(bits, clearing);
        } finally {
            lock.unlock();
        }
    }

    long commits() {
        lock.lock();
        try {
            return commits;
        } finally {
            lock.unlock();
        }
    }
}
