package fr1.engine;

import java.util.List;
import java.util.Map;

/**
 * Counters since the array was opened, for monitoring ({@code fr1 status --prometheus}): each member's data I/O and
 * the events told so far, by kind. They only grow while the daemon runs, and start at zero when it starts.
 *
 * @param members per member slot, in index order
 * @param events  events by name ({@link EventListener.MirrorEvent#name()}), in name order
 */
public record MirrorCounters(List<Member> members, Map<String, Long> events) {

    public static final MirrorCounters NONE = new MirrorCounters(List.of(), Map.of());

    public MirrorCounters {
        members = List.copyOf(members);
        events = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(events));
    }

    /** One member's I/O counters. */
    public record Member(int index, IoStats.Snapshot io) {
    }
}
