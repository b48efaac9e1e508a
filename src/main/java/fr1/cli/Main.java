package fr1.cli;

/** Entry point of {@code fr1.jar}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(Fr1Command.commandLine().execute(args));
    }
}
