package io.strata.client.producer;

import io.strata.records.RecordHeader;

import java.util.List;
import java.util.Objects;

/**
 * A record to send.
 *
 * @param topic     the topic, required
 * @param partition the partition, or {@code null} to let the {@link Partitioner} choose
 * @param timestamp the create time in epoch ms, or {@code null} for the time of {@code send}
 * @param key       the key, may be {@code null}
 * @param value     the value, may be {@code null}
 * @param headers   application headers, never {@code null} (empty when none)
 * @param <K> the key type
 * @param <V> the value type
 */
public record ProducerRecord<K, V>(String topic, Integer partition, Long timestamp, K key, V value,
                                   List<RecordHeader> headers) {

    public ProducerRecord {
        Objects.requireNonNull(topic, "topic");
        if (partition != null && partition < 0) {
            throw new IllegalArgumentException("partition must be >= 0, got " + partition);
        }
        if (timestamp != null && timestamp < 0) {
            throw new IllegalArgumentException("timestamp must be >= 0, got " + timestamp);
        }
        headers = headers == null ? List.of() : List.copyOf(headers);
    }

    /** A keyless record; the partitioner picks the partition. */
    public ProducerRecord(String topic, V value) {
        this(topic, null, null, null, value, List.of());
    }

    /** A keyed record; the partitioner picks the partition from the key. */
    public ProducerRecord(String topic, K key, V value) {
        this(topic, null, null, key, value, List.of());
    }

    /** A record for a given partition. */
    public ProducerRecord(String topic, Integer partition, K key, V value) {
        this(topic, partition, null, key, value, List.of());
    }
}
