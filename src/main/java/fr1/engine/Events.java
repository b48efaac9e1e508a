package fr1.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tells the listener of the array's events; a listener that throws is logged, never fatal. */
final class Events {

    private static final Logger LOG = LoggerFactory.getLogger(Events.class);
    private final EventListener listener;

    Events(EventListener listener) {
        this.listener = listener;
    }

    void emit(String name, Member m, String detail) {
        emit(new EventListener.MirrorEvent(name, m.index, MemberPaths.shown(m), detail));
    }

    void emit(EventListener.MirrorEvent e) {
        try {
            listener.onEvent(e);
        } catch (RuntimeException ex) {
            LOG.error("event listener failed on {}: {}", e.name(), Mirror.reason(ex));
        }
    }
}
