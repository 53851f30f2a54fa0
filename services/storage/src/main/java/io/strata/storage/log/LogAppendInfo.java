package io.strata.storage.log;

/**
 * What one {@link PartitionLog#append} wrote.
 *
 * @param firstOffset    offset assigned to the first record of the first batch
 * @param lastOffset     offset of the last record of the last batch
 * @param maxTimestamp   largest {@code maxTimestamp} of the appended batches
 * @param batchCount     number of batches appended
 * @param logStartOffset the log start offset at the time of the append
 */
public record LogAppendInfo(long firstOffset, long lastOffset, long maxTimestamp, int batchCount, long logStartOffset) {
}
