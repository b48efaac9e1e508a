package fr1.engine;

import fr1.meta.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads: from the in-sync member with the lowest recent latency, never from one that still has a write-behind
 * write queued to the chunks or lacks them ({@link Lagging}: it would serve stale data); on error the member is
 * failed and the next one tried. Chunks no in-sync member holds are unavailable: the read fails (EIO), never stale.
 */
final class ReadPath {

    private final Layout layout;
    private final Members members;
    private final FanOut fanOut;
    private final WriteBehind behind;
    private final Failures failures;
    private final Throttles throttles;
    private final long timeoutNanos;

    ReadPath(Layout layout, Members members, FanOut fanOut, WriteBehind behind, Failures failures,
             Throttles throttles, long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
        this.layout = layout;
        this.members = members;
        this.fanOut = fanOut;
        this.behind = behind;
        this.failures = failures;
        this.throttles = throttles;
    }

    int read(ByteBuffer dst, long offset) throws IOException {
        if (offset < 0) {
            throw new IOException("negative offset " + offset);
        }
        if (offset >= layout.size() || !dst.hasRemaining()) {
            return 0;
        }
        int len = (int) Math.min(dst.remaining(), layout.size() - offset);
        ByteBuffer slice = dst.slice(dst.position(), len);
        throttles.foreground();
        int first = (int) (offset / layout.chunkSize());
        int last = (int) ((offset + len - 1) / layout.chunkSize());
        long tried = 0;
        while (true) {
            Topology.Slot s = pick(members.topology(), tried, first, last);
            if (s == null) {
                throw new NoCurrentMemberException("no in-sync member could serve a read at offset " + offset);
            }
            tried |= 1L << s.index();
            try {
                fanOut.read(s, slice, offset);
                dst.position(dst.position() + len);
                return len;
            } catch (IOException e) {
                failures.failLater(s, "read: " + Mirror.reason(e), -1, -1).join();
            }
        }
    }

    /**
     * Waits until in-sync write-behind members' writes queued to chunks first..last have landed (the caller holds
     * their stripes, so no new one is queued). True if there were some and they all landed.
     */
    boolean awaitQueued(Topology t, int first, int last) {
        boolean waited = false;
        for (Topology.Slot s : t.slots()) {
            if (s.inSync() && s.writeBehind() && behind.laggingOn(s.index(), first, last)) {
                if (!behind.awaitQueued(s.index(), first, last, timeoutNanos * 2)) {
                    return false;
                }
                waited = true;
            }
        }
        return waited;
    }

    /**
     * The in-sync member to read chunks first..last from: the quickest lately among those not yet tried (a bit per
     * index in {@code tried}), not lagging on those chunks.
     */
    Topology.Slot pick(Topology t, long tried, int first, int last) {
        Topology.Slot best = null;
        for (Topology.Slot s : t.slots()) {
            if (!s.inSync() || (tried & (1L << s.index())) != 0
                    || (s.writeBehind() && behind.laggingOn(s.index(), first, last))
                    || s.member().lagging.lacksAny(first, last)) {
                continue;
            }
            if (best == null || s.member().latencyNanos() < best.member().latencyNanos()) {
                best = s;
            }
        }
        return best;
    }
}
