package fr1.control;

import fr1.engine.MirrorStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Status as one line of JSON, for scripts ({@code fr1 status --json}):
 * <pre>
 * {"mountpoint":"/mnt/x",
 *  "array":{"uuid":..,"size":..,"chunkSize":..,"events":..,"state":".."},
 *  "members":[{"index":0,"path":"..","state":"in_sync","missedChunks":0,"lastResyncChunks":0,"reason":null,
 *              "writeBehind":false,"lagWrites":0,"allocatedBytes":-1,
 *              "lag":{"mode":"none|streaming|behind|catching-up","writes":0,"bytes":0,"chunks":0,
 *                     "recoveryPointMs":0},
 *              "missedRuns":[[start,length],...]}],
 *  "resync":{"active":false,"member":-1,"doneChunks":0,"totalChunks":0,"bytesPerSecond":0,"full":false,
 *            "paused":false},
 *  "check":{"active":false,"repair":false,"doneChunks":0,"totalChunks":0,"mismatches":0,"repaired":0,
 *           "firstMismatches":[chunk,...]},
 *  "unavailable":{"chunks":0,"currentDataOn":-1}}
 * </pre>
 * {@code missedRuns} is the dirty map: the member's missed chunks as runs, in order, at most 1024 (the rest
 * merged into the last run).
 * Sizes are bytes, rates bytes per second. New fields may be added; readers ignore what they do not know.
 */
public final class StatusJson {

    private StatusJson() {
    }

    public static String format(String mountpoint, MirrorStatus s) {
        JsonWriter w = new JsonWriter().beginObject();
        w.name("mountpoint").value(mountpoint);
        w.name("array").beginObject()
                .name("uuid").value(s.uuid())
                .name("size").value(s.size())
                .name("chunkSize").value(s.chunkSize())
                .name("events").value(s.events())
                .name("state").value(s.state())
                .endObject();
        w.name("members").beginArray();
        for (MirrorStatus.Member m : s.members()) {
            w.beginObject()
                    .name("index").value(m.index())
                    .name("path").value(m.path())
                    .name("state").value(m.state())
                    .name("missedChunks").value(m.missedChunks())
                    .name("lastResyncChunks").value(m.lastResyncChunks())
                    .name("reason").value(m.reason())
                    .name("writeBehind").value(m.writeBehind())
                    .name("lagWrites").value(m.lagWrites())
                    .name("allocatedBytes").value(m.allocatedBytes());
            MirrorStatus.Lag lag = m.lag();
            w.name("lag").beginObject()
                    .name("mode").value(lag.mode())
                    .name("writes").value(lag.writes())
                    .name("bytes").value(lag.bytes())
                    .name("chunks").value(lag.chunks())
                    .name("recoveryPointMs").value(lag.recoveryPointMillis())
                    .endObject();
            w.name("missedRuns").beginArray();
            for (MirrorStatus.Run run : m.missedRuns()) {
                w.beginArray().value(run.start()).value(run.length()).endArray();
            }
            w.endArray().endObject();
        }
        w.endArray();
        MirrorStatus.Resync r = s.resync();
        w.name("resync").beginObject()
                .name("active").value(r.active())
                .name("member").value(r.member())
                .name("doneChunks").value(r.doneChunks())
                .name("totalChunks").value(r.totalChunks())
                .name("bytesPerSecond").value(r.bytesPerSecond())
                .name("full").value(r.full())
                .name("paused").value(r.paused())
                .endObject();
        MirrorStatus.Check c = s.check();
        w.name("check").beginObject()
                .name("active").value(c.active())
                .name("repair").value(c.repair())
                .name("doneChunks").value(c.doneChunks())
                .name("totalChunks").value(c.totalChunks())
                .name("mismatches").value(c.mismatches())
                .name("repaired").value(c.repaired())
                .name("firstMismatches").beginArray();
        for (long chunk : c.firstMismatches()) {
            w.value(chunk);
        }
        w.endArray().endObject();
        w.name("unavailable").beginObject()
                .name("chunks").value(s.unavailable().chunks())
                .name("currentDataOn").value(s.unavailable().currentDataOn())
                .endObject();
        return w.endObject().toString();
    }

    /** Reads what {@link #format} wrote back into a status (the mountpoint is dropped). */
    public static MirrorStatus parse(String json) {
        try {
            Map<?, ?> root = root(json);
            Map<?, ?> a = (Map<?, ?>) root.get("array");
            List<MirrorStatus.Member> members = new ArrayList<>();
            for (Object o : (List<?>) root.get("members")) {
                Map<?, ?> m = (Map<?, ?>) o;
                List<MirrorStatus.Run> runs = new ArrayList<>();
                if (m.get("missedRuns") instanceof List<?> list) {
                    for (Object run : list) {
                        List<?> pair = (List<?>) run;
                        runs.add(new MirrorStatus.Run(((Number) pair.get(0)).longValue(),
                                ((Number) pair.get(1)).longValue()));
                    }
                }
                MirrorStatus.Lag lag = MirrorStatus.Lag.NONE;
                if (m.get("lag") instanceof Map<?, ?> l) {
                    lag = new MirrorStatus.Lag((String) l.get("mode"), num(l, "writes"), num(l, "bytes"),
                            num(l, "chunks"), num(l, "recoveryPointMs"));
                }
                members.add(new MirrorStatus.Member((int) num(m, "index"), (String) m.get("path"),
                        (String) m.get("state"), num(m, "missedChunks"), num(m, "lastResyncChunks"),
                        (String) m.get("reason"), m.get("writeBehind") instanceof Boolean b && b,
                        m.containsKey("lagWrites") ? (int) num(m, "lagWrites") : 0, runs, lag,
                        m.containsKey("allocatedBytes") ? num(m, "allocatedBytes") : -1));
            }
            Map<?, ?> r = (Map<?, ?>) root.get("resync");
            MirrorStatus.Resync resync = new MirrorStatus.Resync(bool(r, "active"), (int) num(r, "member"),
                    num(r, "doneChunks"), num(r, "totalChunks"), real(r, "bytesPerSecond"), bool(r, "full"),
                    r.get("paused") instanceof Boolean p && p);
            MirrorStatus.Check check = MirrorStatus.Check.idle();
            if (root.get("check") instanceof Map<?, ?> c) {
                List<Long> first = new ArrayList<>();
                for (Object o : (List<?>) c.get("firstMismatches")) {
                    first.add(((Number) o).longValue());
                }
                check = new MirrorStatus.Check(bool(c, "active"), bool(c, "repair"), num(c, "doneChunks"),
                        num(c, "totalChunks"), num(c, "mismatches"), num(c, "repaired"), first);
            }
            MirrorStatus.Unavailable unavailable = MirrorStatus.Unavailable.NONE;
            if (root.get("unavailable") instanceof Map<?, ?> u) {
                unavailable = new MirrorStatus.Unavailable(num(u, "chunks"), (int) num(u, "currentDataOn"));
            }
            return new MirrorStatus((String) a.get("uuid"), num(a, "size"), (int) num(a, "chunkSize"),
                    num(a, "events"), (String) a.get("state"), List.copyOf(members), resync, check, unavailable);
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("status JSON lacks an expected field: " + e.getMessage(), e);
        }
    }

    /** The mountpoint the daemon reported, or null. */
    public static String mountpoint(String json) {
        try {
            return root(json).get("mountpoint") instanceof String m ? m : null;
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("status JSON is not an object", e);
        }
    }

    private static Map<?, ?> root(String json) {
        return (Map<?, ?>) JsonReader.parse(json);
    }

    private static long num(Map<?, ?> m, String key) {
        return ((Number) m.get(key)).longValue();
    }

    private static double real(Map<?, ?> m, String key) {
        Object v = m.get(key);
        return v == null ? 0 : ((Number) v).doubleValue();
    }

    private static boolean bool(Map<?, ?> m, String key) {
        return (Boolean) m.get(key);
    }
}
