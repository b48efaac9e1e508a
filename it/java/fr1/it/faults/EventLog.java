package fr1.it.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The program given to {@code -o event-cmd=}: a shell script that appends one line per event to a file, with the
 * time, its four arguments (EVENT MEMBER PATH DETAIL) and the FR1_EVENT / FR1_MEMBER / FR1_MOUNTPOINT environment.
 */
public final class EventLog {

    /** One event as the script saw it. */
    public record Event(long millis, String name, String member, String path, String detail, String envEvent,
                        String envMember, String envMountpoint) {
    }

    private final Path script;
    private final Path file;

    private EventLog(Path script, Path file) {
        this.script = script;
        this.file = file;
    }

    public static EventLog create(Path dir) throws IOException {
        Path script = dir.resolve("event-cmd.sh");
        Path file = dir.resolve("events.tsv");
        Files.writeString(script, String.join("\n",
                "#!/bin/sh",
                "# fr1 event-cmd for FaultsIT: time(ms) EVENT MEMBER PATH DETAIL FR1_EVENT FR1_MEMBER FR1_MOUNTPOINT",
                "printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' \"$(date +%s%3N)\" \"$1\" \"$2\" \"$3\" \"$4\" \\",
                "    \"$FR1_EVENT\" \"$FR1_MEMBER\" \"$FR1_MOUNTPOINT\" >> '" + file + "'",
                ""), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new EventLog(script, file);
    }

    public Path script() {
        return script;
    }

    public List<Event> events() throws IOException {
        List<Event> list = new ArrayList<>();
        if (!Files.exists(file)) {
            return list;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.split("\t", -1);
            if (f.length >= 8) {
                list.add(new Event(Long.parseLong(f[0]), f[1], f[2], f[3], f[4], f[5], f[6], f[7]));
            }
        }
        return list;
    }

    /** Events named {@code name} for member {@code member} at or after {@code sinceMillis}. */
    public List<Event> find(String name, int member, long sinceMillis) throws IOException {
        return events().stream()
                .filter(e -> e.name().equals(name) && e.member().equals(Integer.toString(member))
                        && e.millis() >= sinceMillis)
                .toList();
    }

    /** Waits up to {@code millis} for such an event (event-cmd runs asynchronously); fails with all events seen. */
    public Event await(String name, int member, long sinceMillis, long millis) throws IOException,
            InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (true) {
            List<Event> found = find(name, member, sinceMillis);
            if (!found.isEmpty()) {
                return found.get(0);
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("no event " + name + " for member " + member + " within " + millis
                        + " ms; events: " + describe());
            }
            Thread.sleep(50);
        }
    }

    public String describe() throws IOException {
        StringBuilder b = new StringBuilder();
        for (Event e : events()) {
            b.append("\n  ").append(e.millis()).append(' ').append(e.name()).append(" member=").append(e.member())
                    .append(" path=").append(e.path()).append(" detail=").append(e.detail());
        }
        return b.length() == 0 ? "(none)" : b.toString();
    }
}
