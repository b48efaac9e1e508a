package fr1.engine;

import java.time.Duration;

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
 */
public record MirrorOptions(Duration ioTimeout, Duration quietPeriod, int ioThreads, Duration probeInterval,
                            Duration probeMaxInterval, EventListener events) {

    public MirrorOptions(Duration ioTimeout, Duration quietPeriod, int ioThreads) {
        this(ioTimeout, quietPeriod, ioThreads, Duration.ofSeconds(1), Duration.ofSeconds(30), EventListener.NONE);
    }

    public static MirrorOptions defaults() {
        return new MirrorOptions(Duration.ofSeconds(5), Duration.ofSeconds(2), 16);
    }

    public MirrorOptions withIoTimeout(Duration d) {
        return new MirrorOptions(d, quietPeriod, ioThreads, probeInterval, probeMaxInterval, events);
    }

    public MirrorOptions withProbeInterval(Duration first, Duration max) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, first, max, events);
    }

    public MirrorOptions withEvents(EventListener e) {
        return new MirrorOptions(ioTimeout, quietPeriod, ioThreads, probeInterval, probeMaxInterval, e);
    }
}
