package fr1.cli;

import fr1.control.ControlClient;
import fr1.control.ControlException;
import fr1.control.Request;
import fr1.control.StatusJson;
import fr1.control.StatusText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** raidtools2's {@code lsraid [MOUNTPOINT...]}: the status of the named mounts, or of every running one. */
@Command(name = "lsraid", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "raidtools2: list arrays, like /proc/mdstat: the status of each MOUNTPOINT (or raiddev name), "
                        + "or without one, of every fr1 mount running (those whose control socket is in the run "
                        + "directory; for root also users' mounts)."},
        footerHeading = "%nExamples:%n",
        footer = {"  fr1 lsraid", "  fr1 lsraid --json | jq -r '.[].mountpoint'"})
final class LsraidCommand implements Callable<Integer> {

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "A JSON array of the statuses as 'fr1 status --json' prints them.")
    boolean json;

    @Parameters(arity = "0..*", paramLabel = "MOUNTPOINT", description = "Mountpoints, or the images' paths "
            + "(default: every running mount).")
    List<String> mountpoints = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> bodies = new ArrayList<>();
        if (!mountpoints.isEmpty()) {
            for (String m : mountpoints) {
                String mnt = Raidtab.resolveMountpoint(m, null, false);
                bodies.add(MountClients.forMountpoint(parent.paths(), mnt).call(new Request.Status(true)).strip());
            }
        } else {
            for (Path socket : sockets()) {
                try {
                    bodies.add(new ControlClient(socket, socket.toString()).call(new Request.Status(true)).strip());
                } catch (ControlException e) {
                    // A stale socket of a daemon that died, or one shutting down: not a running array.
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println("[" + String.join(",", bodies) + "]");
        } else if (bodies.isEmpty()) {
            spec.commandLine().getErr().println("fr1: no fr1 arrays are running");
            spec.commandLine().getErr().flush();
        } else {
            for (int i = 0; i < bodies.size(); i++) {
                String body = bodies.get(i);
                if (i > 0) {
                    out.println();
                }
                StatusJson.Doc doc = StatusJson.read(body);
                out.print(StatusText.format(doc.mountpoint() != null ? doc.mountpoint() : "?", doc.toStatus()));
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The control sockets in the run directories, sorted by name. */
    private List<Path> sockets() throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path dir : parent.paths().searchDirs()) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.sock")) {
                ds.forEach(found::add);
            } catch (IOException e) {
                // A directory we may not read (another user's): its mounts are not ours to list.
            }
        }
        found.sort(null);
        return found;
    }
}
