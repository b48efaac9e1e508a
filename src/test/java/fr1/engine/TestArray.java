package fr1.engine;

import fr1.io.FaultyStorage;
import fr1.io.FileStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Members in a temp directory, opened through fault injectors the test can reach by member index. */
final class TestArray {

    final List<Path> paths = new ArrayList<>();
    final Map<Path, FaultyStorage> faults = new ConcurrentHashMap<>();
    final Map<Path, FaultyStorage.Faults> shared = new ConcurrentHashMap<>();
    final long size;
    final int chunk;

    /** One write-intent bit per chunk, so tests can count chunks exactly (fr1 create's default is coarser). */
    TestArray(Path dir, int members, long size, int chunk) throws IOException {
        this(dir, members, size, chunk, chunk);
    }

    TestArray(Path dir, int members, long size, int chunk, int bitmapChunk) throws IOException {
        this.size = size;
        this.chunk = chunk;
        for (int i = 0; i < members; i++) {
            paths.add(dir.resolve("m" + i + ".img"));
        }
        Mirror.create(new CreateSpec(size, chunk, paths, false, null, List.of(), bitmapChunk));
    }

    /** Short deadlines and quiet period; the prober effectively off, so tests decide when members return. */
    static MirrorOptions fastOptions() {
        return new MirrorOptions(Duration.ofSeconds(2), Duration.ofMillis(100), 4)
                .withProbeInterval(Duration.ofHours(1), Duration.ofHours(1));
    }

    Mirror open() throws IOException {
        return open(paths);
    }

    Mirror open(List<Path> which) throws IOException {
        return open(which, fastOptions());
    }

    Mirror open(List<Path> which, MirrorOptions options) throws IOException {
        return Mirror.open(which, options, p -> {
            FaultyStorage f = new FaultyStorage(FileStorage.open(p), shared.computeIfAbsent(p,
                    k -> new FaultyStorage.Faults()));
            faults.put(p, f);
            return f;
        });
    }

    FaultyStorage fault(int member) {
        return faults.get(paths.get(member));
    }

    /** The image region of member {@code i}, read directly from its file. */
    byte[] image(int i) throws IOException {
        try (FileChannel ch = FileChannel.open(paths.get(i), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining()) {
                if (ch.read(b, b.position()) < 0) {
                    break;
                }
            }
            return b.array();
        }
    }

    static void awaitIdle(Mirror m) throws InterruptedException {
        if (!m.awaitResyncIdle(Duration.ofSeconds(30))) {
            throw new AssertionError("resync did not finish: " + m.status());
        }
    }
}
