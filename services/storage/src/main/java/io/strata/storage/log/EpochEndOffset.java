package io.strata.storage.log;

/**
 * The answer to "where does leader epoch N end" ({@link PartitionLog#endOffsetForEpoch}, Kafka's
 * OffsetForLeaderEpoch): the largest epoch at or below N that the log knows, and the offset after
 * its last batch. {@code epoch} is -1 when the log knows no such epoch; the end offset is then the
 * log start offset.
 *
 * @param epoch     the largest known epoch {@code <=} the requested one, or -1
 * @param endOffset the start offset of the next known epoch, or the log end offset for the latest
 */
public record EpochEndOffset(int epoch, long endOffset) {
}
