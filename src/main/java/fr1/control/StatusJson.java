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
 *  "members":[{"index":0,"path":"..","state":"in_sync","missedChunks":0,"lastResyncChunks":0,"reason":null}],
 *  "resync":{"active":false,"member":-1,"doneChunks":0,"totalChunks":0,"bytesPerSecond":0,"full":false}}
 * </pre>
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
                    .endObject();
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
                .endObject();
        return w.endObject().toString();
    }

    /** Reads what {@link #format} wrote back into a status (the mountpoint is dropped). */
    public static MirrorStatus parse(String json) {
        try {
            Map<?, ?> root = (Map<?, ?>) JsonReader.parse(json);
            Map<?, ?> a = (Map<?, ?>) root.get("array");
            List<MirrorStatus.Member> members = new ArrayList<>();
            for (Object o : (List<?>) root.get("members")) {
                Map<?, ?> m = (Map<?, ?>) o;
                members.add(new MirrorStatus.Member((int) num(m, "index"), (String) m.get("path"),
                        (String) m.get("state"), num(m, "missedChunks"), num(m, "lastResyncChunks"),
                        (String) m.get("reason"), m.get("writeBehind") instanceof Boolean b && b,
                        m.containsKey("lagWrites") ? (int) num(m, "lagWrites") : 0));
            }
            Map<?, ?> r = (Map<?, ?>) root.get("resync");
            MirrorStatus.Resync resync = new MirrorStatus.Resync(bool(r, "active"), (int) num(r, "member"),
                    num(r, "doneChunks"), num(r, "totalChunks"), real(r, "bytesPerSecond"), bool(r, "full"));
            return new MirrorStatus((String) a.get("uuid"), num(a, "size"), (int) num(a, "chunkSize"),
                    num(a, "events"), (String) a.get("state"), List.copyOf(members), resync);
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("status JSON lacks an expected field: " + e.getMessage(), e);
        }
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
