package io.strata.client.admin;

import io.strata.client.PartitionInfo;

import java.util.List;
import java.util.Map;

/**
 * A topic as coordination describes it.
 *
 * @param name       the topic name
 * @param topicId    the id given at creation (tells a re-created topic from the old one)
 * @param partitions every partition with its leader, replicas and in-sync replicas, in order
 * @param config     the effective config: every topic-level key with its value
 * @param overrides  only the keys set on this topic
 */
public record TopicDescription(String name, String topicId, List<PartitionInfo> partitions, Map<String, String> config,
                               Map<String, String> overrides) {

    public TopicDescription {
        partitions = List.copyOf(partitions);
        config = Map.copyOf(config);
        overrides = Map.copyOf(overrides);
    }

    /** The replication factor: the replica count of the first partition (0 when there is none). */
    public int replicationFactor() {
        return partitions.isEmpty() ? 0 : partitions.get(0).replicas().size();
    }
}
