package io.strata.coordination.metadata;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.layout.Keys;
import io.strata.coordination.nodes.LiveNodes;
import io.strata.coordination.store.KeyRange;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.topics.TopicDefaults;
import io.strata.coordination.topics.TopicTable;
import io.strata.proto.TopicNames;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.NodeRecord;
import io.strata.proto.v1.NodeRole;

import java.util.LinkedHashSet;
import java.util.List;

/**
 * Answers GetMetadata: what a client needs to route, read in one consistent read of the
 * nodes, topics and partitions. Thread-safe.
 */
public final class MetadataService {

    private final MetadataStore store;
    private final ClusterIdentity identity;
    private final TopicDefaults defaults;

    public MetadataService(MetadataStore store, ClusterIdentity identity, TopicDefaults defaults) {
        this.store = store;
        this.identity = identity;
        this.defaults = defaults;
    }

    /**
     * The cluster id, the live <em>ready</em> storage nodes and ingestion endpoints, and the
     * requested topics (all when none is named); names of topics that do not exist go to
     * {@code unknown_topics}.
     *
     * @throws CoordinationException INVALID_TOPIC when a requested name can never be a topic
     */
    public ClusterMetadata metadata(MetadataRequest request) {
        for (String name : request.getTopicsList()) {
            String error = TopicNames.validate(name);
            if (error != null) {
                throw new CoordinationException(ErrorCode.INVALID_TOPIC, error);
            }
        }
        String clusterId = identity.clusterId();
        KeyRange range = store.getPrefixes(List.of(Keys.nodesOf(NodeRole.STORAGE), Keys.nodesOf(NodeRole.INGESTION),
                Keys.TOPICS, Keys.PARTITIONS));
        ClusterMetadata.Builder answer = ClusterMetadata.newBuilder().setClusterId(clusterId).setRevision(range.revision());
        for (NodeRecord node : LiveNodes.of(range.kvs(), NodeRole.STORAGE)) {
            if (node.getReady()) {
                answer.addNodes(Node.newBuilder().setNodeId(node.getNodeId()).setHost(node.getHost()).setPort(node.getPort())
                        .setRack(node.getRack()));
            }
        }
        LiveNodes.of(range.kvs(), NodeRole.INGESTION).stream()
                .filter(NodeRecord::getReady)
                .map(n -> n.getHost() + ":" + n.getPort())
                .sorted()
                .forEach(answer::addIngestionEndpoints);
        TopicTable table = TopicTable.from(range);
        if (request.getTopicsCount() == 0) {
            table.all().forEach(t -> answer.addTopics(t.metadata(defaults)));
        } else {
            for (String name : new LinkedHashSet<>(request.getTopicsList())) {
                table.get(name).ifPresentOrElse(t -> answer.addTopics(t.metadata(defaults)), () -> answer.addUnknownTopics(name));
            }
        }
        return answer.build();
    }
}
