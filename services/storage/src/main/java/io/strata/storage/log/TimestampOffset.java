package io.strata.storage.log;

/**
 * A batch found by timestamp: its base offset and its max timestamp.
 *
 * @param timestamp the batch's {@code maxTimestamp}
 * @param offset    the batch's base offset
 */
public record TimestampOffset(long timestamp, long offset) {
}
