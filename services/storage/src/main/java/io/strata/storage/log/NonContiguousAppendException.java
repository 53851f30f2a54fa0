package io.strata.storage.log;

/**
 * A follower's append ({@link PartitionLog#appendAsFollower}) whose batches do not follow on from
 * the log end, or from each other: the follower's fetch position and its log disagree (a
 * truncation or a fetch from the wrong offset). Nothing was written; the follower should find its
 * position again (truncate, or fetch from its log end).
 */
public final class NonContiguousAppendException extends RuntimeException {

    private final long expectedOffset;
    private final long foundOffset;

    public NonContiguousAppendException(TopicPartition partition, long expectedOffset, long foundOffset) {
        super("follower append to " + partition + ": expected a batch at offset " + expectedOffset + ", found one at "
                + foundOffset);
        this.expectedOffset = expectedOffset;
        this.foundOffset = foundOffset;
    }

    /** The offset the next batch had to start at: the log end, or the previous batch's last offset + 1. */
    public long expectedOffset() {
        return expectedOffset;
    }

    /** The base offset of the batch that did not follow on. */
    public long foundOffset() {
        return foundOffset;
    }
}
