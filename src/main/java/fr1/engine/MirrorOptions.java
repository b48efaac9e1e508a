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
 */
public record MirrorOptions(Duration ioTimeout, Duration quietPeriod, int ioThreads, Duration probeInterval,
                            Duration probeMaxInterval, EventListener events, boolean async, List<Path> writeBehind,
                            int writeBehindMax, boolean fsyncAll) {

    public MirrorOptions {
        writeBehind = List.copyOf(writeBehind);
    }

    public MirrorOptions(Duration ioTimeout, Duration quietPeriod, int ioThreads) {
        this(ioTimeout, quietPeriod, ioThreads, Duration.ofSeconds(1), Duration.ofSeconds(30), EventListener.NONE,
                false, List.of(), 256, false);
    }

    public static MirrorOptions defaults() {
        return new MirrorOptions(Duration.ofSeconds(5), Duration.ofSeconds(2), 16);
    }

    public MirrorOptions withIoTimeout(Duration d) {
        return new MirrorOptions(d, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events, async,
                writeBehind, writeBehindMax, fsyncAll);
    }

    public MirrorOptions withProbeInterval(Duration first, Duration max) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, first, max, events, async, writeBehind,
                writeBehindMax, fsyncAll);
    }

    public MirrorOptions withEvents(EventListener e) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, e, async,
                writeBehind, writeBehindMax, fsyncAll);
    }

    /** Async mode with the given write-behind members (empty: chosen by measured latency) and limit. */
    public MirrorOptions withAsync(List<Path> behind, int max, boolean syncAll) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events, true,
                behind, max, syncAll);
    }

    public MirrorOptions withFsyncAll(boolean all) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events, async,
                writeBehind, writeBehindMax, all);
    }
}
