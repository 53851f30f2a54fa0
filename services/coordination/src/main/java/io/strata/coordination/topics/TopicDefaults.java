package io.strata.coordination.topics;

import io.strata.proto.TopicConfigs;

import java.util.Map;

/**
 * What the cluster fills in for a topic: partitions and replication factor when a create
 * request says 0, and cluster-wide config defaults (e.g. {@code retention.ms} from
 * {@code log.retention.hours}) under the topic's own overrides.
 */
public record TopicDefaults(int numPartitions, int replicationFactor, Map<String, String> configs) {

    public TopicDefaults {
        configs = Map.copyOf(configs);
        if (numPartitions < 1 || replicationFactor < 1) {
            throw new IllegalArgumentException("defaults must be at least 1: partitions " + numPartitions
                    + ", replication factor " + replicationFactor);
        }
    }

    /** Every topic config key with its value for a topic with these overrides. */
    public Map<String, String> effective(Map<String, String> overrides) {
        return TopicConfigs.effective(overrides, configs);
    }
}
