package fr1.control;

import fr1.engine.MirrorStatus;

import java.util.List;

/** Status snapshots for tests. */
public final class Samples {

    private Samples() {
    }

    /** Two members, member 1 faulty with missed chunks; no resync. */
    public static MirrorStatus degraded() {
        return new MirrorStatus("6f1c2a7e-0000-4000-8000-000000000001", 1L << 30, 64 << 10, 12, "degraded",
                List.of(new MirrorStatus.Member(0, "/data/a.img", "in_sync", 0, 0, null),
                        new MirrorStatus.Member(1, "/nfs/b.img", "faulty", 123, 0, "write: Input/output error",
                                false, 0, List.of(new MirrorStatus.Run(0, 100), new MirrorStatus.Run(16000, 23)))),
                MirrorStatus.Resync.idle());
    }

    /** Member 1 recovering: 1234 of 2938 chunks at 52.3 MiB/s. */
    public static MirrorStatus recovering() {
        return new MirrorStatus("6f1c2a7e-0000-4000-8000-000000000001", 1L << 30, 64 << 10, 13, "recovering",
                List.of(new MirrorStatus.Member(0, "/data/a.img", "in_sync", 0, 0, null),
                        new MirrorStatus.Member(1, "/nfs/b.img", "recovering", 1704, 0, null)),
                new MirrorStatus.Resync(true, 1, 1234, 2938, 52.3 * 1024 * 1024, false));
    }
}
