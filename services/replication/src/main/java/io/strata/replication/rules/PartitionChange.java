package io.strata.replication.rules;

import io.strata.proto.v1.PartitionState;

/**
 * A state change the controller decided for one partition: written with compare-and-set on
 * {@code before.partition_epoch} (coordination bumps the partition epoch itself, so
 * {@code after} carries the old one).
 *
 * @param topic  the partition's topic
 * @param before the state the decision was made on
 * @param after  the wanted state
 * @param reason why, for the log (a fixed phrase plus the nodes involved)
 */
public record PartitionChange(String topic, PartitionState before, PartitionState after, String reason) {

    public int partition() {
        return before.getPartition();
    }

    public boolean leaderChanged() {
        return before.getLeader() != after.getLeader();
    }

    /** Whether the replica list or the reassignment target changes. */
    public boolean replicasChanged() {
        return !before.getReplicasList().equals(after.getReplicasList())
                || !before.getTargetReplicasList().equals(after.getTargetReplicasList());
    }

    /** {@code ", replicas [..] -> [..], target [..] -> [..]"} when they change, else empty. */
    public String replicasChange() {
        return replicasChanged() ? ", replicas " + before.getReplicasList() + " -> " + after.getReplicasList() + ", target "
                + before.getTargetReplicasList() + " -> " + after.getTargetReplicasList() : "";
    }

    @Override
    public String toString() {
        return topic + "-" + partition() + ": leader " + before.getLeader() + " -> " + after.getLeader() + " (epoch "
                + before.getLeaderEpoch() + " -> " + after.getLeaderEpoch() + "), isr " + before.getIsrList() + " -> "
                + after.getIsrList() + ", elr " + before.getElrList() + " -> " + after.getElrList() + replicasChange() + ": " + reason;
    }
}
