package fr1.cli;

import fr1.control.ControlTarget;
import fr1.engine.Mirror;
import fr1.engine.MirrorCounters;
import fr1.engine.MirrorStatus;

import java.io.IOException;

/** The control channel's view of a mounted {@link Mirror}; unmounting goes to the {@link RunningMount}. */
final class MirrorTarget implements ControlTarget {

    private final Mirror mirror;
    private final RunningMount running;

    MirrorTarget(Mirror mirror, RunningMount running) {
        this.mirror = mirror;
        this.running = running;
    }

    @Override
    public MirrorStatus status() {
        return mirror.status();
    }

    @Override
    public MirrorCounters counters() {
        return mirror.counters();
    }

    @Override
    public void fail(String member) throws IOException {
        mirror.fail(member);
    }

    @Override
    public void down(String member) throws IOException {
        mirror.down(member);
    }

    @Override
    public void up(String member) throws IOException {
        mirror.up(member);
    }

    @Override
    public void remove(String member) throws IOException {
        mirror.remove(member);
    }

    @Override
    public void add(String member, boolean full) throws IOException {
        mirror.add(member, full);
    }

    @Override
    public void check(boolean repair, String source) throws IOException {
        mirror.check(repair, source);
    }

    @Override
    public void pauseResync() {
        mirror.pauseResync();
    }

    @Override
    public void resumeResync() {
        mirror.resumeResync();
    }

    @Override
    public void unmount() throws IOException {
        running.unmount();
    }
}
