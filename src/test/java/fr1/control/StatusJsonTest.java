package fr1.control;

import fr1.engine.MirrorStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StatusJsonTest {

    @Test
    void degradedGolden() {
        assertEquals("{\"mountpoint\":\"/mnt/x\","
                        + "\"array\":{\"uuid\":\"6f1c2a7e-0000-4000-8000-000000000001\",\"size\":1073741824,"
                        + "\"chunkSize\":65536,\"events\":12,\"state\":\"degraded\"},"
                        + "\"members\":[{\"index\":0,\"path\":\"/data/a.img\",\"state\":\"in_sync\",\"missedChunks\":0,"
                        + "\"lastResyncChunks\":0,\"reason\":null,\"writeBehind\":false,\"lagWrites\":0,"
                        + "\"allocatedBytes\":-1,\"lag\":{\"mode\":\"none\",\"writes\":0,\"bytes\":0,\"chunks\":0,\"recoveryPointMs\":0},"
                        + "\"missedRuns\":[]},"
                        + "{\"index\":1,\"path\":\"/nfs/b.img\",\"state\":\"faulty\",\"missedChunks\":123,"
                        + "\"lastResyncChunks\":0,\"reason\":\"write: Input/output error\",\"writeBehind\":false,"
                        + "\"lagWrites\":0,\"allocatedBytes\":-1,\"lag\":{\"mode\":\"none\",\"writes\":0,\"bytes\":0,\"chunks\":0,\"recoveryPointMs\":0},"
                        + "\"missedRuns\":[[0,100],[16000,23]]}],"
                        + "\"resync\":{\"active\":false,\"member\":-1,\"doneChunks\":0,\"totalChunks\":0,"
                        + "\"bytesPerSecond\":0,\"full\":false,\"paused\":false},"
                        + "\"check\":{\"active\":false,\"repair\":false,\"doneChunks\":0,\"totalChunks\":0,"
                        + "\"mismatches\":0,\"repaired\":0,\"firstMismatches\":[]},"
                        + "\"unavailable\":{\"chunks\":0,\"currentDataOn\":-1}}",
                StatusJson.format("/mnt/x", Samples.degraded()));
    }

    @Test
    void roundTrips() {
        for (MirrorStatus s : List.of(Samples.degraded(), Samples.recovering(), awkwardPaths())) {
            assertEquals(s, StatusJson.parse(StatusJson.format("/m", s)));
        }
    }

    @Test
    void pathsWithQuotesBackslashesAndControlCharactersAreEscaped() {
        String json = StatusJson.format("/mnt/\"x\"", awkwardPaths());
        assertEquals(true, json.contains("\"path\":\"/data/a \\\"quoted\\\" \\\\ back\\tslash\\n\\u0001\""), json);
        assertEquals(true, json.startsWith("{\"mountpoint\":\"/mnt/\\\"x\\\"\""), json);
        assertEquals(false, json.contains("\n"), "one line: " + json);
    }

    private static MirrorStatus awkwardPaths() {
        return new MirrorStatus("u", 4096, 4096, 1, "degraded",
                List.of(new MirrorStatus.Member(0, "/data/a \"quoted\" \\ back\tslash\n\u0001", "in_sync", 0, 0, null),
                        new MirrorStatus.Member(1, "/nfs/ünïcødé €\u2028", "faulty", 5, 2, "stale \"NFS\" handle")),
                new MirrorStatus.Resync(true, 1, 1, 3, 1.5, true));
    }
}
