package io.strata.client.producer;

/**
 * Where a sent record landed.
 *
 * @param topic     the topic
 * @param partition the partition
 * @param offset    the record's offset, or -1 when sent with {@code acks=0}
 * @param timestamp the record's timestamp: the broker's append time when the topic uses
 *                  log-append time, else the create time the record was sent with
 */
public record RecordMetadata(String topic, int partition, long offset, long timestamp) {
}
