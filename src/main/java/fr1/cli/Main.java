package fr1.cli;

import java.util.List;

/** Entry point of {@code fr1.jar}. */
public final class Main {

    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    private Main() {
    }

    public static void main(String[] args) {
        // Short-lived commands speak through their own one-line messages; the engine's info lines would only
        // repeat them. The mount daemon (mount -f) logs at info. Must be set before the first logger exists.
        if (System.getProperty(LOG_LEVEL) == null && !isForegroundMount(List.of(args))) {
            System.setProperty(LOG_LEVEL, "warn");
        }
        System.exit(Fr1Command.commandLine().execute(args));
    }

    static boolean isForegroundMount(List<String> args) {
        return args.contains("mount") && (args.contains("-f") || args.contains("--foreground"));
    }
}
