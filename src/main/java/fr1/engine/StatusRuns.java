package fr1.engine;

import java.util.ArrayList;
import java.util.List;
import org.roaringbitmap.IntIterator;
import org.roaringbitmap.RoaringBitmap;

/** A missed set as runs for status (the dirty map). */
final class StatusRuns {

    private StatusRuns() {
    }

    /** At most MAX_RUNS runs: the rest merged into the last run, so the map stays honest. */
    static List<MirrorStatus.Run> of(RoaringBitmap set) {
        List<MirrorStatus.Run> out = new ArrayList<>();
        if (set.isEmpty()) {
            return out;
        }
        long start = -1;
        long prev = -2;
        IntIterator it = set.getIntIterator();
        while (it.hasNext()) {
            long c = Integer.toUnsignedLong(it.next());
            if (c != prev + 1) {
                if (start >= 0) {
                    out.add(new MirrorStatus.Run(start, prev - start + 1));
                }
                start = c;
            }
            prev = c;
        }
        out.add(new MirrorStatus.Run(start, prev - start + 1));
        if (out.size() > MirrorStatus.Member.MAX_RUNS) {
            MirrorStatus.Run cut = out.get(MirrorStatus.Member.MAX_RUNS - 1);
            MirrorStatus.Run end = out.getLast();
            List<MirrorStatus.Run> capped = new ArrayList<>(out.subList(0, MirrorStatus.Member.MAX_RUNS - 1));
            capped.add(new MirrorStatus.Run(cut.start(), end.start() + end.length() - cut.start()));
            return capped;
        }
        return out;
    }
}
