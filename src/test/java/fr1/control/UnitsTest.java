package fr1.control;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UnitsTest {

    @ParameterizedTest
    @CsvSource({"4096, 4K", "65536, 64K", "1048576, 1M", "67108864, 64M", "1073741824, 1G", "1099511627776, 1T",
            "1000, 1000B", "1536, 1536B", "0, 0B", "3145728, 3M"})
    void exact(long bytes, String text) {
        assertEquals(text, Units.exact(bytes));
    }

    @ParameterizedTest
    @CsvSource({"512, 512B", "1024, 1.0K", "1073741824, 1.0G", "1610612736, 1.5G", "10737418240, 10.0G",
            "1099511627776, 1.0T", "1048575, 1024.0K"})
    void human(long bytes, String text) {
        assertEquals(text, Units.human(bytes));
    }

    @ParameterizedTest
    @CsvSource({"0, 0B/s", "100.4, 100B/s", "2048, 2.0KiB/s", "54840115.2, 52.3MiB/s", "NaN, 0B/s", "-5, 0B/s"})
    void rate(double bps, String text) {
        assertEquals(text, Units.rate(bps));
    }

    @ParameterizedTest
    @CsvSource({"0, 0:00", "12, 0:12", "61, 1:01", "3599, 59:59", "3600, 1:00:00", "90061, 25:01:01", "-3, 0:00"})
    void clock(long seconds, String text) {
        assertEquals(text, Units.clock(seconds));
    }
}
