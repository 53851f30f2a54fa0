package io.strata.client.internal;

import io.strata.client.NodeInfo;
import io.strata.client.PartitionInfo;
import io.strata.client.TopicPartition;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicMetadata;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable view of routing metadata: live nodes and, per known topic, its partitions'
 * leaders and epochs. A new snapshot replaces the old one on every refresh.
 *
 * @param clusterId     the cluster's id, empty before the first answer
 * @param nodes         live storage nodes by id
 * @param topics        topics by name (only the ones asked for so far)
 * @param unknownTopics topics coordination said do not exist, at the last refresh that asked
 * @param updatedAtMs   when the last refresh completed (client clock), 0 before the first
 * @param defaultConfigs the cluster's topic config defaults ({@code ClusterMetadata.default_configs}):
 *                       a topic's effective config is these overlaid with its own overrides
 *                       ({@link #topicConfig}); empty before the first answer that carried them
 */
public record ClusterSnapshot(String clusterId, Map<Integer, NodeInfo> nodes, Map<String, TopicMetadata> topics,
                              Set<String> unknownTopics, long updatedAtMs, Map<String, String> defaultConfigs) {

    /** Before the first refresh. */
    public static final ClusterSnapshot EMPTY = new ClusterSnapshot("", Map.of(), Map.of(), Set.of(), 0, Map.of());

    /**
     * A partition's leader as clients route to it.
     *
     * @param node  the live leader node
     * @param epoch the leader epoch the metadata named
     */
    public record Leader(NodeInfo node, int epoch) {
        /** The leader's address. */
        public Address address() {
            return new Address(node.host(), node.port());
        }
    }

    public ClusterSnapshot {
        nodes = Map.copyOf(nodes);
        topics = Map.copyOf(topics);
        unknownTopics = Set.copyOf(unknownTopics);
        defaultConfigs = Map.copyOf(defaultConfigs);
    }

    /** A snapshot without cluster config defaults. */
    public ClusterSnapshot(String clusterId, Map<Integer, NodeInfo> nodes, Map<String, TopicMetadata> topics,
                           Set<String> unknownTopics, long updatedAtMs) {
        this(clusterId, nodes, topics, unknownTopics, updatedAtMs, Map.of());
    }

    /** This snapshot updated with an answer to a request for {@code requested} topics (empty = all). */
    public ClusterSnapshot merge(ClusterMetadata answer, Set<String> requested, long nowMs) {
        Map<Integer, NodeInfo> newNodes = new HashMap<>();
        for (Node n : answer.getNodesList()) {
            newNodes.put(n.getNodeId(), new NodeInfo(n.getNodeId(), n.getHost(), n.getPort(), n.getRack()));
        }
        Map<String, TopicMetadata> newTopics = new HashMap<>(requested.isEmpty() ? Map.of() : topics);
        Set<String> unknown = new HashSet<>(unknownTopics);
        for (TopicMetadata t : answer.getTopicsList()) {
            newTopics.put(t.getName(), t);
            unknown.remove(t.getName());
        }
        for (String name : answer.getUnknownTopicsList()) {
            newTopics.remove(name);
            unknown.add(name);
        }
        // An answer without defaults (an older coordination) keeps the ones known.
        Map<String, String> defaults = answer.getDefaultConfigsMap().isEmpty() ? defaultConfigs : answer.getDefaultConfigsMap();
        return new ClusterSnapshot(answer.getClusterId(), newNodes, newTopics, unknown, nowMs, defaults);
    }

    /**
     * A topic's effective config value: its own override, else the cluster's default; empty when
     * neither sets {@code key} (the caller then falls back to the built-in default,
     * {@code io.strata.proto.TopicConfigs}).
     */
    public Optional<String> topicConfig(TopicMetadata topic, String key) {
        String own = topic.getConfigsMap().get(key);
        return Optional.ofNullable(own != null ? own : defaultConfigs.get(key));
    }

    /** The topic's metadata, if it is known. */
    public Optional<TopicMetadata> topic(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    /** The number of partitions of a known topic, or -1. */
    public int partitionCount(String topic) {
        TopicMetadata t = topics.get(topic);
        return t == null ? -1 : t.getPartitionsCount();
    }

    /** The stored state of one partition. */
    public Optional<PartitionState> partition(TopicPartition tp) {
        TopicMetadata t = topics.get(tp.topic());
        if (t == null) {
            return Optional.empty();
        }
        int p = tp.partition();
        if (p < t.getPartitionsCount() && t.getPartitions(p).getPartition() == p) {
            return Optional.of(t.getPartitions(p));
        }
        return t.getPartitionsList().stream().filter(s -> s.getPartition() == p).findFirst();
    }

    /** The live leader of a partition; empty while it has none or the leader node is not live. */
    public Optional<Leader> leader(TopicPartition tp) {
        return partition(tp).flatMap(s -> s.getLeader() < 0 ? Optional.empty()
                : Optional.ofNullable(nodes.get(s.getLeader())).map(n -> new Leader(n, s.getLeaderEpoch())));
    }

    /** A topic's partitions as public values, in partition order. */
    public static List<PartitionInfo> partitionInfos(String topic, List<PartitionState> states) {
        return states.stream()
                .sorted(java.util.Comparator.comparingInt(PartitionState::getPartition))
                .map(s -> new PartitionInfo(topic, s.getPartition(), s.getLeader() < 0 ? null : s.getLeader(),
                        s.getReplicasList(), s.getIsrList(), s.getElrList()))
                .toList();
    }
}
