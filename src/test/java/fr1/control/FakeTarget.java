package fr1.control;

import fr1.engine.MirrorCounters;
import fr1.engine.MirrorStatus;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link ControlTarget} that records calls and answers with a set status or a set exception. */
public final class FakeTarget implements ControlTarget {

    public final List<String> calls = new CopyOnWriteArrayList<>();
    public volatile MirrorStatus status = Samples.degraded();
    public volatile MirrorCounters counters = MirrorCounters.NONE;
    /** Thrown by every call when set. */
    public volatile IOException failure;
    /** Run by unmount() (after recording it), e.g. to close the server as the daemon would. */
    public volatile Runnable onUnmount = () -> { };

    @Override
    public MirrorStatus status() throws IOException {
        calls.add("status");
        throwIfSet();
        return status;
    }

    @Override
    public MirrorCounters counters() throws IOException {
        calls.add("counters");
        throwIfSet();
        return counters;
    }

    @Override
    public void fail(String member) throws IOException {
        calls.add("fail " + member);
        throwIfSet();
    }

    @Override
    public void down(String member) throws IOException {
        calls.add("down " + member);
        throwIfSet();
    }

    @Override
    public void up(String member) throws IOException {
        calls.add("up " + member);
        throwIfSet();
    }

    @Override
    public void remove(String member) throws IOException {
        calls.add("remove " + member);
        throwIfSet();
    }

    @Override
    public void add(String member, boolean full) throws IOException {
        calls.add("add " + member + (full ? " full" : ""));
        throwIfSet();
    }

    @Override
    public void check(boolean repair, String source) throws IOException {
        calls.add((repair ? "repair" : "check") + (source == null ? "" : " " + source));
        throwIfSet();
    }

    @Override
    public void pauseResync() throws IOException {
        calls.add("resync pause");
        throwIfSet();
    }

    @Override
    public void resumeResync() throws IOException {
        calls.add("resync resume");
        throwIfSet();
    }

    @Override
    public void unmount() throws IOException {
        calls.add("unmount");
        throwIfSet();
        onUnmount.run();
    }

    private void throwIfSet() throws IOException {
        if (failure != null) {
            throw failure;
        }
    }
}
