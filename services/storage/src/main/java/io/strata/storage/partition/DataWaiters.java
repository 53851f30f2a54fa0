package io.strata.storage.partition;

import java.util.ArrayList;
import java.util.List;

/**
 * Callbacks waiting for a partition's log to grow (long-poll fetches, fetch streams). The
 * appender calls {@link #signal()} after each append; every waiter registered before it runs
 * once and is forgotten (a waiter that still wants more registers again). Callbacks run on
 * the signalling thread, so they must only hand work off or read, never block.
 */
public final class DataWaiters {

    private final Object lock = new Object();
    private List<Runnable> waiting = new ArrayList<>();

    /** Registers a one-shot callback; returns a handle that removes it (idempotent). */
    public Runnable register(Runnable onData) {
        synchronized (lock) {
            waiting.add(onData);
        }
        return () -> {
            synchronized (lock) {
                waiting.remove(onData);
            }
        };
    }

    /** Runs and forgets every registered callback. */
    public void signal() {
        List<Runnable> toRun;
        synchronized (lock) {
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

    public int size() {
        synchronized (lock) {
            return waiting.size();
        }
    }
}
