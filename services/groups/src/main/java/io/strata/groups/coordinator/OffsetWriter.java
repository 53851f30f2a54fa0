package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.OffsetCommit;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The write queue of one group's committed offsets: the bookkeeping, not the I/O (the coordinator
 * calls {@code storeOffsets} outside the group's lock). A commit accepted (validated and stamped,
 * under the lock) gets the next sequence number and waits in the queue. At most one write is in
 * flight ({@link SerialWrites}); when none is, the next one takes the queued commits in sequence
 * order and merges them, the newest commit of each partition winning, so the store receives every
 * partition's offsets in the order the commits were accepted and never an older one after a newer.
 * A write holds at most {@value #MAX_OFFSETS_PER_WRITE} partitions, what StoreGroupOffsets writes
 * in one atomic transaction (coordination.proto), so a commit that fits one transaction stays
 * atomic when merged; a larger commit is written alone (coordination splits it, as before).
 *
 * <p>Each commit's future completes when the write carrying it completes: a failed write fails
 * every commit merged in it, with its cause, and none of them is retried (the client decides);
 * commits queued behind it go to the next write. Futures are completed outside the lock (see
 * {@link #endWrite}). Not thread-safe: its group's lock covers it.
 */
final class OffsetWriter {

    /** Partitions in one write: StoreGroupOffsets's atomic transaction (coordination.proto). */
    static final int MAX_OFFSETS_PER_WRITE = 127;

    /**
     * A write to make.
     *
     * @param offsets  one per partition, the newest queued commit's
     * @param sequence the sequence number of the newest commit merged in it
     */
    record Write(List<OffsetCommit> offsets, long sequence) {
    }

    private record Accepted(long sequence, List<OffsetCommit> offsets) {
    }

    private final SerialWrites writes = new SerialWrites();
    private final ArrayDeque<Accepted> queued = new ArrayDeque<>();
    private long lastSequence;

    /** Queues an accepted commit (a non-empty list, one entry per partition); the future completes once a write carrying it did. */
    CompletableFuture<Void> accept(List<OffsetCommit> offsets) {
        long sequence = ++lastSequence;
        queued.add(new Accepted(sequence, List.copyOf(offsets)));
        CompletableFuture<Void> stored = new CompletableFuture<>();
        writes.await(sequence, failure -> {
            if (failure == null) {
                stored.complete(null);
            } else {
                stored.completeExceptionally(failure);
            }
        });
        return stored;
    }

    /** Nothing queued and nothing in flight. */
    boolean idle() {
        return queued.isEmpty() && writes.idle();
    }

    /**
     * Starts the next write when one is due (none in flight, something queued): the queued commits
     * in sequence order, merged, while they fit {@link #MAX_OFFSETS_PER_WRITE} partitions (the
     * first always). Returns the write to make now, or null.
     */
    Write beginWrite() {
        if (writes.writing() || queued.isEmpty()) {
            return null;
        }
        Map<TopicPartition, OffsetCommit> merged = new LinkedHashMap<>();
        long sequence = 0;
        while (!queued.isEmpty()) {
            Accepted next = queued.peek();
            if (!merged.isEmpty() && merged.size() + added(merged, next) > MAX_OFFSETS_PER_WRITE) {
                break;
            }
            queued.poll();
            for (OffsetCommit commit : next.offsets()) {
                merged.put(partition(commit), commit);
            }
            sequence = next.sequence();
        }
        writes.begin(sequence);
        return new Write(List.copyOf(merged.values()), sequence);
    }

    /** The write ended, either way; returns the waiters of the commits merged in it, to be told the outcome outside the lock. */
    List<SerialWrites.Waiter> endWrite(Write write) {
        return writes.end(write.sequence());
    }

    /** How many partitions {@code commit} adds to {@code merged}. */
    private static int added(Map<TopicPartition, OffsetCommit> merged, Accepted commit) {
        int added = 0;
        for (OffsetCommit offset : commit.offsets()) {
            if (!merged.containsKey(partition(offset))) {
                added++;
            }
        }
        return added;
    }

    private static TopicPartition partition(OffsetCommit commit) {
        return new TopicPartition(commit.getTopic(), commit.getPartition());
    }
}
