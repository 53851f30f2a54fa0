package io.strata.coordination.metadata;

import io.strata.coordination.nodes.LiveNodes;
import io.strata.coordination.store.KeyRange;
import io.strata.coordination.topics.TopicDefaults;
import io.strata.coordination.topics.TopicTable;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.NodeRecord;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.TopicMetadata;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a read of the routing keys ({@code nodes/storage/}, {@code nodes/ingestion/},
 * {@code topics/}, {@code partitions/}; other keys are ignored, missing ones are simply absent)
 * says as {@link ClusterMetadata}: the one place that builds it, for GetMetadata
 * ({@link MetadataService}) and WatchMetadata ({@link MetadataFeed}). Immutable.
 *
 * @param nodes              live ready storage nodes, by node id
 * @param ingestionEndpoints live ready ingestion instances' {@code host:port}, sorted
 * @param topics             every topic by name (sorted), configs = its overrides
 */
record ClusterRouting(List<Node> nodes, List<String> ingestionEndpoints, Map<String, TopicMetadata> topics) {

    static ClusterRouting from(KeyRange range) {
        List<Node> nodes = LiveNodes.readyStorage(range.kvs());
        List<String> ingestion = LiveNodes.of(range.kvs(), NodeRole.INGESTION).stream()
                .filter(NodeRecord::getReady)
                .map(n -> n.getHost() + ":" + n.getPort())
                .sorted()
                .toList();
        Map<String, TopicMetadata> topics = new LinkedHashMap<>();
        TopicTable.from(range).all().forEach(t -> topics.put(t.name(), t.metadata()));
        return new ClusterRouting(nodes, ingestion, Collections.unmodifiableMap(topics));
    }

    /** The answer without its topics and revision: cluster id, nodes, ingestion endpoints, config defaults. */
    ClusterMetadata.Builder answer(String clusterId, TopicDefaults defaults) {
        return ClusterMetadata.newBuilder()
                .setClusterId(clusterId)
                .addAllNodes(nodes)
                .addAllIngestionEndpoints(ingestionEndpoints)
                .putAllDefaultConfigs(defaults.effective(Map.of()));
    }

    /** The whole cluster (every topic), without the revision. */
    ClusterMetadata all(String clusterId, TopicDefaults defaults) {
        return answer(clusterId, defaults).addAllTopics(topics.values()).build();
    }
}
