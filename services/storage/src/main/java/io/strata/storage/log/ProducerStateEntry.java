package io.strata.storage.log;

import io.strata.records.RecordBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a partition knows of one idempotent producer: its epoch, the metadata of its last
 * {@link #BATCHES_RETAINED} appended batches (oldest first) and when the leader last appended
 * for it (by the leader's clock: that is what expiry counts from). Immutable: an append makes
 * a new entry, so a snapshot is a plain copy of the map.
 *
 * @param producerId   the producer id, >= 0
 * @param epoch        the epoch of the batches below
 * @param batches      1 to {@link #BATCHES_RETAINED} batches, oldest first, sequences consecutive
 * @param lastAppendMs leader time of the last append (or of the replay that rebuilt the entry)
 */
public record ProducerStateEntry(long producerId, short epoch, List<SequencedBatch> batches, long lastAppendMs) {

    /**
     * Batches remembered per producer: a retry of any of them is answered as a duplicate. Kafka's
     * number, which is also the most batches its producer keeps in flight per partition.
     */
    public static final int BATCHES_RETAINED = 64;

    public ProducerStateEntry {
        if (batches.isEmpty() || batches.size() > BATCHES_RETAINED) {
            throw new IllegalArgumentException("a producer entry holds 1 to " + BATCHES_RETAINED + " batches, not "
                    + batches.size());
        }
        batches = List.copyOf(batches);
    }

    /** The first entry of a producer, or of a new epoch of it. */
    static ProducerStateEntry first(long producerId, short epoch, SequencedBatch batch, long nowMs) {
        return new ProducerStateEntry(producerId, epoch, List.of(batch), nowMs);
    }

    /** This entry with {@code batch} appended; the oldest batch goes when there are too many. */
    ProducerStateEntry with(SequencedBatch batch, long nowMs) {
        List<SequencedBatch> next = new ArrayList<>(batches.size() + 1);
        next.addAll(batches.size() == BATCHES_RETAINED ? batches.subList(1, batches.size()) : batches);
        next.add(batch);
        return new ProducerStateEntry(producerId, epoch, next, nowMs);
    }

    /** The last sequence the producer wrote. */
    int lastSequence() {
        return batches.getLast().lastSequence();
    }

    /** The remembered batch with exactly this sequence range, if any. */
    Optional<SequencedBatch> find(int firstSequence, int lastSequence) {
        for (SequencedBatch b : batches) {
            if (b.firstSequence() == firstSequence && b.lastSequence() == lastSequence) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code firstSequence} follows the last written sequence (wrapping as producers do). */
    boolean follows(int firstSequence) {
        return firstSequence == RecordBatch.incrementSequence(lastSequence(), 1);
    }
}
