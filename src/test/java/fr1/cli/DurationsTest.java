package fr1.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({"500ms, 500", "5s, 5000", "2m, 120000", "0s, 0", "1440m, 86400000"})
    void parses(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), Durations.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "s", "5h", "1.5s", "-1s", "5 s", "5S", "1441m", "86400001ms",
        "999999999999999999m", "153722867280912930m", "99999999999999999999s"})
    void rejectsMalformed(String text) {
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
    }
}
