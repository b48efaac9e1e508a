package fr1.cli;

import fr1.control.ControlClient;
import fr1.control.DirtyMap;
import fr1.control.Request;
import fr1.control.StatusJson;
import fr1.control.StatusText;
import fr1.engine.MirrorStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** {@code fr1 status [--json | --map | --prometheus] MOUNTPOINT}. */
@Command(name = "status", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {
                "Show the state of a mounted array, in the manner of /proc/mdstat: array state, members as [U_] "
                        + "(U = in sync), each member's state and missed chunks, and resync progress with rate and ETA.",
                "",
                "Member states: in_sync, faulty (failed, its missed chunks are tracked), recovering (being "
                        + "resynced), removed, split-brain (written elsewhere; fr1 leaves it alone), spare "
                        + "(stands by).",
                "",
                "--map adds the dirty map: for each member not in sync, a bar over the image (64 columns), "
                        + "'#' where it misses some chunk of that column, '.' where it misses none.",
                "",
                "--prometheus prints the Prometheus text format (as node_exporter's textfile collector reads it; "
                        + "mount option metrics-file=PATH keeps such a file up to date): fr1_array_state, "
                        + "fr1_array_degraded_members, fr1_member_state, fr1_member_missed_chunks, "
                        + "fr1_member_lag_writes/bytes/chunks, fr1_member_recovery_point_seconds, "
                        + "fr1_member_io_operations_total/bytes_total/errors_total and fr1_member_io_latency_seconds "
                        + "(histogram) by op (read, write), fr1_resync_* and fr1_check_* (progress, rate), "
                        + "fr1_events_total by kind. Counters start at zero when the mount starts."},
        footerHeading = "%nExamples:%n",
        footer = {
                "  $ fr1 status /mnt/vm",
                "  fr1 /mnt/vm: degraded raid1 2 members [U_] chunk 64K events 12 size 10.0G",
                "        [0] /data/a.img in_sync",
                "        [1] /nfs/b.img faulty (write: Input/output error) missed 123 chunks",
                "",
                "  $ fr1 status --map /mnt/vm      # adds, under the status:",
                "  dirty map: 64 columns of 256 chunks (16.0M) each; '#' = missed",
                "        [1] |##.....#......(64 columns)......| faulty, 123 chunks missed",
                "",
                "  $ fr1 status --json /mnt/vm | jq .members[1].state",
                "",
                "  $ fr1 status --prometheus /mnt/vm | grep '^fr1_array_degraded'",
                "  fr1_array_degraded_members{mountpoint=\"/mnt/vm\"} 1"})
final class StatusCommand implements Callable<Integer> {

    @ParentCommand
    Fr1Command parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print JSON for scripts: array.{uuid,size,chunkSize,events,state}, "
            + "members[].{index,path,state,missedChunks,lastResyncChunks,reason,writeBehind,lagWrites,"
            + "allocatedBytes,lag.{mode,writes,bytes,chunks,recoveryPointMs},missedRuns}, "
            + "resync.{active,member,doneChunks,totalChunks,bytesPerSecond,full,paused}, "
            + "check.{active,repair,doneChunks,totalChunks,mismatches,repaired,firstMismatches}, "
            + "unavailable.{chunks,currentDataOn}. Sizes in bytes; "
            + "missedRuns is the dirty map as [[firstChunk,length],...]; allocatedBytes is what the member file "
            + "holds on its file system (as du; -1 if unknown).")
    boolean json;

    @Option(names = "--map", description = "Add the dirty map: which regions each member that is not in sync misses.")
    boolean map;

    @Option(names = "--prometheus", description = "Print the Prometheus text exposition format, with per-member I/O "
            + "counters and latency and events by kind (see above).")
    boolean prometheus;

    @Parameters(paramLabel = "MOUNTPOINT", description = MountClients.MOUNTPOINT_HELP)
    String mountpoint;

    @Override
    public Integer call() throws Exception {
        if (json && map) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--map draws text; the JSON has the map already (members[].missedRuns)");
        }
        if (prometheus && (json || map)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--prometheus is a format of its own: give it without --json or --map");
        }
        String mnt = Raidtab.resolveMountpoint(mountpoint, null, false);
        ControlClient client = MountClients.forMountpoint(parent.paths(), mnt);
        String body;
        if (map) {
            String raw = client.call(new Request.Status(true)).strip();
            StatusJson.Doc doc = StatusJson.read(raw);
            MirrorStatus s = doc.toStatus();
            body = StatusText.format(doc.mountpoint() != null ? doc.mountpoint() : mnt, s) + DirtyMap.render(s);
        } else if (prometheus) {
            body = client.call(new Request.Status(Request.Status.Format.PROMETHEUS));
        } else {
            body = client.call(new Request.Status(json));
        }
        spec.commandLine().getOut().print(body);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
