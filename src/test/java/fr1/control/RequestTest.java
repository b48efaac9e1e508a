package fr1.control;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RequestTest {

    @Test
    void parsesEveryRequest() throws Exception {
        assertEquals(new Request.Status(false), Request.parse("status"));
        assertEquals(new Request.Status(false), Request.parse("status text"));
        assertEquals(new Request.Status(true), Request.parse("status json"));
        assertEquals(new Request.Fail("1"), Request.parse("fail 1"));
        assertEquals(new Request.Remove("/nfs/b.img"), Request.parse("remove /nfs/b.img"));
        assertEquals(new Request.Add("/my disks/b.img", false), Request.parse("add /my disks/b.img"));
        assertEquals(new Request.Add("/x", true), Request.parse("add --full /x"));
        assertEquals(new Request.Down("/nfs/b.img"), Request.parse("down /nfs/b.img"));
        assertEquals(new Request.Up("1"), Request.parse("up 1"));
        assertEquals(new Request.Umount(), Request.parse("umount"));
    }

    @Test
    void linesRoundTrip() throws Exception {
        for (Request r : List.of(new Request.Status(true), new Request.Status(false), new Request.Fail("0"),
                new Request.Remove("a b"), new Request.Add("c", true), new Request.Add("d", false),
                new Request.Down("e"), new Request.Up("f"), new Request.Umount())) {
            assertEquals(r, Request.parse(r.line()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bogus", "status xml", "fail", "fail ", "add", "add --full ", "umount now", "STATUS", "down", "up "})
    void rejectsMalformedLinesAsUsage(String line) {
        ControlException e = assertThrows(ControlException.class, () -> Request.parse(line));
        assertEquals(ErrorCode.USAGE, e.code());
    }

    @Test
    void memberWithLineBreakIsRefusedBeforeSending() {
        assertThrows(IllegalArgumentException.class, () -> new Request.Fail("a\nb"));
    }
}
