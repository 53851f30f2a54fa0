package io.strata.replication.rules;

import io.strata.proto.TopicNames;
import io.strata.proto.v1.AlterIsrRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionState;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * AlterIsr (Kafka's AlterPartition) as pure functions: the request's shape, then the change
 * against the partition's current state, with the ELR rules of {@link PartitionRules#elrAfter}.
 */
public final class AlterIsrRules {

    private AlterIsrRules() {
    }

    /**
     * Checks what needs no state: a valid topic name, partition, leader id and epochs &gt;= 0, a
     * non-empty ISR of distinct node ids &gt;= 0 that contains the leader.
     *
     * @throws RuleViolation INVALID_REQUEST naming the field
     */
    public static void checkShape(AlterIsrRequest r) {
        String topicError = TopicNames.validate(r.getTopic());
        if (topicError != null) {
            throw invalid("topic: " + topicError);
        }
        if (r.getPartition() < 0) {
            throw invalid("partition must be >= 0, got " + r.getPartition());
        }
        if (r.getLeaderId() < 0) {
            throw invalid("leader_id must be >= 0, got " + r.getLeaderId());
        }
        if (r.getLeaderEpoch() < 0 || r.getPartitionEpoch() < 0) {
            throw invalid("leader_epoch and partition_epoch must be >= 0, got " + r.getLeaderEpoch() + " and " + r.getPartitionEpoch());
        }
        if (r.getNewIsrCount() == 0) {
            throw invalid("new_isr must not be empty (it holds at least the leader)");
        }
        Set<Integer> seen = new HashSet<>();
        for (int n : r.getNewIsrList()) {
            if (n < 0 || !seen.add(n)) {
                throw invalid("new_isr must be distinct node ids >= 0, got " + r.getNewIsrList());
            }
        }
        if (!seen.contains(r.getLeaderId())) {
            throw invalid("new_isr " + r.getNewIsrList() + " must contain the leader " + r.getLeaderId());
        }
    }

    /**
     * The state after the leader's ISR change: {@code current} with the new ISR and its ELR.
     * Equal to {@code current} when the ISR does not change.
     *
     * @throws RuleViolation FENCED_LEADER_EPOCH (the asker's leader epoch is not the partition's),
     *                       NOT_LEADER (it does not lead), CAS_FAILED (its view is not the current
     *                       partition epoch), INELIGIBLE_REPLICA (a non-replica, or a node added
     *                       that is not live)
     */
    public static PartitionState apply(AlterIsrRequest r, PartitionState current, TopicPolicy policy, LiveNodes nodes) {
        String partition = r.getTopic() + "-" + r.getPartition();
        if (r.getLeaderEpoch() != current.getLeaderEpoch()) {
            throw new RuleViolation(ErrorCode.FENCED_LEADER_EPOCH, partition + ": leader epoch " + r.getLeaderEpoch()
                    + " is not the current " + current.getLeaderEpoch() + " (leader " + current.getLeader() + ")");
        }
        if (r.getLeaderId() != current.getLeader()) {
            throw new RuleViolation(ErrorCode.NOT_LEADER, partition + ": node " + r.getLeaderId() + " does not lead it; the leader is "
                    + current.getLeader());
        }
        if (r.getPartitionEpoch() != current.getPartitionEpoch()) {
            throw new RuleViolation(ErrorCode.CAS_FAILED, partition + ": partition epoch " + r.getPartitionEpoch()
                    + " is not the current " + current.getPartitionEpoch() + "; re-read the state and retry");
        }
        List<Integer> newIsr = r.getNewIsrList();
        for (int n : newIsr) {
            if (!current.getReplicasList().contains(n)) {
                throw new RuleViolation(ErrorCode.INELIGIBLE_REPLICA, partition + ": node " + n + " is not a replica "
                        + current.getReplicasList());
            }
            if (!current.getIsrList().contains(n) && !nodes.isLive(n)) {
                throw new RuleViolation(ErrorCode.INELIGIBLE_REPLICA, partition + ": node " + n + " cannot join the ISR: it is not live");
            }
        }
        if (newIsr.equals(current.getIsrList())) {
            return current;
        }
        List<Integer> elr = PartitionRules.elrAfter(current.getReplicasList(), current.getIsrList(), newIsr, current.getElrList(),
                policy.minIsr(), nodes);
        return current.toBuilder().clearIsr().addAllIsr(newIsr).clearElr().addAllElr(elr).build();
    }

    private static RuleViolation invalid(String message) {
        return new RuleViolation(ErrorCode.INVALID_REQUEST, message);
    }
}
