package fr1.fuse;

import java.io.IOException;

/** A binding's running file-system loop, started by {@link JfuseSession#start} or {@link JnrSession#start}. */
sealed interface Session permits JfuseSession, JnrSession {

    /** Frees what the binding holds once the loop has ended (the kernel side is already unmounted). Idempotent. */
    void release() throws IOException;
}
