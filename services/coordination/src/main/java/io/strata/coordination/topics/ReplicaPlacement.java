package io.strata.coordination.topics;

import io.strata.proto.v1.NodeRecord;

import java.util.List;

/**
 * Chooses the replicas of a new topic's partitions. The seam for placement policies: Kafka's
 * rack-aware scheme ({@link RackAwarePlacement}) when every node names a rack, else its
 * rack-unaware round robin ({@link RoundRobinPlacement}).
 */
public interface ReplicaPlacement {

    /**
     * @param nodes             the live storage nodes, sorted by node id, at least
     *                          {@code replicationFactor} of them
     * @param partitions        number of partitions, >= 1
     * @param replicationFactor replicas per partition, in [1, nodes.size()]
     * @return for each partition in order, its replica node ids (distinct; the first is the
     *     preferred leader)
     */
    List<List<Integer>> assign(List<NodeRecord> nodes, int partitions, int replicationFactor);
}
