package fr1.fuse;

import com.sun.security.auth.module.UnixSystem;

import java.util.Objects;

/**
 * How the image is presented.
 *
 * @param binding    {@code "jfuse"} (default: libfuse3 through the FFM API) or {@code "jnr"} (libfuse2 through jnr-ffi)
 * @param imageName  name of the one regular file in the mount root, e.g. {@code disk.img}
 * @param allowOther let users other than the mounting one in ({@code -o allow_other}; non-root mounts need
 *                   {@code user_allow_other} in /etc/fuse.conf). The kernel still checks {@code mode}.
 * @param uid        owner of the image file and the root directory
 * @param gid        group of the image file and the root directory
 * @param mode       permission bits of the image file, e.g. {@code 0600}; the root directory is always 0755
 * @param fsname     the mount's source as /proc/mounts and df show it (default {@code fr1}); {@code fr1 mount
 *                   --config} sets the raidtab's path, so mount(8) recognises the fstab line as mounted
 */
public record FuseOptions(String binding, String imageName, boolean allowOther, int uid, int gid, int mode,
                          String fsname) {

    static final String DEFAULT_FSNAME = "fr1";

    static final String JFUSE = "jfuse";
    static final String JNR = "jnr";

    public FuseOptions(String binding, String imageName, boolean allowOther, int uid, int gid, int mode) {
        this(binding, imageName, allowOther, uid, gid, mode, DEFAULT_FSNAME);
    }

    public FuseOptions {
        Objects.requireNonNull(binding, "binding");
        Objects.requireNonNull(fsname, "fsname");
        if (fsname.isEmpty() || fsname.chars().anyMatch(c -> c < 0x20)) {
            throw new IllegalArgumentException("invalid fsname: empty or with control characters");
        }
        Objects.requireNonNull(imageName, "imageName");
        if (!binding.equals(JFUSE) && !binding.equals(JNR)) {
            throw new IllegalArgumentException("unknown FUSE binding '" + binding + "': use jfuse or jnr");
        }
        if (imageName.isEmpty() || imageName.equals(".") || imageName.equals("..")
                || imageName.indexOf('/') >= 0 || imageName.indexOf('\0') >= 0 || imageName.length() > 255) {
            throw new IllegalArgumentException("invalid image name '" + imageName + "': one path element, no '/'");
        }
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("uid and gid must not be negative: " + uid + ":" + gid);
        }
        if ((mode & ~07777) != 0) {
            throw new IllegalArgumentException("mode must be permission bits only (0..07777): 0" + Integer.toOctalString(mode));
        }
    }

    /** jfuse, {@code disk.img}, no allow_other, the current process's uid and gid, mode 0600. */
    public static FuseOptions defaults() {
        UnixSystem me = new UnixSystem();
        return new FuseOptions(JFUSE, "disk.img", false, (int) me.getUid(), (int) me.getGid(), 0600, DEFAULT_FSNAME);
    }
}
