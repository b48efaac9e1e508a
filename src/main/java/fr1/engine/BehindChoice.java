package fr1.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Async mode, at assembly: marks the write-behind members, those named, or else every in-sync member but the one
 * with the lowest write latency measured now (a rewrite of bitmap page 0 with its current content, forced, best
 * of 3). The choice is recorded in the metadata, so after a crash the source of recovery is a member that held
 * every acknowledged write.
 */
final class BehindChoice {

    private static final Logger LOG = LoggerFactory.getLogger(BehindChoice.class);

    private BehindChoice() {
    }

    static void choose(MirrorOptions options, Members members, FanOut fanOut, byte[] page0) {
        if (!options.async()) {
            return;
        }
        List<Topology.Slot> live = new ArrayList<>();
        for (Topology.Slot s : members.topology().slots()) {
            if (s.takesWrites()) {
                live.add(s);
            }
        }
        List<Member> behind = new ArrayList<>();
        if (!options.writeBehind().isEmpty()) {
            List<Path> named = options.writeBehind().stream().map(MemberPaths::canonical).toList();
            for (Topology.Slot s : live) {
                Path c = members.read(t -> s.member().canonical);
                if (c != null && named.contains(c)) {
                    behind.add(s.member());
                }
            }
        } else {
            Topology.Slot fastest = null;
            long best = Long.MAX_VALUE;
            for (Topology.Slot s : live) {
                long min = Long.MAX_VALUE;
                for (int i = 0; i < 3; i++) {
                    long t0 = System.nanoTime();
                    try {
                        fanOut.one(s, x -> {
                            x.meta().writeWibPage(0, page0);
                            x.storage().force();
                        });
                    } catch (IOException e) {
                        min = Long.MAX_VALUE;
                        break;
                    }
                    min = Math.min(min, System.nanoTime() - t0);
                }
                LOG.info("{}: write latency {} us", s.member().describe(), min == Long.MAX_VALUE ? "n/a" : min / 1000);
                if (min < best) {
                    best = min;
                    fastest = s;
                }
            }
            for (Topology.Slot s : live) {
                if (s != fastest) {
                    behind.add(s.member());
                }
            }
        }
        members.update(t -> {
            boolean anySync = false;
            for (Topology.Slot s : live) {
                Member m = s.member();
                m.writeBehind = behind.contains(m);
                anySync |= !m.writeBehind && m.state == MemberState.IN_SYNC;
            }
            if (!anySync) {
                // Every in-sync member named write-behind: nothing would hold acknowledged writes. Keep one.
                for (Topology.Slot s : live) {
                    Member m = s.member();
                    if (m.state == MemberState.IN_SYNC) {
                        m.writeBehind = false;
                        LOG.warn("{} kept synchronous: an async array needs one member that is not write-behind",
                                m.describe());
                        break;
                    }
                }
            }
            for (Member m : t.all()) {
                if (m.writeBehind) {
                    LOG.info("{} is write-behind (may lag by up to {} writes)", m.describe(), options.writeBehindMax());
                }
            }
        });
    }
}
