package io.strata.replication.metrics;

import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicMetadata;

/**
 * What the controller's cluster-wide gauges show, counted in one pass over a WatchMetadata
 * snapshot (docs/METRICS.md). Pure.
 *
 * @param offline            partitions without a leader (leader -1): nobody can produce to or fetch from them
 *                           (Kafka's OfflinePartitionsCount)
 * @param underReplicated    partitions with a leader whose ISR is smaller than their replica set (offline ones
 *                           are counted as offline only), the cluster-wide sum of the storage nodes'
 *                           under-replicated gauges
 * @param preferredImbalance partitions whose leader is not their first (preferred) replica, offline ones included
 *                           (Kafka's PreferredReplicaImbalanceCount)
 * @param liveStorageNodes   storage nodes registered and ready (Kafka's ActiveBrokerCount)
 */
public record ClusterCounts(int offline, int underReplicated, int preferredImbalance, int liveStorageNodes) {

    /** A standby's (or a just-elected controller's) counts: it has no snapshot to count from. */
    public static final ClusterCounts NONE = new ClusterCounts(0, 0, 0, 0);

    public static ClusterCounts of(ClusterMetadata snapshot) {
        int offline = 0;
        int underReplicated = 0;
        int imbalance = 0;
        for (TopicMetadata topic : snapshot.getTopicsList()) {
            for (PartitionState p : topic.getPartitionsList()) {
                if (p.getLeader() < 0) {
                    offline++;
                } else if (p.getIsrCount() < p.getReplicasCount()) {
                    underReplicated++;
                }
                if (p.getReplicasCount() > 0 && p.getLeader() != p.getReplicas(0)) {
                    imbalance++;
                }
            }
        }
        return new ClusterCounts(offline, underReplicated, imbalance, snapshot.getNodesCount());
    }
}
