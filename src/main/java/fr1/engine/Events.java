package fr1.engine;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tells the listener of the array's events, counting them by name; a listener that throws is logged, never fatal. */
final class Events {

    private static final Logger LOG = LoggerFactory.getLogger(Events.class);
    private final EventListener listener;
    /** The kinds {@link EventListener.MirrorEvent#name()} takes: counted from zero, so a first one shows as a rise. */
    static final List<String> KINDS = List.of("member-failed", "member-recovered", "member-added", "member-removed",
            "resync-started", "resync-finished", "split-brain", "probe-failed", "unclean-shutdown", "spare-activated",
            "check-finished", "repair-finished", "behind", "caught-up", "chunks-unavailable");
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    Events(EventListener listener) {
        this.listener = listener;
        for (String kind : KINDS) {
            counts.put(kind, new LongAdder());
        }
    }

    void emit(String name, Member m, String detail) {
        emit(new EventListener.MirrorEvent(name, m.index, MemberPaths.shown(m), detail));
    }

    void emit(EventListener.MirrorEvent e) {
        counts.computeIfAbsent(e.name(), n -> new LongAdder()).increment();
        try {
            listener.onEvent(e);
        } catch (RuntimeException ex) {
            LOG.error("event listener failed on {}: {}", e.name(), Mirror.reason(ex));
        }
    }

    /** Events told so far, by name. */
    Map<String, Long> counts() {
        Map<String, Long> m = new TreeMap<>();
        counts.forEach((name, n) -> m.put(name, n.sum()));
        return m;
    }
}
