package fr1.control;

import fr1.engine.MemberState;
import fr1.engine.MirrorStatus;

/**
 * The dirty map ({@code fr1 status --map}): for each member that is not in sync, a bar over the image's
 * chunks, one column per {@code N} chunks; {@code #} where the member misses any chunk of the column,
 * {@code .} where it misses none.
 * <pre>
 * dirty map: 64 columns of 256 chunks (16.0M) each; '#' = missed
 *       [1] |##..............#.............................................| faulty, 123 chunks missed
 *           0                                                          1.0G
 * </pre>
 * Spares and removed members have nothing tracked and are not drawn.
 */
public final class DirtyMap {

    public static final int COLUMNS = 64;
    private static final String INDENT = "      ";

    private DirtyMap() {
    }

    public static String render(MirrorStatus s) {
        return render(s, COLUMNS);
    }

    public static String render(MirrorStatus s, int maxColumns) {
        long chunks = s.chunkSize() <= 0 ? 0 : (s.size() + s.chunkSize() - 1) / s.chunkSize();
        if (chunks <= 0) {
            return "dirty map: empty image\n";
        }
        long perColumn = (chunks + maxColumns - 1) / maxColumns;
        int columns = (int) ((chunks + perColumn - 1) / perColumn);
        StringBuilder out = new StringBuilder();
        out.append("dirty map: ").append(columns).append(columns == 1 ? " column" : " columns").append(" of ")
                .append(perColumn).append(perColumn == 1 ? " chunk" : " chunks").append(" (")
                .append(Units.human(perColumn * s.chunkSize())).append(") each; '#' = missed\n");
        int drawn = 0;
        for (MirrorStatus.Member m : s.members()) {
            if (MemberState.IN_SYNC.label().equals(m.state()) || MemberState.REMOVED.label().equals(m.state())
                    || "spare".equals(m.state())) {
                continue;
            }
            char[] bar = ".".repeat(columns).toCharArray();
            for (MirrorStatus.Run run : m.missedRuns()) {
                if (run.length() <= 0) {
                    continue;
                }
                long first = Math.max(0, run.start()) / perColumn;
                long last = Math.min(chunks - 1, run.start() + run.length() - 1) / perColumn;
                for (long c = first; c <= last && c < columns; c++) {
                    bar[(int) c] = '#';
                }
            }
            String label = "[" + m.index() + "] ";
            out.append(INDENT).append(label).append('|').append(bar).append("| ").append(m.state()).append(", ")
                    .append(m.missedChunks()).append(m.missedChunks() == 1 ? " chunk" : " chunks")
                    .append(" missed\n");
            drawn++;
        }
        if (drawn == 0) {
            return out.append(INDENT).append("every member is in sync: nothing missed\n").toString();
        }
        String end = Units.human(s.size());
        int pad = Math.max(1, columns + 2 - 1 - end.length());
        out.append(INDENT).append(" ".repeat(4)).append('0').append(" ".repeat(pad)).append(end).append('\n');
        return out.toString();
    }
}
