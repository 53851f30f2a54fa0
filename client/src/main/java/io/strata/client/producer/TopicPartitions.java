package io.strata.client.producer;

import io.strata.client.TopicPartition;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link TopicPartition} of every partition of the topics a producer sends to, made once per
 * topic instead of once per record: {@code send} names a partition by topic and number, and at a
 * million records a second a new key object per record was an eighth of the producer's garbage.
 *
 * <p>Thread-safe: a topic's array is replaced whole when its partition count changes.
 */
final class TopicPartitions {

    private final ConcurrentMap<String, TopicPartition[]> byTopic = new ConcurrentHashMap<>();

    /** Partition {@code partition} of {@code topic}, which has {@code partitionCount} partitions. */
    TopicPartition of(String topic, int partition, int partitionCount) {
        TopicPartition[] partitions = byTopic.get(topic);
        if (partitions == null || partitions.length != partitionCount) {
            partitions = new TopicPartition[partitionCount];
            for (int p = 0; p < partitionCount; p++) {
                partitions[p] = new TopicPartition(topic, p);
            }
            byTopic.put(topic, partitions);
        }
        return partitions[partition];
    }
}
