package io.strata.groups.coordinator;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Group commit of one group's record: the bookkeeping, not the I/O (the coordinator calls
 * {@code putRecord} outside the group's lock). Every change of the group raises {@link #version};
 * a reply that shows the group's state waits until a write carrying that version (or a newer one)
 * is stored. At most one write is in flight; changes made meanwhile wait for the next write, which
 * is built when it starts and so carries the newest record ({@link SerialWrites} keeps the writes
 * and the waiters; this class adds what a record needs: the stored version and the retry).
 *
 * <p>A failed write fails the replies it carried, with its cause; the in-memory state stays as it
 * is (it is what the members were or will be told next), and the group stays dirty: the next write
 * (the next change's, or a retry from {@code tick()} once {@link #RETRY_BACKOFF_MS} passed) carries
 * it. Not thread-safe: its group's lock covers it.
 */
final class RecordWriter {

    /** How long after a failed write an idle group waits before {@code tick()} retries it. */
    static final long RETRY_BACKOFF_MS = 1000;

    private final SerialWrites writes = new SerialWrites();
    private long version;
    private long storedVersion;
    private long lastFailureMs = -1;

    /** The group changed: the stored record is behind. */
    void changed() {
        version++;
    }

    boolean clean() {
        return storedVersion >= version;
    }

    boolean idle() {
        return writes.idle();
    }

    /** A reply showing the current state: completed now when that is stored, else once a write carrying it is. */
    <T> CompletableFuture<T> awaitStored(T reply) {
        if (clean()) {
            return CompletableFuture.completedFuture(reply);
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        writes.await(version, failure -> {
            if (failure == null) {
                future.complete(reply);
            } else {
                future.completeExceptionally(failure);
            }
        });
        return future;
    }

    /**
     * Starts a write when one is due: the record is behind, none is in flight, and someone waits
     * or no write failed within the backoff. Returns the version the caller must now write (it
     * builds the record under the same lock), or -1.
     */
    long beginWrite(long nowMs) {
        if (writes.writing() || clean()) {
            return -1;
        }
        if (!writes.hasWaiters() && lastFailureMs >= 0 && nowMs < lastFailureMs + RETRY_BACKOFF_MS) {
            return -1;
        }
        writes.begin(version);
        return version;
    }

    /** The write of {@code written} ended; returns the replies it decides, to be told outside the lock. */
    List<SerialWrites.Waiter> endWrite(long written, Throwable failure, long nowMs) {
        if (failure == null) {
            storedVersion = Math.max(storedVersion, written);
            lastFailureMs = -1;
        } else {
            lastFailureMs = nowMs;
        }
        return writes.end(written);
    }
}
