package io.strata.client.admin;

import io.strata.client.PartitionInfo;

import java.util.List;
import java.util.Objects;

/**
 * A partition's state as a reassignment left it ({@link StrataAdmin#reassignPartitions}).
 *
 * @param partition      leader, replicas, ISR and ELR; while the reassignment runs the replicas
 *                       are the old and the target ones together (target first)
 * @param targetReplicas the replica list being moved to; empty when no reassignment is in
 *                       progress (none was needed, it was cancelled, or it already finished)
 */
public record PartitionReassignment(PartitionInfo partition, List<Integer> targetReplicas) {

    public PartitionReassignment {
        Objects.requireNonNull(partition, "partition");
        targetReplicas = List.copyOf(targetReplicas);
    }

    /** Whether the replicas are still being moved. */
    public boolean inProgress() {
        return !targetReplicas.isEmpty();
    }
}
