package fr1.engine;

import java.time.Duration;

/**
 * Engine settings chosen at mount time. Validated by the caller (the CLI's option parser).
 *
 * @param ioTimeout      deadline of one member I/O call; a member that misses it is failed
 * @param quietPeriod    a write-intent bit is cleared once its chunk was not written for this long
 * @param ioThreads      platform threads per member for its I/O (bounds threads a hung member can hold)
 */
public record MirrorOptions(Duration ioTimeout, Duration quietPeriod, int ioThreads) {

    public static MirrorOptions defaults() {
        return new MirrorOptions(Duration.ofSeconds(5), Duration.ofSeconds(2), 16);
    }

    public MirrorOptions withIoTimeout(Duration d) {
        return new MirrorOptions(d, quietPeriod, ioThreads);
    }
}
