package fr1.it;

import static fr1.it.support.Fr1Cli.memberState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * fio writes checksummed blocks at random and reads them back ({@code --verify=crc32c --verify_fatal=1}),
 * with O_DIRECT, on the image through the FUSE mount and through a loop device on it; afterwards both
 * members are in sync and hold the same image.
 */
class FioIT {

    private static final long SIZE = 256L << 20;

    private Rig rig;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (rig != null) {
            rig.close();
        }
    }

    @ParameterizedTest(name = "binding={0}")
    @ValueSource(strings = {"jfuse", "jnr"})
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void verifiesOnTheMountedImage(String binding) throws Exception {
        rig = Rig.open();
        rig.create("256M", 2);
        rig.mount(binding);
        String target = rig.image().toString();
        fio(target, "4k", 0, "psync", 1);
        fio(target, "1M", 64 << 20, "libaio", 8);
        assertMembersIdentical();
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void verifiesThroughALoopDeviceOnJfuse() throws Exception {
        rig = Rig.open();
        rig.create("256M", 2);
        rig.mount("jfuse");
        String dev = rig.attachLoop();
        fio(dev, "4k", 0, "psync", 1);
        fio(dev, "1M", 64 << 20, "libaio", 8);
        rig.detachLoop();
        assertMembersIdentical();
    }

    /** 64 MiB of random writes with checksums at {@code offset}, then a full read-back verify. */
    private static void fio(String target, String bs, long offset, String engine, int depth) {
        Sh.Result r = Sh.run(Duration.ofMinutes(4), "fio", "--name=verify-" + bs, "--filename=" + target,
                "--rw=randwrite", "--bs=" + bs, "--size=64M", "--offset=" + offset, "--direct=1",
                "--ioengine=" + engine, "--iodepth=" + depth, "--verify=crc32c", "--verify_fatal=1",
                "--do_verify=1", "--verify_state_save=0", "--randrepeat=0", "--fallocate=none", "--allow_file_create=0");
        assertTrue(r.out().contains("err= 0"), "fio reported an error:\n" + r.out());
    }

    private void assertMembersIdentical() throws Exception {
        var st = rig.cli.status(rig.mnt);
        assertEquals("in_sync", memberState(st, 0), "member 0 after fio: " + st);
        assertEquals("in_sync", memberState(st, 1), "member 1 after fio: " + st);
        rig.cli.umount(rig.mnt);
        assertTrue(rig.awaitNoDaemon(Duration.ofSeconds(30)), "daemon still running after fr1 umount");
        assertEquals(Rig.sha256(rig.members.get(0), SIZE), Rig.sha256(rig.members.get(1), SIZE),
                "the image regions of m0.img and m1.img differ after fio");
    }
}
