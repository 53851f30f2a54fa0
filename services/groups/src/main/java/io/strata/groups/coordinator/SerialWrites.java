package io.strata.groups.coordinator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The core of group commit, shared by a group's {@link RecordWriter} and {@link OffsetWriter}: at
 * most one write of a kind is in flight, and whoever waits for a write waits for a version. Each
 * write carries everything up to the version it was begun with; when it ends, it decides the
 * waiters of that version and every older one (with its outcome), and leaves the newer ones for
 * the next write. The caller builds the write and does the I/O, outside the group's lock.
 *
 * <p>Not thread-safe: its group's lock covers it.
 */
final class SerialWrites {

    /** A reply waiting for a write; told the write's outcome (null = stored), outside the group's lock. */
    interface Waiter {
        void stored(Throwable failure);
    }

    private record Pending(long version, Waiter waiter) {
    }

    /** The version being written, or -1. */
    private long inFlight = -1;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();

    boolean writing() {
        return inFlight >= 0;
    }

    boolean hasWaiters() {
        return !waiting.isEmpty();
    }

    /** No write in flight and nobody waiting. */
    boolean idle() {
        return inFlight < 0 && waiting.isEmpty();
    }

    /** {@code waiter} waits for a write carrying {@code version}; versions never decrease from one call to the next. */
    void await(long version, Waiter waiter) {
        if (!waiting.isEmpty() && waiting.peekLast().version() > version) {
            throw new IllegalStateException("version " + version + " awaited after " + waiting.peekLast().version());
        }
        waiting.add(new Pending(version, waiter));
    }

    /** A write carrying everything up to {@code version} starts. */
    void begin(long version) {
        if (inFlight >= 0) {
            throw new IllegalStateException("a write (version " + inFlight + ") is already in flight");
        }
        inFlight = version;
    }

    /** The write in flight, of {@code written}, ended; returns the waiters it decides, to be told outside the lock. */
    List<Waiter> end(long written) {
        if (inFlight != written) {
            throw new IllegalStateException("the write in flight is of version " + inFlight + ", not " + written);
        }
        inFlight = -1;
        List<Waiter> decided = new ArrayList<>();
        while (!waiting.isEmpty() && waiting.peek().version() <= written) {
            decided.add(waiting.poll().waiter());
        }
        return decided;
    }
}
