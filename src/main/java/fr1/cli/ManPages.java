package fr1.cli;

import fr1.control.ControlPaths;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes man pages (man(7) troff) from the picocli model, at build time ({@code mvn package} runs
 * {@code ManPages target/man VERSION}): {@code fr1.1} for the command and {@code fr1-COMMAND.1} for each
 * subcommand, with what {@code --help} shows: name, synopsis, description, options, arguments, exit status
 * and the footer sections (examples, environment, files). picocli-codegen's ManPageGenerator writes AsciiDoc,
 * which needs asciidoctor to become a man page; this needs nothing but the model.
 */
public final class ManPages {

    private ManPages() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: ManPages OUTPUT_DIR [VERSION]");
            System.exit(2);
        }
        List<Path> written = write(Path.of(args[0]), args.length > 1 ? args[1] : VersionProvider.version());
        System.out.println("fr1: wrote " + written.size() + " man pages to " + args[0]);
    }

    /** Writes every page into {@code dir}; the files written. */
    static List<Path> write(Path dir, String version) throws IOException {
        Files.createDirectories(dir);
        CommandLine top = Fr1Command.commandLine(new ControlPaths(Path.of("/run/fr1")));
        List<Path> written = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : top.getSubcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            if (!e.getKey().equals(sub.name()) || sub.name().equals("help")) {
                continue; // aliases are named on the command's page; 'help' is --help
            }
            names.add(sub.name());
            Path p = dir.resolve("fr1-" + sub.name() + ".1");
            Files.writeString(p, page(sub, version, List.of("fr1")), StandardCharsets.UTF_8);
            written.add(p);
        }
        List<String> seeAlso = new ArrayList<>();
        names.forEach(n -> seeAlso.add("fr1-" + n));
        seeAlso.addAll(List.of("mount", "fstab", "losetup", "mdadm"));
        Path p = dir.resolve("fr1.1");
        Files.writeString(p, page(top.getCommandSpec(), version, seeAlso), StandardCharsets.UTF_8);
        written.add(p);
        return written;
    }

    /** One page in man(7) format. */
    static String page(CommandSpec spec, String version, List<String> seeAlso) {
        String name = spec.qualifiedName("-");
        StringBuilder out = new StringBuilder();
        out.append(".\\\" Generated from the picocli model by fr1.cli.ManPages; do not edit.\n");
        out.append(".TH ").append(name.toUpperCase(Locale.ROOT)).append(" 1 \"\" \"fr1 ").append(esc(version))
                .append("\" \"fr1 Manual\"\n");
        out.append(".SH NAME\n").append(esc(name));
        if (spec.aliases().length > 0) {
            out.append(", ").append(esc(String.join(", ", List.of(spec.aliases()))));
        }
        out.append(" \\- ").append(esc(summary(spec))).append('\n');

        out.append(".SH SYNOPSIS\n.nf\n");
        CommandLine.Help help = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        for (String line : help.synopsis(0).stripTrailing().split("\n")) {
            out.append(escLine(line.stripTrailing())).append('\n');
        }
        out.append(".fi\n");

        out.append(".SH DESCRIPTION\n");
        text(out, spec.usageMessage().description());

        List<CommandLine> subs = spec.subcommands().entrySet().stream()
                .filter(e -> e.getKey().equals(e.getValue().getCommandSpec().name()) && !e.getKey().equals("help"))
                .map(Map.Entry::getValue).toList();
        if (!subs.isEmpty()) {
            out.append(".SH COMMANDS\n");
            for (CommandLine sub : subs) {
                CommandSpec c = sub.getCommandSpec();
                out.append(".TP\n\\fB").append(esc(c.name())).append("\\fR");
                if (c.aliases().length > 0) {
                    out.append(" (").append(esc(String.join(", ", List.of(c.aliases())))).append(')');
                }
                out.append('\n').append(esc(summary(c))).append(". See \\fB").append(esc(c.qualifiedName("-")))
                        .append("\\fR(1).\n");
            }
        }
        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        if (!options.isEmpty()) {
            out.append(".SH OPTIONS\n");
            for (OptionSpec o : options) {
                out.append(".TP\n\\fB").append(esc(String.join(", ", List.of(o.names())))).append("\\fR");
                if (o.typeInfo().isBoolean() && o.arity().max() == 0) {
                    out.append('\n');
                } else {
                    out.append(" \\fI").append(esc(o.paramLabel())).append("\\fR\n");
                }
                out.append(esc(String.join(" ", o.description()))).append('\n');
            }
        }
        List<PositionalParamSpec> params = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!params.isEmpty()) {
            out.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : params) {
                out.append(".TP\n\\fI").append(esc(p.paramLabel())).append("\\fR\n")
                        .append(esc(String.join(" ", p.description()))).append('\n');
            }
        }
        Map<String, String> exits = spec.usageMessage().exitCodeList();
        if (!exits.isEmpty()) {
            out.append(".SH EXIT STATUS\n");
            for (Map.Entry<String, String> e : exits.entrySet()) {
                out.append(".TP\n.B ").append(esc(e.getKey().strip())).append('\n').append(esc(e.getValue())).append('\n');
            }
        } else if (spec.parent() != null) {
            out.append(".SH EXIT STATUS\nAs for every fr1 command: see \\fBfr1\\fR(1).\n");
        }
        footer(out, spec.usageMessage().footerHeading(), spec.usageMessage().footer());
        out.append(".SH SEE ALSO\n");
        for (int i = 0; i < seeAlso.size(); i++) {
            String page = seeAlso.get(i);
            int section = switch (page) {
                case "fstab" -> 5;
                case "mount", "losetup", "mdadm" -> 8;
                default -> 1;
            };
            out.append("\\fB").append(esc(page)).append("\\fR(").append(section).append(')')
                    .append(i + 1 < seeAlso.size() ? ",\n" : "\n");
        }
        return out.toString();
    }

    /** The first sentence of the description, for NAME. */
    private static String summary(CommandSpec spec) {
        String[] d = spec.usageMessage().description();
        String first = d.length == 0 ? "" : format(d[0]);
        int dot = first.indexOf(". ");
        String s = dot > 0 ? first.substring(0, dot) : first.endsWith(".") ? first.substring(0, first.length() - 1) : first;
        return s.replaceFirst("^raidtools2: ", "raidtools2 ");
    }

    /** Description lines: prose becomes paragraphs; indented lines (tables, examples) stay as they are. */
    private static void text(StringBuilder out, String[] lines) {
        boolean pre = false;
        boolean first = true;
        for (String raw : lines) {
            String line = format(raw);
            for (String l : line.split("\n", -1)) {
                boolean indented = l.startsWith(" ");
                if (l.isBlank()) {
                    if (pre) {
                        out.append(".fi\n");
                        pre = false;
                    }
                    if (!first) {
                        out.append(".PP\n");
                    }
                    continue;
                }
                if (indented && !pre) {
                    out.append(".nf\n");
                    pre = true;
                } else if (!indented && pre) {
                    out.append(".fi\n");
                    pre = false;
                }
                out.append(escLine(pre ? l : l.strip())).append('\n');
                first = false;
            }
        }
        if (pre) {
            out.append(".fi\n");
        }
    }

    /** The footer: its heading and every unindented line that ends with ':' start a section. */
    private static void footer(StringBuilder out, String heading, String[] lines) {
        if (lines.length == 0) {
            return;
        }
        String h = format(heading).strip();
        out.append(".SH ").append(esc(section(h.isEmpty() ? "Notes:" : h))).append("\n.nf\n");
        for (String raw : lines) {
            for (String l : format(raw).split("\n", -1)) {
                if (!l.startsWith(" ") && l.endsWith(":") && !l.isBlank()) {
                    out.append(".fi\n.SH ").append(esc(section(l))).append("\n.nf\n");
                } else {
                    out.append(escLine(l.stripTrailing())).append('\n');
                }
            }
        }
        out.append(".fi\n");
    }

    private static String section(String heading) {
        String s = heading.strip();
        if (s.endsWith(":")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.toUpperCase(Locale.ROOT);
    }

    /** picocli's format escapes as --help renders them. */
    private static String format(String s) {
        return s.replace("%n", "\n").replace("%%", "%");
    }

    /** Text for troff: backslashes and hyphens escaped. */
    static String esc(String s) {
        return s.replace("\\", "\\e").replace("-", "\\-");
    }

    /** A line that must not start a troff request ('.' or '\''). */
    private static String escLine(String s) {
        String e = esc(s);
        return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
    }
}
