package fr1.control;

import fr1.engine.IoStats;
import fr1.engine.MemberState;
import fr1.engine.MirrorCounters;
import fr1.engine.MirrorStatus;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Status and counters in the Prometheus text exposition format (version 0.0.4), for {@code fr1 status
 * --prometheus} and the {@code metrics-file} mount option (node_exporter's textfile collector). Every sample has a
 * {@code mountpoint} label; member samples a {@code member} label (the index; {@code fr1_member_info} maps it to
 * the path). States are state sets: one sample per possible state, 1 for the current one. Counters start at zero
 * when the daemon starts. Sizes are bytes, times seconds.
 */
public final class PrometheusText {

    /** The array states {@link MirrorStatus#state()} takes. */
    static final List<String> ARRAY_STATES = List.of("active", "degraded", "recovering", "failed", "stopped");
    /** The write-behind modes {@link MirrorStatus.Lag#mode()} takes. */
    static final List<String> LAG_MODES = List.of("none", "streaming", "behind", "catching-up");

    private final StringBuilder out = new StringBuilder(8192);
    private final String mnt;

    private PrometheusText(String mountpoint) {
        this.mnt = "mountpoint=\"" + label(mountpoint) + "\"";
    }

    public static String format(String mountpoint, MirrorStatus s, MirrorCounters c) {
        PrometheusText p = new PrometheusText(mountpoint);
        p.array(s);
        p.members(s, c);
        p.resync(s);
        p.check(s);
        p.events(c);
        return p.out.toString();
    }

    // ---------------------------------------------------------------- families

    private void array(MirrorStatus s) {
        family("fr1_array_info", "gauge", "The array's identity: always 1.");
        sample("fr1_array_info", "uuid=\"" + label(s.uuid()) + "\"", 1);
        family("fr1_array_state", "gauge", "The array's state: 1 for the current one, 0 for the others.");
        for (String state : withCurrent(ARRAY_STATES, s.state())) {
            sample("fr1_array_state", "state=\"" + label(state) + "\"", state.equals(s.state()) ? 1 : 0);
        }
        long degraded = s.members().stream()
                .filter(m -> !m.state().equals("in_sync") && !m.state().equals("spare")).count();
        family("fr1_array_degraded_members", "gauge",
                "Members that are not in sync and not spares (md's degraded): 0 when the array is whole.");
        sample("fr1_array_degraded_members", null, degraded);
        family("fr1_array_size_bytes", "gauge", "Size of the image.");
        sample("fr1_array_size_bytes", null, s.size());
        family("fr1_array_chunk_size_bytes", "gauge", "Chunk size: the unit of missed sets and resync.");
        sample("fr1_array_chunk_size_bytes", null, s.chunkSize());
        family("fr1_array_metadata_events_total", "counter", "The metadata event counter (md's events).");
        sample("fr1_array_metadata_events_total", null, s.events());
        family("fr1_array_unavailable_chunks", "gauge",
                "Chunks whose current data no attached member holds: reads of them fail until one comes back.");
        sample("fr1_array_unavailable_chunks", null, s.unavailable().chunks());
    }

    private void members(MirrorStatus s, MirrorCounters c) {
        List<MirrorStatus.Member> ms = s.members();
        family("fr1_member_info", "gauge", "A member's path: always 1.");
        for (MirrorStatus.Member m : ms) {
            sample("fr1_member_info", member(m.index()) + ",path=\"" + label(String.valueOf(m.path())) + "\"", 1);
        }
        family("fr1_member_state", "gauge", "A member's state: 1 for the current one, 0 for the others.");
        for (MirrorStatus.Member m : ms) {
            for (String state : withCurrent(memberStates(), m.state())) {
                sample("fr1_member_state", member(m.index()) + ",state=\"" + label(state) + "\"",
                        state.equals(m.state()) ? 1 : 0);
            }
        }
        gauge(ms, "fr1_member_missed_chunks", "Chunks the member lacks (its missed set): 0 when in sync.",
                MirrorStatus.Member::missedChunks);
        gauge(ms, "fr1_member_last_resync_chunks", "Chunks copied by the member's last completed resync.",
                MirrorStatus.Member::lastResyncChunks);
        gauge(ms, "fr1_member_write_behind", "1 if the member may lag (async mode, write-behind).",
                m -> m.writeBehind() ? 1 : 0);
        family("fr1_member_lag_mode", "gauge",
                "A member's write-behind mode: 1 for the current one (none for a member that is not write-behind).");
        for (MirrorStatus.Member m : ms) {
            for (String mode : withCurrent(LAG_MODES, m.lag().mode())) {
                sample("fr1_member_lag_mode", member(m.index()) + ",mode=\"" + label(mode) + "\"",
                        mode.equals(m.lag().mode()) ? 1 : 0);
            }
        }
        gauge(ms, "fr1_member_lag_writes", "Acknowledged writes a write-behind member does not hold yet.",
                m -> m.lag().writes());
        gauge(ms, "fr1_member_lag_bytes", "Their bytes (chunks recorded as lacking count whole).",
                m -> m.lag().bytes());
        gauge(ms, "fr1_member_lag_chunks", "Chunks recorded as lacking on a write-behind member, not yet copied.",
                m -> m.lag().chunks());
        family("fr1_member_recovery_point_seconds", "gauge", "Age of the oldest acknowledged write a write-behind "
                + "member does not hold (what is lost if the synchronous members die now); 0 when it holds all.");
        for (MirrorStatus.Member m : ms) {
            sample("fr1_member_recovery_point_seconds", member(m.index()), m.lag().recoveryPointMillis() / 1000.0);
        }
        io(c);
    }

    private void io(MirrorCounters c) {
        record Op(String op, int index, IoStats.Counts counts) {
        }
        List<Op> ops = new ArrayList<>();
        for (MirrorCounters.Member m : c.members()) {
            ops.add(new Op("read", m.index(), m.io().read()));
            ops.add(new Op("write", m.index(), m.io().write()));
        }
        family("fr1_member_io_operations_total", "counter", "Data reads and writes a member completed.");
        for (Op o : ops) {
            sample("fr1_member_io_operations_total", opLabels(o.index, o.op), o.counts.ops());
        }
        family("fr1_member_io_bytes_total", "counter", "Bytes a member read or wrote.");
        for (Op o : ops) {
            sample("fr1_member_io_bytes_total", opLabels(o.index, o.op), o.counts.bytes());
        }
        family("fr1_member_io_errors_total", "counter", "Data reads and writes that failed on a member.");
        for (Op o : ops) {
            sample("fr1_member_io_errors_total", opLabels(o.index, o.op), o.counts.errors());
        }
        family("fr1_member_io_latency_seconds", "histogram", "Latency of a member's completed data reads and writes.");
        double[] bounds = IoStats.boundsSeconds();
        for (Op o : ops) {
            String l = opLabels(o.index, o.op);
            long[] per = o.counts.perBucket();
            long cumulative = 0;
            for (int b = 0; b < bounds.length; b++) {
                cumulative += per[b];
                sample("fr1_member_io_latency_seconds_bucket", l + ",le=\"" + plain(bounds[b]) + "\"", cumulative);
            }
            cumulative += per[bounds.length];
            sample("fr1_member_io_latency_seconds_bucket", l + ",le=\"+Inf\"", cumulative);
            sample("fr1_member_io_latency_seconds_sum", l, o.counts.nanos() / 1e9);
            sample("fr1_member_io_latency_seconds_count", l, cumulative);
        }
    }

    private void resync(MirrorStatus s) {
        MirrorStatus.Resync r = s.resync();
        family("fr1_resync_active", "gauge", "1 while a resync runs.");
        sample("fr1_resync_active", null, r.active() ? 1 : 0);
        family("fr1_resync_paused", "gauge", "1 while the operator has the resync paused.");
        sample("fr1_resync_paused", null, r.paused() ? 1 : 0);
        family("fr1_resync_member", "gauge", "Index of the member being resynced, -1 if none.");
        sample("fr1_resync_member", null, r.member());
        family("fr1_resync_done_chunks", "gauge", "Chunks the resync copied so far.");
        sample("fr1_resync_done_chunks", null, r.doneChunks());
        family("fr1_resync_total_chunks", "gauge", "Chunks the resync copies in all.");
        sample("fr1_resync_total_chunks", null, r.totalChunks());
        family("fr1_resync_progress_ratio", "gauge", "Resync progress, 0 to 1 (0 when none runs).");
        sample("fr1_resync_progress_ratio", null, ratio(r.doneChunks(), r.totalChunks()));
        family("fr1_resync_rate_bytes_per_second", "gauge", "Recent resync copy rate.");
        sample("fr1_resync_rate_bytes_per_second", null, r.bytesPerSecond());
    }

    private void check(MirrorStatus s) {
        MirrorStatus.Check k = s.check();
        family("fr1_check_active", "gauge", "1 while a check or repair runs.");
        sample("fr1_check_active", null, k.active() ? 1 : 0);
        family("fr1_check_repair", "gauge", "1 if the running (or last) scrub repairs.");
        sample("fr1_check_repair", null, k.repair() ? 1 : 0);
        family("fr1_check_done_chunks", "gauge", "Chunks the check compared so far (or in all, when done).");
        sample("fr1_check_done_chunks", null, k.doneChunks());
        family("fr1_check_total_chunks", "gauge", "Chunks the check compares in all.");
        sample("fr1_check_total_chunks", null, k.totalChunks());
        family("fr1_check_progress_ratio", "gauge", "Check progress, 0 to 1 (0 before the first check).");
        sample("fr1_check_progress_ratio", null, ratio(k.doneChunks(), k.totalChunks()));
        family("fr1_check_mismatch_chunks", "gauge", "Chunks whose copies differ (found so far, or by the last check).");
        sample("fr1_check_mismatch_chunks", null, k.mismatches());
        family("fr1_check_repaired_chunks", "gauge", "Of those, chunks made identical again.");
        sample("fr1_check_repaired_chunks", null, k.repaired());
    }

    private void events(MirrorCounters c) {
        family("fr1_events_total", "counter", "Events told (as to event-cmd), by kind.");
        for (Map.Entry<String, Long> e : c.events().entrySet()) {
            sample("fr1_events_total", "kind=\"" + label(e.getKey()) + "\"", e.getValue());
        }
    }

    // ---------------------------------------------------------------- lines

    private void family(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n"))
                .append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void sample(String name, String labels, double value) {
        out.append(name).append('{').append(mnt);
        if (labels != null) {
            out.append(',').append(labels);
        }
        out.append("} ").append(number(value)).append('\n');
    }

    private void gauge(List<MirrorStatus.Member> ms, String name, String help,
                       java.util.function.ToDoubleFunction<MirrorStatus.Member> value) {
        family(name, "gauge", help);
        for (MirrorStatus.Member m : ms) {
            sample(name, member(m.index()), value.applyAsDouble(m));
        }
    }

    private static String member(int index) {
        return "member=\"" + index + "\"";
    }

    private static String opLabels(int index, String op) {
        return member(index) + ",op=\"" + op + "\"";
    }

    private static List<String> memberStates() {
        List<String> l = new ArrayList<>();
        for (MemberState st : MemberState.values()) {
            l.add(st.label());
        }
        return l;
    }

    /** The known values, plus the current one if it is new (a newer engine's state is still shown). */
    private static Set<String> withCurrent(List<String> known, String current) {
        Set<String> all = new LinkedHashSet<>(known);
        if (current != null) {
            all.add(current);
        }
        return all;
    }

    private static double ratio(long done, long total) {
        return total <= 0 ? 0 : Math.min(1.0, (double) done / total);
    }

    /** A sample value: whole numbers without a fraction, NaN and infinities as Prometheus spells them. */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /** A bucket bound as a person writes it: 0.0001, 2.5, 10. */
    private static String plain(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /** A label value: backslash, double quote and line feed escaped, as the format requires. */
    static String label(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
