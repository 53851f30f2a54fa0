package io.strata.coordination.nodes;

import io.strata.coordination.layout.Keys;
import io.strata.coordination.layout.StoredValues;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.MetadataStore;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.NodeRecord;
import io.strata.proto.v1.NodeRole;

import java.util.Comparator;
import java.util.List;

/**
 * The nodes that hold a session right now: the keys under {@code nodes/<role>/}, which
 * vanish with their session's lease.
 */
public final class LiveNodes {

    private LiveNodes() {
    }

    /** The live nodes of {@code role}, sorted by node id (then instance id). */
    public static List<NodeRecord> read(MetadataStore store, NodeRole role) {
        return of(store.getPrefix(Keys.nodesOf(role)).kvs(), role);
    }

    /** The nodes of {@code role} among {@code kvs} (a read that may hold other keys too). */
    public static List<NodeRecord> of(List<KeyValue> kvs, NodeRole role) {
        String prefix = Keys.nodesOf(role);
        return kvs.stream()
                .filter(kv -> kv.key().startsWith(prefix))
                .map(kv -> StoredValues.parse(kv, NodeRecord.parser()))
                .sorted(Comparator.comparingInt(NodeRecord::getNodeId).thenComparing(NodeRecord::getInstanceId))
                .toList();
    }

    /**
     * The live <em>ready</em> storage nodes among {@code kvs}, as the API shows them (sorted by
     * node id): what GetMetadata, WatchMetadata and the assignment snapshots list.
     */
    public static List<Node> readyStorage(List<KeyValue> kvs) {
        return of(kvs, NodeRole.STORAGE).stream().filter(NodeRecord::getReady).map(NodeRecords::toNode).toList();
    }
}
