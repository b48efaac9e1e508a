package fr1.engine;

/**
 * Told of every state change of the array, as {@code mdadm --monitor} is. Called from engine threads after the
 * change is made; must not block for long (run slow work elsewhere) and must not call back into the mirror.
 */
@FunctionalInterface
public interface EventListener {

    EventListener NONE = e -> { };

    void onEvent(MirrorEvent event);

    /**
     * @param name   {@code member-failed}, {@code member-recovered} (re-added by itself), {@code member-added},
     *               {@code member-removed}, {@code resync-started}, {@code resync-finished}, {@code split-brain},
     *               {@code probe-failed}, {@code unclean-shutdown}, {@code spare-activated}, {@code check-finished},
     *               {@code repair-finished}
     * @param member member index, or -1 for the array
     * @param path   member path, or null
     * @param detail human-readable reason or counts
     */
    record MirrorEvent(String name, int member, String path, String detail) {
    }
}
