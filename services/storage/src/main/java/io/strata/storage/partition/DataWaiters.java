package io.strata.storage.partition;

import java.util.ArrayList;
import java.util.List;

/**
 * Callbacks waiting for a partition's log to grow (long-poll fetches, fetch streams, follower
 * fetches). The appender calls {@link #signal()} after each append and each high-watermark move;
 * every waiter registered before it runs once and is forgotten (a waiter that still wants more
 * registers again). Callbacks run on the signalling thread, so they must only hand work off or
 * read, never block.
 *
 * <p>A waiter reads {@link #signals()} <em>before</em> it looks at the log and passes it to
 * {@link #register}: a signal that came between its read and its registration then runs the
 * callback at once instead of being missed. Without that, a follower whose read raced an append
 * slept until the next append or its max wait — with the producer's requests all waiting for that
 * follower (acks=all), up to the whole 500 ms.
 */
public final class DataWaiters {

    private final Object lock = new Object();
    private List<Runnable> waiting = new ArrayList<>();
    private volatile long signals;

    /** How many signals there have been; read before looking at the log, then pass to {@link #register}. */
    public long signals() {
        return signals;
    }

    /**
     * Registers a one-shot callback for the first signal after the {@code seenSignals}-th; when that
     * signal has come already, runs the callback now (on this thread). Returns a handle that removes
     * the callback (idempotent).
     */
    public Runnable register(Runnable onData, long seenSignals) {
        synchronized (lock) {
            if (signals == seenSignals) {
                waiting.add(onData);
                return () -> {
                    synchronized (lock) {
                        waiting.remove(onData);
                    }
                };
            }
        }
        onData.run();
        return () -> { };
    }

    /** Runs and forgets every registered callback. */
    public void signal() {
        List<Runnable> toRun;
        synchronized (lock) {
            signals++;
            if (waiting.isEmpty()) {
                return;
            }
            toRun = waiting;
            waiting = new ArrayList<>();
        }
        for (Runnable r : toRun) {
            r.run();
        }
    }
}
