package io.strata.client.admin;

import io.strata.client.PartitionInfo;

import java.util.List;
import java.util.Map;

/**
 * A topic as coordination describes it.
 *
 * @param name           the topic name
 * @param topicId        the id given at creation (tells a re-created topic from the old one)
 * @param partitions     every partition with its leader, replicas and in-sync replicas, in order
 * @param config         the effective config: every topic-level key with its value
 * @param overrides      only the keys set on this topic
 * @param targetReplicas the partitions being reassigned ({@link StrataAdmin#reassignPartitions}):
 *                       partition number to the replica list being moved to
 */
public record TopicDescription(String name, String topicId, List<PartitionInfo> partitions, Map<String, String> config,
                               Map<String, String> overrides, Map<Integer, List<Integer>> targetReplicas) {

    public TopicDescription {
        partitions = List.copyOf(partitions);
        config = Map.copyOf(config);
        overrides = Map.copyOf(overrides);
        targetReplicas = targetReplicas.entrySet().stream()
                .collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
    }

    /** A topic with no reassignment in progress. */
    public TopicDescription(String name, String topicId, List<PartitionInfo> partitions, Map<String, String> config,
                            Map<String, String> overrides) {
        this(name, topicId, partitions, config, overrides, Map.of());
    }

    /** The replica list {@code partition} is being moved to; empty when it is not being reassigned. */
    public List<Integer> targetReplicas(int partition) {
        return targetReplicas.getOrDefault(partition, List.of());
    }

    /** The replication factor: the replica count of the first partition (0 when there is none). */
    public int replicationFactor() {
        return partitions.isEmpty() ? 0 : partitions.get(0).replicas().size();
    }
}
