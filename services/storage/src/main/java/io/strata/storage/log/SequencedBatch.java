package io.strata.storage.log;

/**
 * Where one batch of an idempotent producer landed: its sequence range and its offset range
 * (Kafka's {@code BatchMetadata}). The producer state keeps the last few per producer, so that
 * a retried batch is recognised and answered with its original offsets.
 *
 * @param firstSequence the batch's base sequence
 * @param lastSequence  the sequence of its last record (wrapped past {@link Integer#MAX_VALUE})
 * @param firstOffset   offset of its first record
 * @param lastOffset    offset of its last record
 * @param maxTimestamp  its max timestamp
 */
public record SequencedBatch(int firstSequence, int lastSequence, long firstOffset, long lastOffset,
                             long maxTimestamp) {
}
