package fr1.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizesTest {

    @ParameterizedTest
    @CsvSource({"4096, 4096", "0, 0", "64K, 65536", "64k, 65536", "64KiB, 65536", "64KB, 65536", "1M, 1048576",
            "256M, 268435456", "1G, 1073741824", "10G, 10737418240", "2T, 2199023255552", " 1G , 1073741824"})
    void parses(String text, long bytes) {
        assertEquals(bytes, Sizes.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "G", "1.5G", "-1G", "1X", "1GG", "one", "1 G", "0x10", "1P"})
    void rejectsMalformed(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
        assertTrue(e.getMessage().startsWith("malformed size '" + text + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"8388608T", "99999999999999999999"})
    void rejectsTooLarge(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
        assertEquals("size '" + text + "' is too large", e.getMessage());
    }
}
