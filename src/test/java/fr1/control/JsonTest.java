package fr1.control;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonTest {

    @Test
    void escapesEveryCharacterJsonRequires() {
        String s = "q\" b\\ n\n r\r t\t b\b f\f nul\u0000 us\u001f del\u007f ls\u2028 / é";
        String json = new JsonWriter().value(s).toString();
        assertEquals("\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f nul\\u0000 us\\u001f del\\u007f ls\\u2028 / é\"", json);
        assertEquals(s, JsonReader.parse(json));
    }

    @Test
    void everyCharBelow128RoundTrips() {
        StringBuilder sb = new StringBuilder();
        for (char c = 0; c < 128; c++) {
            sb.append(c);
        }
        String json = new JsonWriter().value(sb.toString()).toString();
        for (char c : json.toCharArray()) {
            assertEquals(true, c >= 0x20, "raw control character in " + json);
        }
        assertEquals(sb.toString(), JsonReader.parse(json));
    }

    @Test
    void writesCommasOnlyBetweenElements() {
        String json = new JsonWriter().beginObject()
                .name("a").beginArray().endArray()
                .name("b").beginArray().value(1).value(true).value((String) null).beginObject().endObject().endArray()
                .name("c").value(2.5)
                .name("d").value(Double.NaN)
                .endObject().toString();
        assertEquals("{\"a\":[],\"b\":[1,true,null,{}],\"c\":2.5,\"d\":null}", json);
        assertEquals(Map.of("a", List.of(), "b", java.util.Arrays.asList(1L, true, null, Map.of()), "c", 2.5),
                withoutNulls((Map<?, ?>) JsonReader.parse(json)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\" 1}", "[1,]x", "\"unterminated", "\"bad \\x escape\"", "tru", "{} {}",
            "\"raw\nnewline\""})
    void rejectsMalformedJson(String text) {
        assertThrows(IllegalArgumentException.class, () -> JsonReader.parse(text));
    }

    private static Map<?, ?> withoutNulls(Map<?, ?> m) {
        java.util.Map<Object, Object> copy = new java.util.HashMap<>(m);
        copy.values().removeIf(java.util.Objects::isNull);
        return copy;
    }
}
