package io.strata.replication.rules;

import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionReassignment;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ReassignPartitionsRequest;
import io.strata.proto.v1.TopicMetadata;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Partition reassignment: start, progress (through the reconciler), cancel, replace, and the request's shape. */
class ReassignmentRulesTest {

    private static final LiveNodes ALL = new LiveNodes(Set.of(1, 2, 3, 4, 5, 6), Set.of());

    private static PartitionState state(List<Integer> replicas, int leader, List<Integer> isr) {
        return PartitionState.newBuilder().setTopic("t").setPartition(0).addAllReplicas(replicas).setLeader(leader)
                .setLeaderEpoch(5).addAllIsr(isr).setPartitionEpoch(9).build();
    }

    private static PartitionState reassigning(List<Integer> replicas, List<Integer> target, int leader, List<Integer> isr) {
        return state(replicas, leader, isr).toBuilder().addAllTargetReplicas(target).build();
    }

    private static List<PartitionChange> reconcile(PartitionState s, int... live) {
        ClusterMetadata.Builder cluster = ClusterMetadata.newBuilder()
                .addTopics(TopicMetadata.newBuilder().setName("t").addPartitions(s));
        for (int n : live) {
            cluster.addNodes(Node.newBuilder().setNodeId(n).setHost("h" + n).setPort(1));
        }
        return Reconciler.reconcile(cluster.build());
    }

    @Test
    void startingWritesTheUnionTargetFirstAndKeepsLeaderAndIsr() {
        PartitionState s = state(List.of(1, 2, 3), 1, List.of(1, 2, 3));

        PartitionState next = ReassignmentRules.start("t", s, List.of(4, 1, 2), ALL);

        assertThat(next.getReplicasList()).containsExactly(4, 1, 2, 3);
        assertThat(next.getTargetReplicasList()).containsExactly(4, 1, 2);
        assertThat(next.getLeader()).isEqualTo(1);
        assertThat(next.getLeaderEpoch()).isEqualTo(5);
        assertThat(next.getIsrList()).containsExactly(1, 2, 3);
        assertThat(next.getPartitionEpoch()).as("coordination bumps it").isEqualTo(9);
    }

    @Test
    void aTargetOfAnotherSizeIsAllowed() {
        PartitionState s = state(List.of(1, 2, 3), 1, List.of(1, 2, 3));

        assertThat(ReassignmentRules.start("t", s, List.of(4), ALL).getReplicasList()).containsExactly(4, 1, 2, 3);
        assertThat(ReassignmentRules.start("t", s, List.of(2, 1), ALL).getReplicasList()).containsExactly(2, 1, 3);
    }

    @Test
    void theCurrentReplicasAsTargetChangeNothing() {
        PartitionState s = state(List.of(1, 2, 3), 1, List.of(1, 2, 3));

        assertThat(ReassignmentRules.start("t", s, List.of(1, 2, 3), ALL)).isEqualTo(s);
    }

    @Test
    void aTargetNodeThatIsNotLiveIsIneligible() {
        PartitionState s = state(List.of(1, 2, 3), 1, List.of(1, 2, 3));

        assertThatThrownBy(() -> ReassignmentRules.start("t", s, List.of(4, 7), ALL)).isInstanceOfSatisfying(RuleViolation.class,
                v -> {
                    assertThat(v.code()).isEqualTo(ErrorCode.INELIGIBLE_REPLICA);
                    assertThat(v.getMessage()).contains("node 7");
                });
    }

    @Test
    void aNewTargetReplacesTheOneInProgress() {
        PartitionState s = reassigning(List.of(4, 5, 1, 2, 3), List.of(4, 5), 1, List.of(1, 2, 3, 4));

        PartitionState next = ReassignmentRules.start("t", s, List.of(6, 1), ALL);

        assertThat(next.getTargetReplicasList()).containsExactly(6, 1);
        assertThat(next.getReplicasList()).as("the replicas of the old target stay until the switch removes them")
                .containsExactly(6, 1, 4, 5, 2, 3);
        assertThat(next.getIsrList()).containsExactly(1, 2, 3, 4);
    }

    @Test
    void progressWaitsUntilEveryTargetReplicaIsInTheIsr() {
        PartitionState s = reassigning(List.of(4, 5, 1, 2, 3), List.of(4, 5, 1), 1, List.of(1, 2, 3, 4));

        assertThat(ReassignmentRules.progress(s, ALL)).isEmpty();
        assertThat(reconcile(s, 1, 2, 3, 4, 5)).isEmpty();
    }

    @Test
    void theSwitchKeepsALeaderThatIsInTheTarget() {
        PartitionState s = reassigning(List.of(4, 1, 2, 3), List.of(4, 1, 2), 1, List.of(1, 2, 3, 4));

        List<PartitionChange> changes = reconcile(s, 1, 2, 3, 4);

        assertThat(changes).hasSize(1);
        PartitionState after = changes.get(0).after();
        assertThat(after.getReplicasList()).containsExactly(4, 1, 2);
        assertThat(after.getIsrList()).containsExactly(1, 2, 4);
        assertThat(after.getTargetReplicasCount()).isZero();
        assertThat(after.getLeader()).isEqualTo(1);
        assertThat(after.getLeaderEpoch()).isEqualTo(5);
        assertThat(changes.get(0).leaderChanged()).isFalse();
        assertThat(changes.get(0).replicasChanged()).isTrue();
    }

    @Test
    void theSwitchMovesLeadershipIntoTheTargetInTheSameWrite() {
        PartitionState s = reassigning(List.of(4, 5, 6, 1, 2, 3), List.of(4, 5, 6), 1, List.of(1, 2, 3, 5, 6, 4))
                ;

        PartitionState after = ReassignmentRules.progress(s, new LiveNodes(Set.of(1, 2, 3, 4, 5, 6), Set.of(4))).orElseThrow().state();

        assertThat(after.getLeader()).as("the first clean target replica, in target order").isEqualTo(5);
        assertThat(after.getLeaderEpoch()).isEqualTo(6);
        assertThat(after.getReplicasList()).containsExactly(4, 5, 6);
        assertThat(after.getIsrList()).containsExactly(5, 6, 4);
        assertThat(after.getTargetReplicasCount()).isZero();
    }

    @Test
    void theSwitchKeepsOnlyTargetMembersInTheElr() {
        PartitionState s = reassigning(List.of(4, 1, 2), List.of(4, 1), 1, List.of(1, 4)).toBuilder().addElr(2).build();

        assertThat(ReassignmentRules.progress(s, ALL).orElseThrow().state().getElrList()).isEmpty();
    }

    @Test
    void theSwitchWaitsWhileNoTargetReplicaCanLead() {
        PartitionState s = reassigning(List.of(4, 1), List.of(4), 1, List.of(1, 4));

        assertThat(ReassignmentRules.progress(s, new LiveNodes(Set.of(1, 4), Set.of(4)))).isEmpty();
    }

    @Test
    void deadMembersAndElectionsComeFirst() {
        // Leader 1 died: the election picks 4 from the ISR, then the reassignment finishes.
        PartitionState s = reassigning(List.of(4, 2, 1), List.of(4, 2), 1, List.of(1, 2, 4));

        List<PartitionChange> changes = reconcile(s, 2, 4);

        assertThat(changes).hasSize(1);
        PartitionState after = changes.get(0).after();
        assertThat(after.getLeader()).isEqualTo(4);
        assertThat(after.getLeaderEpoch()).isEqualTo(6);
        assertThat(after.getReplicasList()).containsExactly(4, 2);
        assertThat(after.getIsrList()).containsExactly(2, 4);
        assertThat(changes.get(0).reason()).contains("elected 4").contains("reassignment done");
    }

    @Test
    void cancelDropsTheTargetReplicasThatNeverCaughtUpAndClearsTheTarget() {
        PartitionState s = reassigning(List.of(4, 5, 1, 2, 3), List.of(4, 5, 1), 1, List.of(1, 2, 3, 4));

        PartitionState next = ReassignmentRules.start("t", s, List.of(), ALL);

        assertThat(next.getReplicasList()).containsExactly(4, 1, 2, 3);
        assertThat(next.getTargetReplicasCount()).isZero();
        assertThat(next.getIsrList()).containsExactly(1, 2, 3, 4);
        assertThat(next.getLeader()).isEqualTo(1);
    }

    @Test
    void cancelNeverRemovesTheLeaderNorAnElrMember() {
        PartitionState s = reassigning(List.of(4, 5, 6, 1), List.of(4, 5, 6), 5, List.of(5)).toBuilder().addElr(6).build();

        assertThat(ReassignmentRules.cancel(s).getReplicasList()).containsExactly(5, 6, 1);
    }

    @Test
    void cancelWithoutAReassignmentChangesNothing() {
        PartitionState s = state(List.of(1, 2, 3), 1, List.of(1, 2, 3));

        assertThat(ReassignmentRules.start("t", s, List.of(), ALL)).isEqualTo(s);
    }

    @Test
    void theRequestShapeIsChecked() {
        assertShapeRefused(ReassignPartitionsRequest.getDefaultInstance(), ErrorCode.INVALID_REQUEST, "must not be empty");
        assertShapeRefused(request("", 0, 1), ErrorCode.INVALID_REQUEST, "topic");
        assertShapeRefused(request("t", -1, 1), ErrorCode.INVALID_REQUEST, "partition");
        assertShapeRefused(request("t", 0, 1, -2), ErrorCode.INVALID_REQUEST, ">= 0");
        assertShapeRefused(request("t", 0, 1, 2, 1), ErrorCode.INVALID_REPLICATION_FACTOR, "distinct");
        assertShapeRefused(request("t", 0, 1).toBuilder().addReassignments(PartitionReassignment.newBuilder().setTopic("t")
                .setPartition(0)).build(), ErrorCode.INVALID_REQUEST, "twice");
        ReassignmentRules.checkShape(request("t", 0));
        ReassignmentRules.checkShape(request("t", 0, 4, 1, 2));
    }

    private static ReassignPartitionsRequest request(String topic, int partition, Integer... replicas) {
        return ReassignPartitionsRequest.newBuilder().addReassignments(PartitionReassignment.newBuilder().setTopic(topic)
                .setPartition(partition).addAllReplicas(List.of(replicas))).build();
    }

    private static void assertShapeRefused(ReassignPartitionsRequest r, ErrorCode code, String messagePart) {
        assertThatThrownBy(() -> ReassignmentRules.checkShape(r)).isInstanceOfSatisfying(RuleViolation.class, v -> {
            assertThat(v.code()).isEqualTo(code);
            assertThat(v.getMessage()).contains(messagePart);
        });
    }
}
