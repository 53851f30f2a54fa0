package io.strata.client.consumer;

/**
 * The answer of {@link StrataConsumer#offsetsForTimes}: the first record at or after a time.
 *
 * @param offset    the record's offset
 * @param timestamp the record's timestamp, epoch ms
 */
public record OffsetAndTimestamp(long offset, long timestamp) {
}
