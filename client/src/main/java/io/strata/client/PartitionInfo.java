package io.strata.client;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The state of one partition as coordination reports it.
 *
 * @param topic     the topic's name
 * @param partition the partition number, 0-based
 * @param leader    the node id of the leader, or {@code null} while the partition is offline
 * @param replicas  the ordered replica list (node ids); the first is the preferred leader
 * @param isr       the in-sync replicas (node ids)
 */
public record PartitionInfo(String topic, int partition, Integer leader, List<Integer> replicas, List<Integer> isr) {

    public PartitionInfo {
        Objects.requireNonNull(topic, "topic");
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
    }

    /** The leader's node id, empty while the partition is offline. */
    public Optional<Integer> leaderId() {
        return Optional.ofNullable(leader);
    }

    /** This partition's {@link TopicPartition}. */
    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }
}
