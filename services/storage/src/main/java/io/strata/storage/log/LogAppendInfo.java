package io.strata.storage.log;

import java.util.List;

/**
 * What one {@link PartitionLog#append} wrote, or, for a retried idempotent request, what the
 * original append wrote.
 *
 * @param firstOffset    offset assigned to the first record of the first batch
 * @param lastOffset     offset of the last record of the last batch
 * @param maxTimestamp   largest {@code maxTimestamp} of the appended batches
 * @param batchCount     number of batches appended
 * @param logStartOffset the log start offset at the time of the append
 * @param duplicate      the batches had been written before: nothing was appended and the
 *                       offsets are the original ones
 */
public record LogAppendInfo(long firstOffset, long lastOffset, long maxTimestamp, int batchCount, long logStartOffset,
                            boolean duplicate) {

    /** The answer to a request whose every batch was written before, with the originals' offsets. */
    static LogAppendInfo duplicateOf(List<SequencedBatch> originals, long logStartOffset) {
        long maxTimestamp = Segment.NO_TIMESTAMP;
        for (SequencedBatch b : originals) {
            maxTimestamp = Math.max(maxTimestamp, b.maxTimestamp());
        }
        return new LogAppendInfo(originals.getFirst().firstOffset(), originals.getLast().lastOffset(), maxTimestamp,
                originals.size(), logStartOffset, true);
    }
}
