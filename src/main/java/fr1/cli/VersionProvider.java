package fr1.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** {@code fr1 --version}: the version Maven stamped into the jar, and the Java running it. */
final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[]{"fr1 " + version(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "?") + ")"};
    }

    static String version() {
        try (InputStream in = VersionProvider.class.getResourceAsStream("/META-INF/maven/io.fr1/fr1/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            // Fall through: a development build has no pom.properties.
        }
        String v = VersionProvider.class.getPackage().getImplementationVersion();
        return v != null ? v : "(development build)";
    }
}
