package fr1.cli;

import fr1.control.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** {@code fr1 status [--json] MOUNTPOINT}. */
@Command(name = "status", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Show the state of a mounted array, in the manner of /proc/mdstat: array state, members as [U_] "
                        + "(U = in sync), each member's state and missed chunks, and resync progress with rate and ETA.",
                "",
                "Member states: in_sync, faulty (failed, its missed chunks are tracked), recovering (being "
                        + "resynced), removed, split-brain (written elsewhere; fr1 leaves it alone)."},
        footerHeading = "%nExamples:%n",
        footer = {
                "  $ fr1 status /mnt/vm",
                "  fr1 /mnt/vm: degraded raid1 2 members [U_] chunk 64K events 12 size 10.0G",
                "        [0] /data/a.img in_sync",
                "        [1] /nfs/b.img faulty (write: Input/output error) missed 123 chunks",
                "",
                "  $ fr1 status --json /mnt/vm | jq .members[1].state"})
final class StatusCommand implements Callable<Integer> {

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print JSON for scripts: array.{uuid,size,chunkSize,events,state}, "
            + "members[].{index,path,state,missedChunks,lastResyncChunks,reason}, "
            + "resync.{active,member,doneChunks,totalChunks,bytesPerSecond,full}. Sizes in bytes.")
    boolean json;

    @Parameters(paramLabel = "MOUNTPOINT", description = "Where the array is mounted.")
    String mountpoint;

    @Override
    public Integer call() throws Exception {
        String body = MountClients.forMountpoint(parent.paths(), mountpoint).call(new Request.Status(json));
        spec.commandLine().getOut().print(body);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
