package fr1.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Engine settings chosen at mount time. Validated by the caller (the CLI's option parser).
 *
 * @param ioTimeout        deadline of one member I/O call; a member that misses it is failed
 * @param quietPeriod      a write-intent bit is cleared once its chunk was not written for this long; also the
 *                         period of housekeeping (path checks, missed-set persistence)
 * @param ioThreads        platform threads per member for its I/O (bounds threads a hung member can hold)
 * @param probeInterval    first wait before a faulty member is probed again; doubles on each failed probe
 * @param probeMaxInterval the cap of that back-off
 * @param events           told of every state change
 * @param async            acknowledge writes once the members that are not write-behind have them
 * @param writeBehind      with async: the members that may lag (by path); empty: every member but the one with
 *                         the lowest write latency measured at mount
 * @param writeBehindMax   outstanding writes per write-behind member before new writes wait (as md's
 *                         write-behind limit)
 * @param fsyncAll         fsync also waits for and forces write-behind members
 * @param resyncMinBps     resync and check speed while foreground I/O goes on (md's speed_limit_min); 0: none
 * @param resyncMaxBps     resync and check speed when the array is otherwise idle (speed_limit_max); 0: unlimited
 * @param writeBehindBytes with async: bytes queued per write-behind member at most (with writeBehindMax, the
 *                         high-water mark past which it goes behind)
 * @param maxLag           with async: the recovery point foreground writes are slowed to keep within; 0: none
 */
public record MirrorOptions(Duration ioTimeout, Duration quietPeriod, int ioThreads, Duration probeInterval,
                            Duration probeMaxInterval, EventListener events, boolean async, List<Path> writeBehind,
                            int writeBehindMax, boolean fsyncAll, long resyncMinBps, long resyncMaxBps,
                            long writeBehindBytes, Duration maxLag) {

    public MirrorOptions(Duration ioTimeout, Duration quietPeriod, int ioThreads, Duration probeInterval,
                         Duration probeMaxInterval, EventListener events, boolean async, List<Path> writeBehind,
                         int writeBehindMax, boolean fsyncAll, long resyncMinBps, long resyncMaxBps) {
        this(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events, async, writeBehind,
                writeBehindMax, fsyncAll, resyncMinBps, resyncMaxBps, WriteBehind.DEFAULT_MAX_BYTES, Duration.ZERO);
    }

    /** The resync floor by default: md's 1 MB/s makes a resync under load last days; this is still gentle. */
    public static final long DEFAULT_RESYNC_MIN = 16L << 20;

    public MirrorOptions {
        writeBehind = List.copyOf(writeBehind);
        maxLag = maxLag == null ? Duration.ZERO : maxLag;
    }

    /** Async mode's recovery point bound ({@code -o max-lag}); zero: none. */
    public MirrorOptions withMaxLag(Duration d) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events, async,
                writeBehind, writeBehindMax, fsyncAll, resyncMinBps, resyncMaxBps, writeBehindBytes, d);
    }

    /** Bytes queued per write-behind member before it goes behind. */
    public MirrorOptions withWriteBehindBytes(long bytes) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events, async,
                writeBehind, writeBehindMax, fsyncAll, resyncMinBps, resyncMaxBps, bytes, maxLag);
    }

    public MirrorOptions(Duration ioTimeout, Duration quietPeriod, int ioThreads) {
        this(ioTimeout, quietPeriod, ioThreads, Duration.ofSeconds(1), Duration.ofSeconds(30), EventListener.NONE,
                false, List.of(), 256, false, DEFAULT_RESYNC_MIN, 0);
    }

    public static MirrorOptions defaults() {
        return new MirrorOptions(Duration.ofSeconds(5), Duration.ofSeconds(2), 16);
    }

    public MirrorOptions withIoTimeout(Duration d) {
        return new MirrorOptions(d, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events, async,
                writeBehind, writeBehindMax, fsyncAll, resyncMinBps, resyncMaxBps, writeBehindBytes, maxLag);
    }

    public MirrorOptions withProbeInterval(Duration first, Duration max) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, first, max, events, async, writeBehind,
                writeBehindMax, fsyncAll, resyncMinBps, resyncMaxBps, writeBehindBytes, maxLag);
    }

    public MirrorOptions withEvents(EventListener e) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, e, async,
                writeBehind, writeBehindMax, fsyncAll, resyncMinBps, resyncMaxBps, writeBehindBytes, maxLag);
    }

    /** Async mode with the given write-behind members (empty: chosen by measured latency) and limit. */
    public MirrorOptions withAsync(List<Path> behind, int max, boolean syncAll) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events, true,
                behind, max, syncAll, resyncMinBps, resyncMaxBps, writeBehindBytes, maxLag);
    }

    public MirrorOptions withFsyncAll(boolean all) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events, async,
                writeBehind, writeBehindMax, all, resyncMinBps, resyncMaxBps, writeBehindBytes, maxLag);
    }

    /** Resync/check speed limits in bytes per second (0: no floor / no ceiling). */
    public MirrorOptions withResyncSpeed(long minBps, long maxBps) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events, async,
                writeBehind, writeBehindMax, fsyncAll, minBps, maxBps, writeBehindBytes, maxLag);
    }
}
