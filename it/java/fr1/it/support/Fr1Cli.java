package fr1.it.support;

import fr1.control.StatusJson;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real {@code fr1} command line, run as a subprocess through the launcher {@code mount-scripts/fr1}
 * (system property {@code fr1.launcher}) with {@code JAVA_HOME} set to the JDK running the tests, so the
 * launcher picks a JDK >= 22 whatever the machine's default java is.
 */
public final class Fr1Cli {

    private final Path launcher;
    private final Map<String, String> env;

    public Fr1Cli() {
        this.launcher = Path.of(System.getProperty("fr1.launcher", "mount-scripts/fr1")).toAbsolutePath();
        String javaHome = System.getProperty("java.home");
        String jar = System.getProperty("fr1.jar", Path.of("target/fr1.jar").toAbsolutePath().toString());
        this.env = Map.of("JAVA_HOME", javaHome, "FR1_JAR", jar);
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException("launcher not found or not executable: " + launcher);
        }
        if (!Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("fr1.jar not built: " + jar + " (mvn package first)");
        }
    }

    /** Runs {@code fr1 ARGS...} and returns the result without judging it. */
    public Sh.Result attempt(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher.toString());
        cmd.addAll(List.of(args));
        return Sh.exec(timeout, env, cmd);
    }

    /** Runs {@code fr1 ARGS...} and throws with its stderr unless it exits 0. */
    public Sh.Result run(String... args) {
        return attempt(Duration.ofSeconds(90), args).check();
    }

    /** {@code fr1 create --size SIZE MEMBER...} */
    public void create(String size, List<Path> members) {
        List<String> args = new ArrayList<>(List.of("create", "--size", size));
        members.forEach(m -> args.add(m.toString()));
        run(args.toArray(String[]::new));
    }

    /** {@code fr1 mount -o binding=B MEMBER... MNT}; returns once the mount is ready. */
    public void mount(String binding, List<Path> members, Path mnt) {
        List<String> args = new ArrayList<>(List.of("mount", "-o", "binding=" + binding));
        members.forEach(m -> args.add(m.toString()));
        args.add(mnt.toString());
        run(args.toArray(String[]::new));
    }

    /** {@code fr1 status MNT}: the mdstat-like text. */
    public String statusText(Path mnt) {
        return run("status", mnt.toString()).out();
    }

    /** {@code fr1 status --json MNT}, parsed. */
    public StatusJson.Doc status(Path mnt) {
        String out = run("status", "--json", mnt.toString()).out();
        try {
            return StatusJson.read(out);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("fr1 status --json printed no valid JSON: " + e.getMessage()
                    + "\n--- output ---\n" + out, e);
        }
    }

    public void fail(Path mnt, int member) {
        run("fail", mnt.toString(), Integer.toString(member));
    }

    public void add(Path mnt, int member) {
        run("add", mnt.toString(), Integer.toString(member));
    }

    public void umount(Path mnt) {
        run("umount", mnt.toString());
    }

    /** State label of member {@code index} in a parsed status. */
    public static String memberState(StatusJson.Doc status, int index) {
        return status.members().get(index).state();
    }

    /**
     * Polls {@code status --json} until no resync is active and {@code member} is in_sync; returns that status.
     * Fails with the last status seen when {@code timeout} passes.
     */
    public StatusJson.Doc awaitInSync(Path mnt, int member, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        StatusJson.Doc st = status(mnt);
        while (st.resync().active() || !"in_sync".equals(memberState(st, member))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("member " + member + " not in_sync with resync finished after "
                        + timeout.toSeconds() + " s; last status: " + st);
            }
            Thread.sleep(200);
            st = status(mnt);
        }
        return st;
    }
}
