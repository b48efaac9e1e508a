package fr1.engine;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Calls to a member's file system with a deadline: the caller waits at most that long, whatever the call does. */
final class Calls {

    private Calls() {
    }

    /** Submits a call to a pool; a member without one (detached) fails at once. */
    static <T> Future<T> submit(ExecutorService pool, Callable<T> call, int index) throws IOException {
        if (pool == null) {
            throw new IOException("member " + index + " is not attached");
        }
        try {
            return pool.submit(call);
        } catch (RejectedExecutionException e) {
            throw new IOException("member " + index + " is shutting down");
        }
    }

    /** Waits for a submitted call until the deadline; an error or a missed deadline is an IOException. */
    static <T> T await(Future<T> f, long deadlineNanos, int index) throws IOException {
        try {
            long left = deadlineNanos - System.nanoTime();
            return f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new MemberTimeoutException("member " + index + " did not answer in time");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException("member " + index + ": " + Mirror.reason(c), c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for member " + index);
        }
    }

    /** Runs {@code call} on {@code pool} and waits for it up to {@code timeoutNanos}. */
    static <T> T withDeadline(ExecutorService pool, Callable<T> call, long timeoutNanos, int index)
            throws IOException {
        return await(submit(pool, call, index), System.nanoTime() + timeoutNanos, index);
    }
}
