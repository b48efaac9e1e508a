package fr1.control;

import fr1.engine.MemberState;
import fr1.engine.MirrorStatus;

import java.util.List;
import java.util.Locale;

/**
 * Status as text in the manner of /proc/mdstat:
 * <pre>
 * fr1 /mnt/x: active raid1 2 members [U_] chunk 64K events 12 size 1.0G
 *       [0] /data/a.img in_sync
 *       [1] /nfs/b.img faulty (write: Input/output error) missed 123 chunks
 *       recovery = 42.0% (1234/2938 chunks) [========>...........] 52.3MiB/s eta 0:12
 *       check = 10.0% (293/2938 chunks) [=>..................] mismatches 0
 * </pre>
 * A paused resync ends with {@code (paused)}; after a check, {@code last check: ...} gives its result.
 * Removed members and spares are listed but not counted, as md counts only the active devices of the array.
 */
public final class StatusText {

    private static final String INDENT = "      ";
    private static final int BAR_WIDTH = 20;

    private StatusText() {
    }

    public static String format(String mountpoint, MirrorStatus s) {
        StringBuilder out = new StringBuilder();
        int counted = 0;
        StringBuilder flags = new StringBuilder();
        for (MirrorStatus.Member m : s.members()) {
            if (!MemberState.REMOVED.label().equals(m.state()) && !MemberState.SPARE.label().equals(m.state())) {
                counted++;
                flags.append(MemberState.IN_SYNC.label().equals(m.state()) ? 'U' : '_');
            }
        }
        out.append("fr1 ").append(mountpoint).append(": ").append(s.state()).append(" raid1 ")
                .append(counted).append(counted == 1 ? " member" : " members")
                .append(" [").append(flags).append("] chunk ").append(Units.exact(s.chunkSize()))
                .append(" events ").append(s.events()).append(" size ").append(Units.human(s.size())).append('\n');
        for (MirrorStatus.Member m : s.members()) {
            out.append(INDENT).append('[').append(m.index()).append("] ").append(m.path()).append(' ').append(m.state());
            if (m.reason() != null && !m.reason().isEmpty()) {
                out.append(" (").append(m.reason()).append(')');
            }
            if (m.missedChunks() > 0) {
                out.append(" missed ").append(m.missedChunks()).append(m.missedChunks() == 1 ? " chunk" : " chunks");
            }
            MirrorStatus.Lag lag = m.lag();
            if (m.writeBehind() || !"none".equals(lag.mode())) {
                out.append(" write-behind");
                if (!"none".equals(lag.mode())) {
                    out.append(' ').append(lag.mode());
                }
                if (!lag.current()) {
                    out.append(": lacks ").append(lag.writes()).append(lag.writes() == 1 ? " write" : " writes")
                            .append(" (").append(Units.human(lag.bytes())).append("), recovery point ")
                            .append(Units.seconds(lag.recoveryPointMillis()));
                } else if (m.lagWrites() > 0) {
                    out.append(": ").append(m.lagWrites()).append(m.lagWrites() == 1 ? " write" : " writes")
                            .append(" queued");
                }
            }
            out.append('\n');
        }
        if (s.unavailable().chunks() > 0) {
            out.append(INDENT).append(s.unavailable().chunks()).append(" chunks unavailable: their current data is on ")
                    .append(s.unavailable().currentDataOn() >= 0 ? "member " + s.unavailable().currentDataOn()
                            : "a failed member").append("; reads of them fail until it is back\n");
        }
        if (s.resync().active()) {
            out.append(INDENT).append(progressLine(s)).append('\n');
        } else if (s.resync().paused()) {
            out.append(INDENT).append("resync paused (fr1 resync resume)").append('\n');
        }
        MirrorStatus.Check c = s.check();
        if (c != null && c.active()) {
            out.append(INDENT).append(checkLine(s, 0)).append('\n');
        } else if (c != null && c.totalChunks() > 0) {
            out.append(INDENT).append(checkResult(c)).append('\n');
        }
        return out.toString();
    }

    /**
     * The scrub line: {@code check = 10.0% (293/2938 chunks) [=>..................] mismatches 0}; {@code repair}
     * for a repair (with {@code repaired N}). With a rate (bytes per second, measured by the caller) it ends
     * with the rate and an ETA.
     */
    public static String checkLine(MirrorStatus s, double bytesPerSecond) {
        MirrorStatus.Check c = s.check();
        long done = Math.max(0, Math.min(c.doneChunks(), c.totalChunks()));
        StringBuilder line = new StringBuilder(c.repair() ? "repair" : "check").append(" = ")
                .append(percent(done, c.totalChunks())).append(" (").append(c.doneChunks()).append('/')
                .append(c.totalChunks()).append(" chunks) ").append(bar(done, c.totalChunks()))
                .append(" mismatches ").append(c.mismatches());
        if (c.repair()) {
            line.append(" repaired ").append(c.repaired());
        }
        if (bytesPerSecond > 0) {
            line.append(' ').append(Units.rate(bytesPerSecond)).append(" eta ")
                    .append(eta((double) (c.totalChunks() - done) * s.chunkSize(), bytesPerSecond));
        }
        return line.toString();
    }

    /** After a check: {@code last check: 3 mismatched chunks (12, 40, 41)} or {@code last check: no mismatches}. */
    public static String checkResult(MirrorStatus.Check c) {
        String what = c.repair() ? "last repair" : "last check";
        String stopped = c.doneChunks() < c.totalChunks()
                ? " (stopped at chunk " + c.doneChunks() + " of " + c.totalChunks() + ")" : "";
        if (c.mismatches() == 0) {
            return what + ": no mismatches" + stopped;
        }
        StringBuilder line = new StringBuilder(what).append(": ").append(c.mismatches())
                .append(c.mismatches() == 1 ? " mismatched chunk" : " mismatched chunks");
        if (c.repair()) {
            line.append(", ").append(c.repaired()).append(" repaired");
        }
        line.append(stopped).append(" (chunks ");
        List<Long> first = c.firstMismatches();
        for (int i = 0; i < Math.min(first.size(), 10); i++) {
            line.append(i == 0 ? "" : ", ").append(first.get(i));
        }
        if (c.mismatches() > Math.min(first.size(), 10)) {
            line.append(", ...");
        }
        return line.append(')').toString();
    }

    /**
     * The resync line without indent, e.g. {@code recovery = 42.0% (1234/2938 chunks) [========>...........]
     * 52.3MiB/s eta 0:12}; a full resync says {@code resync}. Also used by {@code fr1 wait}.
     */
    public static String progressLine(MirrorStatus s) {
        MirrorStatus.Resync r = s.resync();
        long done = Math.max(0, Math.min(r.doneChunks(), r.totalChunks()));
        StringBuilder line = new StringBuilder();
        line.append(r.full() ? "resync" : "recovery").append(" = ").append(percent(done, r.totalChunks()))
                .append(" (").append(r.doneChunks()).append('/').append(r.totalChunks()).append(" chunks) ")
                .append(bar(done, r.totalChunks())).append(' ');
        if (r.paused()) {
            return line.append("(paused)").toString();
        }
        line.append(Units.rate(r.bytesPerSecond())).append(" eta ")
                .append(eta((double) (r.totalChunks() - done) * s.chunkSize(), r.bytesPerSecond()));
        return line.toString();
    }

    /** {@code 42.0%}: truncated, not rounded, as md does: 100.0% only when really done. */
    public static String percent(long done, long total) {
        long permille = total <= 0 ? 0 : Math.max(0, Math.min(done, total)) * 1000 / total;
        return String.format(Locale.ROOT, "%d.%d%%", permille / 10, permille % 10);
    }

    /** md's bar: '=' for what is done, '>' at the front, '.' for the rest; always BAR_WIDTH inside. */
    public static String bar(long done, long total) {
        long permille = total <= 0 ? 0 : Math.max(0, Math.min(done, total)) * 1000 / total;
        int filled = (int) Math.min(BAR_WIDTH - 1, permille * BAR_WIDTH / 1000);
        return "[" + "=".repeat(filled) + ">" + ".".repeat(BAR_WIDTH - 1 - filled) + "]";
    }

    /** The time left for {@code remainingBytes} at a rate, as m:ss; {@code ?} without a rate. */
    public static String eta(double remainingBytes, double bytesPerSecond) {
        if (bytesPerSecond > 0 && Double.isFinite(bytesPerSecond)) {
            return Units.clock((long) Math.ceil(Math.max(0, remainingBytes) / bytesPerSecond));
        }
        return "?";
    }
}
