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
        assertEquals(new Request.Status(Request.Status.Format.PROMETHEUS), Request.parse("status prometheus"));
        assertEquals(new Request.Fail("1"), Request.parse("fail 1"));
        assertEquals(new Request.Remove("/nfs/b.img"), Request.parse("remove /nfs/b.img"));
        assertEquals(new Request.Add("/my disks/b.img", false), Request.parse("add /my disks/b.img"));
        assertEquals(new Request.Add("/x", true), Request.parse("add --full /x"));
        assertEquals(new Request.Down("/nfs/b.img"), Request.parse("down /nfs/b.img"));
        assertEquals(new Request.Up("1"), Request.parse("up 1"));
        assertEquals(new Request.Umount(), Request.parse("umount"));
        assertEquals(new Request.Check(false, null), Request.parse("check"));
        assertEquals(new Request.Check(true, null), Request.parse("repair"));
        assertEquals(new Request.Check(true, "/my disks/a.img"), Request.parse("repair /my disks/a.img"));
        assertEquals(new Request.Resync(true), Request.parse("resync pause"));
        assertEquals(new Request.Resync(false), Request.parse("resync resume"));
    }

    @Test
    void linesRoundTrip() throws Exception {
        for (Request r : List.of(new Request.Status(true), new Request.Status(false),
                new Request.Status(Request.Status.Format.PROMETHEUS), new Request.Fail("0"),
                new Request.Remove("a b"), new Request.Add("c", true), new Request.Add("d", false),
                new Request.Down("e"), new Request.Up("f"), new Request.Umount(), new Request.Check(false, null),
                new Request.Check(true, null), new Request.Check(true, "0"), new Request.Resync(true),
                new Request.Resync(false))) {
            assertEquals(r, Request.parse(r.line()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bogus", "status xml", "fail", "fail ", "add", "add --full ", "umount now", "STATUS", "down", "up ",
            "check 0", "resync", "resync stop", "repair \r"})
    void rejectsMalformedLinesAsUsage(String line) {
        ControlException e = assertThrows(ControlException.class, () -> Request.parse(line));
        assertEquals(ErrorCode.USAGE, e.code());
    }

    @Test
    void memberWithLineBreakIsRefusedBeforeSending() {
        assertThrows(IllegalArgumentException.class, () -> new Request.Fail("a\nb"));
    }
}
