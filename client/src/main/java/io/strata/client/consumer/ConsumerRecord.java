package io.strata.client.consumer;

import io.strata.records.RecordHeader;

import java.util.List;

/**
 * A record read from a partition.
 *
 * @param topic     the topic
 * @param partition the partition
 * @param offset    the record's offset in the partition
 * @param timestamp the record's timestamp, epoch ms
 * @param key       the deserialized key, may be {@code null}
 * @param value     the deserialized value, may be {@code null}
 * @param headers   the record's headers, never {@code null}
 * @param <K> the key type
 * @param <V> the value type
 */
public record ConsumerRecord<K, V>(String topic, int partition, long offset, long timestamp, K key, V value,
                                   List<RecordHeader> headers) {

    public ConsumerRecord {
        headers = headers == null ? List.of() : List.copyOf(headers);
    }
}
