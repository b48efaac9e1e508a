package fr1.control;

import fr1.engine.MirrorStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the status JSON does with awkward strings and numbers, and with what it cannot read. */
class JsonEscapesTest {

    @Test
    void escapesEveryCharacterJsonRequiresAndTheJavaScriptLineBreaks() {
        String s = "q\" b\\ n\n r\r t\t b\b f\f nul\u0000 us\u001f del\u007f ls\u2028 ps\u2029 / é";
        String json = StatusJson.format(s, Samples.degraded());
        assertTrue(json.startsWith("{\"mountpoint\":\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f nul\\u0000 us\\u001f "
                + "del\\u007f ls\\u2028 ps\\u2029 / é\","), json);
        assertEquals(s, StatusJson.mountpoint(json));
    }

    @Test
    void everyCharBelow128RoundTripsWithNoRawControlCharacter() {
        StringBuilder sb = new StringBuilder();
        for (char c = 0; c < 128; c++) {
            sb.append(c);
        }
        String json = StatusJson.format(sb.toString(), Samples.degraded());
        for (char c : json.toCharArray()) {
            assertTrue(c >= 0x20 && c != 0x7f, "raw control character in " + json);
        }
        assertEquals(sb.toString(), StatusJson.mountpoint(json));
    }

    @Test
    void ratesAreWholeWhenWholeAndNullWhenNotANumber() {
        MirrorStatus s = Samples.recovering();
        assertTrue(StatusJson.format("/m", s).contains("\"bytesPerSecond\":5.48405248E7"), StatusJson.format("/m", s));
        MirrorStatus nan = new MirrorStatus("u", 1, 1, 1, "active", List.of(),
                new MirrorStatus.Resync(true, 1, 0, 1, Double.NaN, false));
        assertTrue(StatusJson.format("/m", nan).contains("\"bytesPerSecond\":null"), StatusJson.format("/m", nan));
    }

    @Test
    void unknownFieldsAreIgnoredAndMissingOptionalPartsAreIdle() {
        String json = "{\"mountpoint\":\"/m\",\"future\":{\"x\":[1,2]},"
                + "\"array\":{\"uuid\":\"u\",\"size\":4096,\"chunkSize\":4096,\"events\":3,\"state\":\"active\",\"new\":1},"
                + "\"members\":[{\"index\":0,\"path\":\"/a\",\"state\":\"in_sync\",\"missedChunks\":0,"
                + "\"lastResyncChunks\":0,\"reason\":null}],"
                + "\"resync\":{\"active\":false,\"member\":-1,\"doneChunks\":0,\"totalChunks\":0,\"bytesPerSecond\":0,"
                + "\"full\":false}}";
        MirrorStatus s = StatusJson.parse(json);
        assertEquals(MirrorStatus.Check.idle(), s.check());
        assertEquals(MirrorStatus.Unavailable.NONE, s.unavailable());
        assertEquals(MirrorStatus.Lag.NONE, s.members().get(0).lag());
        assertEquals(List.of(), s.members().get(0).missedRuns());
    }

    @Test
    void readsAnArrayOfDocuments() {
        String one = StatusJson.format("/a", Samples.degraded());
        String two = StatusJson.format("/b", Samples.recovering());
        List<StatusJson.Doc> docs = StatusJson.readAll("[" + one + "," + two + "]");
        assertEquals(List.of("/a", "/b"), docs.stream().map(StatusJson.Doc::mountpoint).toList());
        assertEquals(Samples.recovering(), docs.get(1).toStatus());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\" 1}", "[1,]x", "\"unterminated", "{\"mountpoint\":\"bad \\x escape\"}",
            "tru", "{} {}", "{\"mountpoint\":\"raw\nnewline\"}", "{\"mountpoint\":\"/m\"}", "[]"})
    void rejectsMalformedOrIncompleteJson(String text) {
        assertThrows(IllegalArgumentException.class, () -> StatusJson.parse(text));
    }
}
