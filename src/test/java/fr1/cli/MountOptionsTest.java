package fr1.cli;

import fr1.engine.MirrorOptions;
import fr1.fuse.FuseOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MountOptionsTest {

    @Test
    void emptyMeansDefaults() {
        MountOptions o = MountOptions.parse("");
        assertEquals(FuseOptions.defaults(), o.fuseOptions());
        assertEquals(MirrorOptions.defaults(), o.mirrorOptions());
    }

    @Test
    void everyOption() {
        MountOptions o = MountOptions.parse("name=vm.raw,binding=jnr,allow_other,uid=1000,gid=6,mode=0660,io-timeout=750ms");
        assertEquals(new FuseOptions("jnr", "vm.raw", true, 1000, 6, 0660), o.fuseOptions());
        assertEquals(MirrorOptions.defaults().withIoTimeout(Duration.ofMillis(750)), o.mirrorOptions());
    }

    @Test
    void probeIntervalKeepsTheCapUnlessLonger() {
        MirrorOptions d = MirrorOptions.defaults();
        assertEquals(d.withProbeInterval(Duration.ofSeconds(5), d.probeMaxInterval()),
                MountOptions.parse("probe-interval=5s").mirrorOptions());
        assertEquals(d.withProbeInterval(Duration.ofMinutes(2), Duration.ofMinutes(2)),
                MountOptions.parse("probe-interval=2m").mirrorOptions());
    }

    @Test
    void asyncOptions() {
        MirrorOptions d = MirrorOptions.defaults();
        assertEquals(d.withAsync(java.util.List.of(), 256, false), MountOptions.parse("async").mirrorOptions());
        assertEquals(d.withAsync(java.util.List.of(java.nio.file.Path.of("/a.img"), java.nio.file.Path.of("/nfs/b")),
                        16, true),
                MountOptions.parse("async,write-behind=/a.img:/nfs/b,write-behind-max=16,fsync=all").mirrorOptions());
        assertEquals(d.withFsyncAll(true), MountOptions.parse("fsync=all").mirrorOptions());
        assertEquals("/usr/local/bin/notify", MountOptions.parse("event-cmd=/usr/local/bin/notify").eventCommand());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MountOptions.parse("write-behind=/a").mirrorOptions());
        assertEquals("mount option 'write-behind' needs 'async'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MountOptions.parse("write-behind-max=0"));
        assertThrows(IllegalArgumentException.class, () -> MountOptions.parse("fsync=never"));
        assertThrows(IllegalArgumentException.class, () -> MountOptions.parse("async=1"));
    }

    @Test
    void genericMountOptionsAreIgnored() {
        MountOptions o = MountOptions.parse("rw,defaults,_netdev,nofail,noauto,auto,user,nouser,dev,nodev,suid,nosuid,"
                + "exec,noexec,x-systemd.automount,comment=raid,,mode=600");
        assertEquals(0600, o.fuseOptions().mode());
        assertEquals(FuseOptions.defaults().imageName(), o.fuseOptions().imageName());
    }

    @Test
    void laterOptionsWin() {
        assertEquals("b", MountOptions.parse("name=a,name=b").fuseOptions().imageName());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "bogus                | unknown mount option 'bogus'",
            "rw,frobnicate=3      | unknown mount option 'frobnicate'",
            "ro                   | mount option 'ro': read-only mounts are not supported",
            "allow_other=1        | mount option 'allow_other' takes no value",
            "uid                  | mount option 'uid' needs a value (uid=...)",
            "uid=                 | mount option 'uid' needs a value (uid=...)",
            "uid=alice            | mount option 'uid=alice': expected a numeric id",
            "gid=-1               | mount option 'gid=-1': expected a numeric id",
            "mode=0999            | mount option 'mode=0999': expected octal permission bits, e.g. 0600",
            "mode=10000           | mount option 'mode=10000': expected octal permission bits, e.g. 0600",
            "binding=fuse3        | mount option 'binding=fuse3': use jfuse or jnr",
            "name=a/b             | mount option 'name=a/b': must be a plain file name, no '/'",
            "name=..              | mount option 'name=..': must be a plain file name, no '/'",
            "io-timeout=5         | mount option 'io-timeout': malformed duration '5': expected a number and a unit, ms, s or m (e.g. 5s)",
            "io-timeout=5h        | mount option 'io-timeout': malformed duration '5h': unknown unit 'h' (use ms, s or m)",
            "io-timeout=0s        | mount option 'io-timeout=0s': must be more than 0"})
    void errorsNameTheOption(String options, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MountOptions.parse(options));
        assertEquals(message, e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"user", "nouser", "_netdev", "x-anything=1"})
    void ignoredOptionsMayAppearAlone(String option) {
        assertEquals(FuseOptions.defaults(), MountOptions.parse(option).fuseOptions());
    }

    @Test
    void resyncSpeedsAreMiBPerSecond() {
        MirrorOptions d = MirrorOptions.defaults();
        assertEquals(d.withResyncSpeed(5L << 20, 100L << 20),
                MountOptions.parse("resync-min=5,resync-max=100").mirrorOptions());
        assertEquals(d.withResyncSpeed(0, 0), MountOptions.parse("resync-min=0,resync_max=0").mirrorOptions(),
                "0 = no floor and no ceiling");
        assertEquals(d.withResyncSpeed(d.resyncMinBps(), 200L << 20), MountOptions.parse("resync-max=200").mirrorOptions());
        assertEquals(d.withResyncSpeed(8L << 20, 8L << 20), MountOptions.parse("resync-max=8").mirrorOptions(),
                "a ceiling below the default floor takes the floor down with it");
        assertEquals("mount option 'resync-min=50' is above 'resync-max=10'", assertThrows(IllegalArgumentException.class,
                () -> MountOptions.parse("resync-min=50,resync-max=10").mirrorOptions()).getMessage());
        for (String bad : new String[] {"resync-max=-1", "resync-max=1.5", "resync-min=fast", "resync-min"}) {
            assertThrows(IllegalArgumentException.class, () -> MountOptions.parse(bad), bad);
        }
    }

    @Test
    void fsnameIsTheMountSource() {
        assertEquals("/etc/fr1/vol.raidtab", MountOptions.parse("fsname=/etc/fr1/vol.raidtab").fuseOptions().fsname());
        assertEquals("fr1", MountOptions.parse("").fuseOptions().fsname());
    }
}
