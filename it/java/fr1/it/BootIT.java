package fr1.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fr1.control.StatusJson;
import fr1.it.support.Mounts;
import fr1.it.support.Rig;
import fr1.it.support.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Boot and mount integration as an administrator sets it up (README "ext4 on fr1 at boot"), with real mounts:
 * the raidtab, {@code mount.fuse.fr1} driven by mount(8) from a temporary fstab ({@code mount -T FSTAB -a -t
 * fuse.fr1}) and {@code umount}; the {@code fr1-loop@.service} unit's ExecStart/ExecStop commands run by hand
 * (CI has no systemd), which put ext4 on a loop device over the image and take it down again in the order that
 * lets the fr1 mount go; {@code systemd-analyze verify} on that unit and on the mount unit systemd makes of the
 * fstab line; and {@code mount-scripts/install} into a staging directory.
 * <p>
 * mount(8) finds helpers only in /sbin, so the test links /sbin/mount.fuse.fr1 to the repository's helper for
 * its duration (a helper already there is moved aside and put back).
 */
class BootIT {

    private static final Path HELPER = Path.of("/sbin/mount.fuse.fr1");
    private static final Path SCRIPTS = Path.of("mount-scripts").toAbsolutePath();
    private static final Duration MOUNT = Duration.ofSeconds(90);

    private Rig rig;
    private Path savedHelper;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (rig != null) {
                rig.close();
            }
        } finally {
            restoreHelper();
        }
    }

    /** What the launcher needs to find the JDK and jar of this build; mount(8) passes it on to its helper. */
    private static Map<String, String> fr1Env() {
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("FR1_JAR", System.getProperty("fr1.jar", Path.of("target/fr1.jar").toAbsolutePath().toString()));
        env.put("FR1", Path.of(System.getProperty("fr1.launcher", "mount-scripts/fr1")).toAbsolutePath().toString());
        return env;
    }

    private static Sh.Result sh(Duration timeout, Map<String, String> env, String... cmd) {
        return Sh.exec(timeout, env, List.of(cmd)).check();
    }

    /** A raidtab for two members in the rig's dir, mounted at the rig's mnt with image vol.img. */
    private Path writeRaidtab() throws IOException {
        rig.members.add(rig.dir.resolve("m0.img"));
        rig.members.add(rig.dir.resolve("m1.img"));
        String tab = """
                # BootIT
                raiddev vol.img
                    raid-level              1
                    nr-raid-disks           2
                    chunk-size              64
                    persistent-superblock   1
                    device                  %s
                    raid-disk               0
                    device                  %s
                    raid-disk               1
                    fr1-size                128M
                    fr1-options             io-timeout=10s
                    fr1-mountpoint          %s
                """.formatted(rig.members.get(0), rig.members.get(1), rig.mnt);
        return Files.writeString(rig.dir.resolve("vol.raidtab"), tab);
    }

    private void installHelper() throws IOException {
        if (Files.exists(HELPER, LinkOption.NOFOLLOW_LINKS)) {
            savedHelper = HELPER.resolveSibling("mount.fuse.fr1.bootit-saved");
            Files.move(HELPER, savedHelper, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.createSymbolicLink(HELPER, SCRIPTS.resolve("mount.fuse.fr1"));
    }

    private void restoreHelper() throws IOException {
        if (Files.isSymbolicLink(HELPER) && Files.readSymbolicLink(HELPER).equals(SCRIPTS.resolve("mount.fuse.fr1"))) {
            Files.delete(HELPER);
        }
        if (savedHelper != null) {
            Files.move(savedHelper, HELPER, StandardCopyOption.REPLACE_EXISTING);
            savedHelper = null;
        }
    }

    private Mounts.Mount fr1MountAt(Path target) {
        return Mounts.under(target).stream().filter(m -> m.target().equals(target)).findFirst().orElse(null);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void fstabLineMountsThroughTheHelperAndUmountStopsTheDaemon() throws Exception {
        rig = Rig.open();
        Path tab = writeRaidtab();
        rig.cli.run("mkraid", "--config", tab.toString(), "vol.img");
        installHelper();
        Path fstab = rig.dir.resolve("fstab");
        Files.writeString(fstab, "# fr1 BootIT\n" + tab + "  " + rig.mnt
                + "  fuse.fr1  defaults,_netdev,nofail,x-systemd.after=network-online.target  0 0\n");

        sh(MOUNT, fr1Env(), "mount", "-T", fstab.toString(), "-a", "-t", "fuse.fr1");
        Mounts.Mount m = fr1MountAt(rig.mnt);
        assertTrue(m != null, "mount -a mounted nothing at " + rig.mnt + "; mounts: " + Mounts.under(rig.dir));
        assertEquals("fuse.fr1", m.type());
        assertEquals(tab.toString(), m.source(), "the source is the raidtab, as in the fstab line");
        assertTrue(Files.isRegularFile(rig.mnt.resolve("vol.img")), "the raiddev names the image");
        assertEquals(128L << 20, Files.size(rig.mnt.resolve("vol.img")));
        StatusJson.Doc st = rig.cli.status(rig.mnt);
        assertEquals("in_sync", st.members().get(1).state());

        // mount -a again: the line is recognised as mounted, nothing is mounted twice.
        sh(MOUNT, fr1Env(), "mount", "-T", fstab.toString(), "-a", "-t", "fuse.fr1");
        assertEquals(1, Mounts.under(rig.mnt).size(), "still one mount: " + Mounts.under(rig.mnt));

        // umount(8) ends the daemon cleanly.
        Sh.run("umount", rig.mnt.toString());
        assertTrue(rig.awaitNoDaemon(Duration.ofSeconds(30)), "the daemon ended after umount: " + rig.daemons());
        assertFalse(Mounts.isMounted(rig.mnt));

        // mount -t fuse.fr1 CONFIG DIR by hand, with options, array= and the md-style name matching.
        sh(MOUNT, fr1Env(), "mount", "-t", "fuse.fr1", "-o", "array=vol.img,resync-max=20,mode=0640", tab.toString(),
                rig.mnt.toString());
        assertEquals("-rw-r-----", Sh.run("stat", "-c", "%A", rig.mnt.resolve("vol.img").toString()).out().strip());
        Sh.run("umount", rig.mnt.toString());
        assertTrue(rig.awaitNoDaemon(Duration.ofSeconds(30)), "the daemon ended after umount: " + rig.daemons());

        // A broken raidtab fails the mount with the file and line.
        Files.writeString(tab, Files.readString(tab).replace("raid-disk               1", "raid-dsik 1"));
        Sh.Result bad = Sh.exec(MOUNT, fr1Env(), List.of("mount", "-T", fstab.toString(), "-a", "-t", "fuse.fr1"));
        assertFalse(bad.ok(), bad.describe());
        assertTrue(bad.err().contains("fr1: " + tab + ":10: unknown key 'raid-dsik'"), bad.describe());
        assertFalse(Mounts.isMounted(rig.mnt));
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void loopUnitPutsExt4OnTheImageAndTakesItDownInOrder() throws Exception {
        rig = Rig.open();
        Path tab = writeRaidtab();
        rig.cli.run("create", "--config", tab.toString());
        rig.cli.run("raidstart", "--config", tab.toString(), "vol.img");
        Path image = rig.mnt.resolve("vol.img");
        Sh.run(Duration.ofMinutes(2), "mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0",
                image.toString());

        // The settings file the unit reads: <conf dir>/<escaped mountpoint>.loop.
        String instance = Sh.run("systemd-escape", "-p", rig.mnt.toString()).out().strip();
        Path conf = Files.createDirectories(rig.dir.resolve("etc-fr1"));
        Files.writeString(conf.resolve(instance + ".loop"), "FS_MOUNTPOINT=" + rig.fs + "\nFS_TYPE=ext4\n"
                + "FS_OPTIONS=noatime\n");
        Map<String, String> env = Map.of("FR1_CONF_DIR", conf.toString());
        List<String> start = unitCommand("ExecStart", instance);
        List<String> stop = unitCommand("ExecStop", instance);

        sh(Duration.ofMinutes(2), env, start.toArray(String[]::new));
        Mounts.Mount fs = fr1MountAt(rig.fs);
        assertTrue(fs != null && fs.type().equals("ext4"), "ext4 at " + rig.fs + ": " + Mounts.under(rig.dir));
        assertTrue(fs.source().startsWith("/dev/loop"), fs.toString());
        assertEquals(List.of(fs.source()), Mounts.loopsUnder(rig.mnt), "one loop device, on the image");
        assertEquals(image.toString(), Files.readString(Path.of("/sys/block", fs.source().substring(5), "loop",
                "backing_file")).strip());
        assertEquals("1", Files.readString(Path.of("/sys/block", fs.source().substring(5), "loop", "dio")).strip(),
                "attached with direct I/O");
        Files.writeString(rig.fs.resolve("hello.txt"), "mounted at boot\n");

        // Starting again changes nothing.
        sh(Duration.ofMinutes(2), env, start.toArray(String[]::new));
        assertEquals(List.of(fs.source()), Mounts.loopsUnder(rig.mnt));

        // Stop: ext4 unmounted, loop detached, and then the fr1 mount is free to go.
        sh(Duration.ofMinutes(1), env, stop.toArray(String[]::new));
        assertFalse(Mounts.isMounted(rig.fs), "ext4 unmounted");
        assertEquals(List.of(), Mounts.loopsUnder(rig.mnt), "loop device detached");
        sh(Duration.ofMinutes(1), env, stop.toArray(String[]::new)); // stopping again is fine
        rig.cli.run("raidstop", "--config", tab.toString(), "vol.img");
        assertFalse(Mounts.isMounted(rig.mnt), "fr1 unmounted (not busy)");

        // Next boot: the file is there, fsck is clean.
        rig.cli.run("raidstart", "--config", tab.toString(), "vol.img");
        sh(Duration.ofMinutes(2), env, start.toArray(String[]::new));
        assertEquals("mounted at boot\n", Files.readString(rig.fs.resolve("hello.txt")));
        sh(Duration.ofMinutes(1), env, stop.toArray(String[]::new));
        Sh.run(Duration.ofMinutes(2), "fsck.ext4", "-fn", image.toString());
        rig.cli.run("umount", rig.mnt.toString());
    }

    private static final Path FSTAB_GENERATOR = Path.of("/usr/lib/systemd/system-generators/systemd-fstab-generator");

    /**
     * systemd itself checks what it will be given: {@code systemd-analyze verify} on an instance of
     * {@code fr1-loop@.service} together with the mount unit {@code systemd-fstab-generator} makes from the README's
     * fstab line (the unit binds to it). Any complaint fails, also the warnings systemd boots with anyway
     * ("Unknown key ..., ignoring"). The unit's installed helper path is mapped to the repository's (verify checks
     * that the executable exists); man pages are not looked up (they are installed by mount-scripts/install).
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void systemdAcceptsTheLoopUnitAndTheMountUnitOfTheFstabLine() throws Exception {
        rig = Rig.open();
        Path units = Files.createDirectories(rig.dir.resolve("units"));
        Path generated = Files.createDirectories(rig.dir.resolve("generated"));
        Files.writeString(units.resolve("fr1-loop@.service"), Files.readString(SCRIPTS.resolve("fr1-loop@.service"))
                .replace("/usr/local/lib/fr1/", SCRIPTS + "/"));
        Path fstab = Files.writeString(rig.dir.resolve("fstab"), "/etc/fr1/vol.raidtab  " + rig.mnt
                + "  fuse.fr1  defaults,_netdev,nofail,x-systemd.after=network-online.target  0 0\n");
        Map<String, String> env = Map.of("SYSTEMD_FSTAB", fstab.toString(), "SYSTEMD_LOG_LEVEL", "warning");
        Sh.Result gen = Sh.exec(Duration.ofSeconds(30), env, List.of(FSTAB_GENERATOR.toString(),
                generated.toString(), generated.toString(), generated.toString())).check();
        assertEquals("", gen.err(), gen.describe());
        String instance = Sh.run("systemd-escape", "-p", rig.mnt.toString()).out().strip();
        Path mountUnit = generated.resolve(instance + ".mount");
        assertTrue(Files.isRegularFile(mountUnit), "the generator made " + mountUnit + ": " + gen.describe());
        String mount = Files.readString(mountUnit);
        assertTrue(mount.contains("Type=fuse.fr1") && mount.contains("What=/etc/fr1/vol.raidtab"), mount);
        assertTrue(Files.exists(generated.resolve("remote-fs.target.wants").resolve(instance + ".mount")),
                "_netdev makes it a remote mount, started after the network");

        // SYSTEMD_UNIT_PATH ending in ':' keeps the default directories (for the targets the units name).
        Sh.Result verify = Sh.exec(Duration.ofSeconds(60), Map.of("SYSTEMD_UNIT_PATH", generated + ":" + units + ":"),
                List.of("systemd-analyze", "verify", "--man=no", mountUnit.toString(),
                        units.resolve("fr1-loop@" + instance + ".service").toString()));
        assertEquals(0, verify.exit(), verify.describe());
        assertEquals("", (verify.out() + verify.err()).strip(), "systemd-analyze verify complains: "
                + verify.describe());

        // And it is a check that can fail: a unit systemd would reject is reported.
        Files.writeString(units.resolve("fr1-loop@.service"), Files.readString(units.resolve("fr1-loop@.service"))
                .replace("Type=oneshot", "Type=oneshott"));
        Sh.Result bad = Sh.exec(Duration.ofSeconds(60), Map.of("SYSTEMD_UNIT_PATH", generated + ":" + units + ":"),
                List.of("systemd-analyze", "verify", "--man=no", units.resolve("fr1-loop@" + instance + ".service")
                        .toString()));
        assertTrue((bad.out() + bad.err()).contains("oneshott"), bad.describe());
    }

    /** The unit's {@code KEY=} command for an instance: %i and %f filled in, the installed helper path mapped to the repository's. */
    private List<String> unitCommand(String key, String instance) throws IOException {
        String mountpoint = Sh.run("systemd-escape", "-u", "-p", instance).out().strip();
        for (String line : Files.readAllLines(SCRIPTS.resolve("fr1-loop@.service"))) {
            if (line.startsWith(key + "=")) {
                List<String> cmd = new ArrayList<>();
                for (String word : line.substring(key.length() + 1).strip().split("\\s+")) {
                    cmd.add(word.replace("/usr/local/lib/fr1/", SCRIPTS + "/").replace("%f", mountpoint)
                            .replace("%i", instance));
                }
                return cmd;
            }
        }
        throw new AssertionError("fr1-loop@.service has no " + key + "= line");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void installStagesEverythingWhereItBelongs() throws Exception {
        rig = Rig.open();
        Path dest = rig.dir.resolve("root");
        Sh.run(Duration.ofMinutes(1), SCRIPTS.resolve("install").toString(), "--destdir", dest.toString());
        for (String file : List.of("usr/local/lib/fr1/fr1.jar", "usr/local/bin/fr1", "usr/local/lib/fr1/fr1-loop",
                "sbin/mount.fuse.fr1", "etc/systemd/system/fr1-loop@.service", "usr/local/share/man/man1/fr1.1",
                "usr/local/share/man/man1/fr1-mount.1", "usr/local/share/man/man1/fr1-raidstart.1",
                "usr/local/share/doc/fr1/raidtab.example")) {
            assertTrue(Files.isRegularFile(dest.resolve(file)), "installed: " + file);
        }
        for (String exe : List.of("usr/local/bin/fr1", "sbin/mount.fuse.fr1", "usr/local/lib/fr1/fr1-loop")) {
            assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dest.resolve(exe))), exe);
        }
        assertTrue(Files.isDirectory(dest.resolve("etc/fr1")));
        Sh.Result v = Sh.exec(Duration.ofSeconds(30), Map.of("JAVA_HOME", System.getProperty("java.home"),
                "FR1_JAR", dest.resolve("usr/local/lib/fr1/fr1.jar").toString()),
                List.of(dest.resolve("usr/local/bin/fr1").toString(), "--version")).check();
        assertTrue(v.out().startsWith("fr1 "), v.out());
        // The example raidtab is a valid one (fr1 reads it; its devices need not exist for that).
        Sh.Result example = rig.cli.attempt(Duration.ofSeconds(30), "raidstop", "--config",
                dest.resolve("usr/local/share/doc/fr1/raidtab.example").toString(), "--all");
        assertEquals(0, example.exit(), example.describe());
        Sh.Result man = Sh.attempt(Duration.ofSeconds(30), "man", "-l", dest.resolve("usr/local/share/man/man1/fr1-check.1").toString());
        if (man.exit() != 127) {
            assertTrue(man.ok() && man.out().contains("EXIT STATUS"), man.describe());
        }
        // --prefix moves the paths the scripts name.
        Path dest2 = rig.dir.resolve("root2");
        Sh.run(Duration.ofMinutes(1), SCRIPTS.resolve("install").toString(), "--destdir", dest2.toString(),
                "--prefix", "/opt/fr1");
        assertTrue(Files.readString(dest2.resolve("etc/systemd/system/fr1-loop@.service"))
                .contains("ExecStart=/opt/fr1/lib/fr1/fr1-loop start %f"));
        assertTrue(Files.readString(dest2.resolve("sbin/mount.fuse.fr1")).contains("\nPREFIX=/opt/fr1 "));
        assertTrue(Files.readString(dest2.resolve("opt/fr1/bin/fr1")).contains("/opt/fr1/lib/fr1/fr1.jar"));
        Sh.run(Duration.ofMinutes(1), SCRIPTS.resolve("install").toString(), "--destdir", dest.toString(), "--uninstall");
        assertFalse(Files.exists(dest.resolve("usr/local/bin/fr1")));
        assertFalse(Files.exists(dest.resolve("sbin/mount.fuse.fr1")));
    }
}
