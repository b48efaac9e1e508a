package fr1.cli;

import fr1.engine.EventListener;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code -o event-cmd=PROGRAM}: runs the program on every state change, as {@code mdadm --monitor --program} does:
 * {@code PROGRAM EVENT MEMBER-INDEX MEMBER-PATH DETAIL}, with the same in {@code FR1_EVENT}, {@code FR1_MEMBER},
 * {@code FR1_MEMBER_PATH}, {@code FR1_DETAIL} and the mountpoint in {@code FR1_MOUNTPOINT}. Runs one at a time, in
 * order, off the engine's threads; a program that takes longer than a minute is killed.
 */
final class EventCommand implements EventListener {

    private static final Logger LOG = LoggerFactory.getLogger(EventCommand.class);

    private final String program;
    private final Path mountpoint;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("fr1-event-cmd").unstarted(r));

    EventCommand(String program, Path mountpoint) {
        this.program = program;
        this.mountpoint = mountpoint;
    }

    @Override
    public void onEvent(MirrorEvent e) {
        runner.execute(() -> run(e));
    }

    private void run(MirrorEvent e) {
        String member = e.member() < 0 ? "" : String.valueOf(e.member());
        String path = e.path() == null ? "" : e.path();
        String detail = e.detail() == null ? "" : e.detail();
        ProcessBuilder pb = new ProcessBuilder(program, e.name(), member, path, detail)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = pb.environment();
        env.put("FR1_EVENT", e.name());
        env.put("FR1_MEMBER", member);
        env.put("FR1_MEMBER_PATH", path);
        env.put("FR1_DETAIL", detail);
        env.put("FR1_MOUNTPOINT", mountpoint.toString());
        try {
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                LOG.warn("event-cmd {} took over 60 s on {}; killed", program, e.name());
            } else if (p.exitValue() != 0) {
                LOG.warn("event-cmd {} exited with {} on {}", program, p.exitValue(), e.name());
            }
        } catch (IOException ex) {
            LOG.warn("event-cmd {} could not be run: {}", program, ex.getMessage());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
