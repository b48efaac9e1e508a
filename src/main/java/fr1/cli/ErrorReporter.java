package fr1.cli;

import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * Prints every failure as one line {@code fr1: <message>} on stderr and returns its exit status. Installed
 * both as picocli's parameter-exception handler (parse errors) and its execution-exception handler
 * (everything a command throws), so no failure takes another path.
 */
final class ErrorReporter implements CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String hint = " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')";
        return report(cmd.getErr(), e, hint);
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
        String hint = e instanceof CommandLine.ParameterException
                ? " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')" : "";
        return report(cmd.getErr(), e, hint);
    }

    private static int report(PrintWriter err, Throwable t, String hint) {
        int code = ExitCodes.of(t);
        err.println("fr1: " + ExitCodes.message(t) + hint);
        if (System.getenv("FR1_DEBUG") != null) {
            t.printStackTrace(err);
        }
        err.flush();
        return code;
    }
}
