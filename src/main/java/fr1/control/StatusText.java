package fr1.control;

import fr1.engine.MemberState;
import fr1.engine.MirrorStatus;

import java.util.Locale;

/**
 * Status as text in the manner of /proc/mdstat:
 * <pre>
 * fr1 /mnt/x: active raid1 2 members [U_] chunk 64K events 12 size 1.0G
 *       [0] /data/a.img in_sync
 *       [1] /nfs/b.img faulty (write: Input/output error) missed 123 chunks
 *       recovery = 42.0% (1234/2938 chunks) [========>...........] 52.3MiB/s eta 0:12
 * </pre>
 * Removed members are listed but not counted, as md counts only the devices in the array.
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
            if (!MemberState.REMOVED.label().equals(m.state())) {
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
            if (m.writeBehind()) {
                out.append(" write-behind lag ").append(m.lagWrites()).append(m.lagWrites() == 1 ? " write" : " writes");
            }
            out.append('\n');
        }
        if (s.resync().active()) {
            out.append(INDENT).append(progressLine(s)).append('\n');
        }
        return out.toString();
    }

    /**
     * The resync line without indent, e.g. {@code recovery = 42.0% (1234/2938 chunks) [========>...........]
     * 52.3MiB/s eta 0:12}; a full resync says {@code resync}. Also used by {@code fr1 wait}.
     */
    public static String progressLine(MirrorStatus s) {
        MirrorStatus.Resync r = s.resync();
        long done = Math.max(0, Math.min(r.doneChunks(), r.totalChunks()));
        // Truncated, not rounded, as md does: 100.0% only when really done.
        long permille = r.totalChunks() <= 0 ? 0 : done * 1000 / r.totalChunks();
        StringBuilder line = new StringBuilder();
        line.append(r.full() ? "resync" : "recovery").append(" = ")
                .append(String.format(Locale.ROOT, "%d.%d%%", permille / 10, permille % 10))
                .append(" (").append(r.doneChunks()).append('/').append(r.totalChunks()).append(" chunks) ")
                .append(bar(permille)).append(' ').append(Units.rate(r.bytesPerSecond())).append(" eta ");
        double remainingBytes = (double) (r.totalChunks() - done) * s.chunkSize();
        if (r.bytesPerSecond() > 0 && Double.isFinite(r.bytesPerSecond())) {
            line.append(Units.clock((long) Math.ceil(remainingBytes / r.bytesPerSecond())));
        } else {
            line.append('?');
        }
        return line.toString();
    }

    /** md's bar: '=' for what is done, '>' at the front, '.' for the rest; always BAR_WIDTH inside. */
    private static String bar(long permille) {
        int filled = (int) Math.min(BAR_WIDTH - 1, permille * BAR_WIDTH / 1000);
        return "[" + "=".repeat(filled) + ">" + ".".repeat(BAR_WIDTH - 1 - filled) + "]";
    }
}
