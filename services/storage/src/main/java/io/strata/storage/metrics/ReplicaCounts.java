package io.strata.storage.metrics;

import io.strata.proto.v1.PartitionState;
import io.strata.storage.partition.HostedPartition;

import java.util.Collection;

/**
 * What a storage node's replication gauges show, counted in one pass over the partitions it
 * hosts (docs/METRICS.md). Pure: the counts follow from the states alone.
 *
 * @param partitions         partitions hosted here, led or followed
 * @param leaderPartitions   partitions this node leads
 * @param underReplicated    led here, ISR smaller than the replica set (Kafka's UnderReplicatedPartitions)
 * @param underMinIsr        led here, ISR smaller than {@code min.insync.replicas}: acks=all writes are
 *                           refused (the test {@link HostedPartition#requireEnoughReplicas()} makes)
 * @param pendingAcks        acks=all requests waiting for the high watermark, over every partition
 */
public record ReplicaCounts(int partitions, int leaderPartitions, int underReplicated, int underMinIsr, long pendingAcks) {

    public static final ReplicaCounts NONE = new ReplicaCounts(0, 0, 0, 0, 0);

    /** One hosted partition as the gauges see it. */
    public record Sample(PartitionState state, int minInsyncReplicas, int pendingAcks) {

        static Sample of(HostedPartition p) {
            return new Sample(p.state(), p.minInsyncReplicas(), p.pendingAcks());
        }
    }

    /** Counts the partitions of node {@code localNode}. */
    public static ReplicaCounts of(int localNode, Collection<Sample> partitions) {
        int leaders = 0;
        int underReplicated = 0;
        int underMinIsr = 0;
        long pending = 0;
        for (Sample p : partitions) {
            pending += p.pendingAcks();
            PartitionState s = p.state();
            if (s.getLeader() != localNode) {
                continue;
            }
            leaders++;
            if (s.getIsrCount() < s.getReplicasCount()) {
                underReplicated++;
            }
            if (s.getIsrCount() < p.minInsyncReplicas()) {
                underMinIsr++;
            }
        }
        return new ReplicaCounts(partitions.size(), leaders, underReplicated, underMinIsr, pending);
    }

    /** Counts what a node hosts now. */
    static ReplicaCounts ofHosted(int localNode, Collection<HostedPartition> hosted) {
        return of(localNode, hosted.stream().map(Sample::of).toList());
    }
}
