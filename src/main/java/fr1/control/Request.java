package fr1.control;

/**
 * One control request: the line a client sends. A member argument is the rest of the line, so paths with
 * spaces need no quoting; a line never holds a newline.
 */
public sealed interface Request {

    /** The request as sent on the wire, without the newline. */
    String line();

    /**
     * {@code status json}, {@code status text} (plain {@code status} means text) or {@code status prometheus} (the
     * text exposition format, with the I/O and event counters).
     */
    record Status(Format format) implements Request {
        public enum Format { TEXT, JSON, PROMETHEUS }

        public Status(boolean json) {
            this(json ? Format.JSON : Format.TEXT);
        }

        public boolean json() {
            return format == Format.JSON;
        }

        public String line() {
            return "status " + format.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** {@code fail <member>}. */
    record Fail(String member) implements Request {
        public Fail {
            member = checkMember(member);
        }

        public String line() {
            return "fail " + member;
        }
    }

    /** {@code down <member>}: an outside agent says it is unreachable. */
    record Down(String member) implements Request {
        public Down {
            member = checkMember(member);
        }

        public String line() {
            return "down " + member;
        }
    }

    /** {@code up <member>}: an outside agent says it is reachable again. */
    record Up(String member) implements Request {
        public Up {
            member = checkMember(member);
        }

        public String line() {
            return "up " + member;
        }
    }

    /** {@code remove <member>}. */
    record Remove(String member) implements Request {
        public Remove {
            member = checkMember(member);
        }

        public String line() {
            return "remove " + member;
        }
    }

    /** {@code add [--full] <member>}. */
    record Add(String member, boolean full) implements Request {
        public Add {
            member = checkMember(member);
        }

        public String line() {
            return full ? "add --full " + member : "add " + member;
        }
    }

    /**
     * {@code check} (compare only) or {@code repair [<member>]} (rewrite mismatches from the member, or from the
     * majority without one): starts the scrub in the background.
     */
    record Check(boolean repair, String source) implements Request {
        public Check {
            if (source != null && !repair) {
                throw new IllegalArgumentException("check takes no member; repair does");
            }
            if (source != null) {
                source = checkMember(source);
            }
        }

        public String line() {
            return !repair ? "check" : source == null ? "repair" : "repair " + source;
        }
    }

    /** {@code resync pause} or {@code resync resume}. */
    record Resync(boolean pause) implements Request {
        public String line() {
            return pause ? "resync pause" : "resync resume";
        }
    }

    /** {@code umount}. */
    record Umount() implements Request {
        public String line() {
            return "umount";
        }
    }

    /** Parses a request line (without its newline). */
    static Request parse(String line) throws ControlException {
        String verb = line;
        String rest = "";
        int space = line.indexOf(' ');
        if (space >= 0) {
            verb = line.substring(0, space);
            rest = line.substring(space + 1);
        }
        try {
            return switch (verb) {
                case "status" -> switch (rest) {
                    case "", "text" -> new Status(false);
                    case "json" -> new Status(true);
                    case "prometheus" -> new Status(Status.Format.PROMETHEUS);
                    default -> throw usage("status takes 'json', 'text' or 'prometheus', not '" + rest + "'");
                };
                case "fail" -> new Fail(rest);
                case "remove" -> new Remove(rest);
                case "down" -> new Down(rest);
                case "up" -> new Up(rest);
                case "add" -> rest.startsWith("--full ") ? new Add(rest.substring("--full ".length()), true)
                        : new Add(rest, false);
                case "check" -> {
                    if (!rest.isEmpty()) {
                        throw usage("check takes no argument (repair takes a member)");
                    }
                    yield new Check(false, null);
                }
                case "repair" -> new Check(true, rest.isEmpty() ? null : rest);
                case "resync" -> switch (rest) {
                    case "pause" -> new Resync(true);
                    case "resume" -> new Resync(false);
                    default -> throw usage("resync takes 'pause' or 'resume', not '" + rest + "'");
                };
                case "umount" -> {
                    if (!rest.isEmpty()) {
                        throw usage("umount takes no argument");
                    }
                    yield new Umount();
                }
                default -> throw usage("unknown request '" + verb + "'");
            };
        } catch (IllegalArgumentException e) {
            throw usage(verb + ": " + e.getMessage());
        }
    }

    private static String checkMember(String member) {
        if (member == null || member.isBlank()) {
            throw new IllegalArgumentException("missing member (a path or an index)");
        }
        if (member.indexOf('\n') >= 0 || member.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a member name cannot hold a line break");
        }
        return member;
    }

    private static ControlException usage(String message) {
        return new ControlException(ErrorCode.USAGE, message);
    }
}
