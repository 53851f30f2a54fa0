package io.strata.replication.rules;

import io.strata.proto.TopicNames;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionReassignment;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ReassignPartitionsRequest;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Partition reassignment (Kafka's AlterPartitionReassignments) as pure functions. A reassignment
 * lives in the partition's own state, so nothing else is stored and any controller can finish it:
 *
 * <ul>
 *   <li>{@link #start}: {@code target_replicas} = the target; {@code replicas} = the target
 *       followed by the current replicas not in it (the union, so the new replicas' nodes start
 *       copying the log and the leader adds them to the ISR once caught up). ISR, ELR and leader
 *       are unchanged. A new target replaces one in progress the same way.</li>
 *   <li>{@link #progress}: once every target replica is in the ISR, leadership moves to the first
 *       clean, live target replica in the ISR if the leader is not in the target, and
 *       {@code replicas} becomes the target (ISR and ELR cut to it, target cleared) — one write.</li>
 *   <li>{@link #cancel}: drops the target members that are in neither the ISR nor the ELR (those
 *       that never caught up) and clears the target. The original replica list is not stored, so
 *       target members that did catch up stay replicas; nothing that holds committed records is
 *       removed, and the leader never is.</li>
 * </ul>
 */
public final class ReassignmentRules {

    private ReassignmentRules() {
    }

    /**
     * Checks what needs no state: at least one reassignment, valid topic names, partitions
     * &gt;= 0, no partition twice, node ids &gt;= 0 (INVALID_REQUEST), and distinct node ids
     * (INVALID_REPLICATION_FACTOR). An empty replica list means cancel.
     *
     * @throws RuleViolation naming the field
     */
    public static void checkShape(ReassignPartitionsRequest request) {
        if (request.getReassignmentsCount() == 0) {
            throw new RuleViolation(ErrorCode.INVALID_REQUEST, "reassignments must not be empty");
        }
        Set<String> partitions = new HashSet<>();
        for (PartitionReassignment r : request.getReassignmentsList()) {
            String topicError = TopicNames.validate(r.getTopic());
            if (topicError != null) {
                throw new RuleViolation(ErrorCode.INVALID_REQUEST, "reassignments: topic: " + topicError);
            }
            String partition = r.getTopic() + "-" + r.getPartition();
            if (r.getPartition() < 0) {
                throw new RuleViolation(ErrorCode.INVALID_REQUEST, "reassignments: partition must be >= 0, got " + r.getPartition()
                        + " for topic " + r.getTopic());
            }
            if (!partitions.add(partition)) {
                throw new RuleViolation(ErrorCode.INVALID_REQUEST, "reassignments: partition " + partition + " is named twice");
            }
            Set<Integer> seen = new HashSet<>();
            for (int n : r.getReplicasList()) {
                if (n < 0) {
                    throw new RuleViolation(ErrorCode.INVALID_REQUEST, partition + ": replicas must be node ids >= 0, got "
                            + r.getReplicasList());
                }
                if (!seen.add(n)) {
                    throw new RuleViolation(ErrorCode.INVALID_REPLICATION_FACTOR, partition + ": replicas must be distinct, got "
                            + r.getReplicasList());
                }
            }
        }
    }

    /**
     * The state after asking for {@code target} (empty: {@link #cancel}). Equal to
     * {@code current} when nothing changes (the target is already the replica list and no
     * reassignment is in progress).
     *
     * @throws RuleViolation INELIGIBLE_REPLICA when a target node is not live
     */
    public static PartitionState start(String topic, PartitionState current, List<Integer> target, LiveNodes nodes) {
        if (target.isEmpty()) {
            return cancel(current);
        }
        for (int n : target) {
            if (!nodes.isLive(n)) {
                throw new RuleViolation(ErrorCode.INELIGIBLE_REPLICA, topic + "-" + current.getPartition() + ": node " + n
                        + " is not a live storage node");
            }
        }
        if (target.equals(current.getReplicasList())) {
            return current.toBuilder().clearTargetReplicas().build();
        }
        List<Integer> union = new java.util.ArrayList<>(target);
        union.addAll(PartitionRules.minus(current.getReplicasList(), target));
        return current.toBuilder().clearReplicas().addAllReplicas(union).clearTargetReplicas().addAllTargetReplicas(target).build();
    }

    /**
     * Cancels the reassignment in progress: the target members in neither the ISR nor the ELR,
     * other than the leader, leave {@code replicas}; the target is cleared. Equal to
     * {@code current} when none is in progress.
     */
    public static PartitionState cancel(PartitionState current) {
        if (current.getTargetReplicasCount() == 0) {
            return current;
        }
        List<Integer> target = current.getTargetReplicasList();
        List<Integer> kept = current.getReplicasList().stream()
                .filter(r -> !target.contains(r) || current.getIsrList().contains(r) || current.getElrList().contains(r)
                        || r == current.getLeader())
                .toList();
        return current.toBuilder().clearReplicas().addAllReplicas(kept).clearTargetReplicas().build();
    }

    /**
     * Finishes the reassignment in progress once every target replica is in the ISR: leadership
     * moves into the target when the leader is not in it (to the first target replica, in target
     * order, that is in the ISR, live and began its run cleanly; none: wait), then
     * {@code replicas} = the target, ISR and ELR keep only target members, the target is cleared.
     *
     * @return the finished state and why, or empty while there is nothing to do yet
     */
    public static Optional<PartitionRules.Decision> progress(PartitionState s, LiveNodes nodes) {
        List<Integer> target = s.getTargetReplicasList();
        if (target.isEmpty() || !s.getIsrList().containsAll(target)) {
            return Optional.empty();
        }
        int leader = s.getLeader();
        String why = "reassignment done: every target replica " + target + " is in the ISR; replicas " + s.getReplicasList()
                + " -> " + target;
        PartitionState.Builder after = s.toBuilder();
        if (!target.contains(leader)) {
            Optional<Integer> next = target.stream().filter(r -> nodes.isLiveClean(r)).findFirst();
            if (next.isEmpty()) {
                return Optional.empty();
            }
            after.setLeader(next.get()).setLeaderEpoch(s.getLeaderEpoch() + 1);
            why += "; leadership moves from " + leader + " into the target, to " + next.get();
        }
        after.clearReplicas().addAllReplicas(target)
                .clearIsr().addAllIsr(s.getIsrList().stream().filter(target::contains).toList())
                .clearElr().addAllElr(s.getElrList().stream().filter(target::contains).toList())
                .clearTargetReplicas();
        return Optional.of(new PartitionRules.Decision(after.build(), why));
    }
}
