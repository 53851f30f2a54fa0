package io.strata.replication.rules;

import io.strata.proto.v1.AlterIsrRequest;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicMetadata;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The controller's rules, one per test, on whole snapshots (the reconciler) and on AlterIsr. */
class ReconcilerTest {

    private static PartitionState state(List<Integer> replicas, int leader, List<Integer> isr, List<Integer> elr) {
        return PartitionState.newBuilder().setTopic("t").setPartition(0).addAllReplicas(replicas).setLeader(leader)
                .setLeaderEpoch(5).addAllIsr(isr).addAllElr(elr).setPartitionEpoch(9).build();
    }

    private static Node node(int id, boolean unclean) {
        return Node.newBuilder().setNodeId(id).setHost("h" + id).setPort(1).setUncleanShutdown(unclean).build();
    }

    private static ClusterMetadata cluster(PartitionState s, Map<String, String> topicConfigs, Node... live) {
        return ClusterMetadata.newBuilder().addAllNodes(List.of(live))
                .putDefaultConfigs("min.insync.replicas", "1").putDefaultConfigs("unclean.leader.election.enable", "false")
                .addTopics(TopicMetadata.newBuilder().setName("t").addPartitions(s).putAllConfigs(topicConfigs)).build();
    }

    private static PartitionState after(ClusterMetadata cluster) {
        List<PartitionChange> changes = Reconciler.reconcile(cluster);
        assertThat(changes).hasSize(1);
        assertThat(changes.get(0).before().getPartitionEpoch()).isEqualTo(changes.get(0).after().getPartitionEpoch());
        return changes.get(0).after();
    }

    private static final Map<String, String> MIN_ISR_2 = Map.of("min.insync.replicas", "2");

    @Test
    void aHealthyPartitionNeedsNothing() {
        assertThat(Reconciler.reconcile(cluster(state(List.of(1, 2, 3), 1, List.of(1, 2, 3), List.of()), Map.of(),
                node(1, false), node(2, false), node(3, false)))).isEmpty();
    }

    @Test
    void aDeadLeaderIsReplacedByTheFirstLiveIsrMemberInReplicaOrderWithTheNextEpoch() {
        PartitionState s = after(cluster(state(List.of(1, 2, 3), 1, List.of(3, 1, 2), List.of()), Map.of(), node(2, false), node(3, false)));

        assertThat(s.getLeader()).isEqualTo(2);
        assertThat(s.getLeaderEpoch()).isEqualTo(6);
        assertThat(s.getIsrList()).containsExactly(3, 2);
        assertThat(s.getElrList()).isEmpty();
    }

    @Test
    void aDeadFollowerLeavesTheIsrWithoutAnEpochBump() {
        PartitionState s = after(cluster(state(List.of(1, 2, 3), 1, List.of(1, 2, 3), List.of()), Map.of(), node(1, false), node(3, false)));

        assertThat(s.getLeader()).isEqualTo(1);
        assertThat(s.getLeaderEpoch()).isEqualTo(5);
        assertThat(s.getIsrList()).containsExactly(1, 3);
    }

    @Test
    void membersLeavingAnIsrBelowMinIsrGoToTheElr() {
        PartitionState s = after(cluster(state(List.of(1, 2, 3), 1, List.of(1, 2), List.of()), MIN_ISR_2, node(1, false), node(3, false)));

        assertThat(s.getIsrList()).containsExactly(1);
        assertThat(s.getElrList()).containsExactly(2);
    }

    @Test
    void anIsrAtMinIsrClearsTheElr() {
        PartitionState s = after(cluster(state(List.of(1, 2, 3), 1, List.of(1, 3), List.of(2)), MIN_ISR_2,
                node(1, false), node(2, false), node(3, false)));

        assertThat(s.getElrList()).isEmpty();
        assertThat(s.getLeaderEpoch()).isEqualTo(5);
    }

    @Test
    void theLastIsrMemberDyingLeavesThePartitionOfflineWithTheIsrKept() {
        PartitionState s = after(cluster(state(List.of(1, 2), 1, List.of(1), List.of()), Map.of(), node(2, false)));

        assertThat(s.getLeader()).isEqualTo(-1);
        assertThat(s.getLeaderEpoch()).isEqualTo(6);
        assertThat(s.getIsrList()).containsExactly(1);
    }

    @Test
    void whenTheWholeIsrDiesTheLastLeaderStaysAndTheOthersGoToTheElr() {
        PartitionState s = after(cluster(state(List.of(1, 2, 3), 2, List.of(1, 2), List.of()), MIN_ISR_2, node(3, false)));

        assertThat(s.getLeader()).isEqualTo(-1);
        assertThat(s.getIsrList()).containsExactly(2);
        assertThat(s.getElrList()).containsExactly(1);
    }

    @Test
    void anOfflinePartitionWithNothingEligibleStaysAsItIs() {
        assertThat(Reconciler.reconcile(cluster(state(List.of(1, 2), -1, List.of(1), List.of()), Map.of(), node(2, false)))).isEmpty();
    }

    @Test
    void theLastIsrMemberBackFromAnUncleanShutdownIsNotElectedWhileTheElrHasMembers() {
        PartitionState offline = state(List.of(1, 2, 3), -1, List.of(1), List.of(2));

        List<PartitionChange> changes = Reconciler.reconcile(cluster(offline, MIN_ISR_2, node(1, true)));

        assertThat(changes).isEmpty();
    }

    @Test
    void aCleanElrMemberIsElectedWithAnIsrOfItselfAndTheOldMemberMovesToTheElr() {
        PartitionState s = after(cluster(state(List.of(1, 2, 3), -1, List.of(1), List.of(2)), MIN_ISR_2, node(2, false)));

        assertThat(s.getLeader()).isEqualTo(2);
        assertThat(s.getLeaderEpoch()).isEqualTo(6);
        assertThat(s.getIsrList()).containsExactly(2);
        assertThat(s.getElrList()).containsExactly(1);
    }

    @Test
    void anElrMemberBackFromAnUncleanShutdownLeavesTheElrAndIsNotElected() {
        PartitionState s = after(cluster(state(List.of(1, 2, 3), -1, List.of(1), List.of(2)), MIN_ISR_2, node(2, true)));

        assertThat(s.getElrList()).isEmpty();
        assertThat(s.getLeader()).isEqualTo(-1);
        assertThat(s.getLeaderEpoch()).isEqualTo(5);
    }

    @Test
    void withAnEmptyElrTheLastIsrMemberStandingIsElectedDespiteAnUncleanShutdown() {
        PartitionState s = after(cluster(state(List.of(1, 2), -1, List.of(1), List.of()), Map.of(), node(1, true)));

        assertThat(s.getLeader()).isEqualTo(1);
        assertThat(s.getIsrList()).containsExactly(1);
    }

    @Test
    void aCleanIsrMemberIsPreferredToAnUncleanOneEarlierInReplicaOrder() {
        PartitionState s = after(cluster(state(List.of(1, 2, 3), 3, List.of(1, 2, 3), List.of()), Map.of(),
                node(1, true), node(2, false)));

        assertThat(s.getLeader()).isEqualTo(2);
    }

    @Test
    void anUncleanElectionHappensOnlyWhenTheTopicAllowsIt() {
        PartitionState offline = state(List.of(1, 2), -1, List.of(1), List.of());
        assertThat(Reconciler.reconcile(cluster(offline, Map.of(), node(2, false)))).isEmpty();

        PartitionState s = after(cluster(offline, Map.of("unclean.leader.election.enable", "true"), node(2, false)));

        assertThat(s.getLeader()).isEqualTo(2);
        assertThat(s.getLeaderEpoch()).isEqualTo(6);
        assertThat(s.getIsrList()).containsExactly(2);
        assertThat(s.getElrList()).isEmpty();
    }

    @Test
    void anUncleanElectionClearsTheElrWhenNoElrMemberIsLive() {
        PartitionState s = after(cluster(state(List.of(1, 2, 3), -1, List.of(1), List.of(2)),
                Map.of("min.insync.replicas", "2", "unclean.leader.election.enable", "true"), node(3, false)));

        assertThat(s.getLeader()).isEqualTo(3);
        assertThat(s.getIsrList()).containsExactly(3);
        assertThat(s.getElrList()).isEmpty();
    }

    @Test
    void thePreferredReplicaGetsLeadershipBackWhenSelected() {
        ClusterMetadata c = cluster(state(List.of(1, 2), 2, List.of(1, 2), List.of()), Map.of(), node(1, false), node(2, false));
        assertThat(Reconciler.reconcile(c)).isEmpty();

        List<PartitionChange> changes = Reconciler.reconcile(c, tp -> tp.getTopic().equals("t") && tp.getPartition() == 0);

        assertThat(changes).singleElement().satisfies(ch -> {
            assertThat(ch.after().getLeader()).isEqualTo(1);
            assertThat(ch.after().getLeaderEpoch()).isEqualTo(6);
            assertThat(ch.reason()).contains("preferred");
        });
    }

    @Test
    void thePreferredReplicaIsNotMovedToWhenOutOfTheIsrOrBackFromAnUncleanShutdown() {
        assertThat(Reconciler.reconcile(cluster(state(List.of(1, 2), 2, List.of(2), List.of()), Map.of(), node(1, false), node(2, false)),
                tp -> true)).isEmpty();
        assertThat(Reconciler.reconcile(cluster(state(List.of(1, 2), 2, List.of(1, 2), List.of()), Map.of(), node(1, true), node(2, false)),
                tp -> true)).isEmpty();
    }

    @Test
    void theTopicOverrideOfMinIsrWinsOverTheDefault() {
        ClusterMetadata c = cluster(state(List.of(1, 2, 3), 1, List.of(1, 2), List.of()), Map.of(), node(1, false), node(3, false));
        assertThat(after(c).getElrList()).isEmpty();
        assertThat(after(c.toBuilder().putDefaultConfigs("min.insync.replicas", "2").build()).getElrList()).containsExactly(2);
    }

    // AlterIsr

    private static AlterIsrRequest.Builder alter(List<Integer> isr) {
        return AlterIsrRequest.newBuilder().setTopic("t").setPartition(0).setLeaderId(1).setLeaderEpoch(5).setPartitionEpoch(9)
                .addAllNewIsr(isr);
    }

    private static final LiveNodes ALL = LiveNodes.of(List.of(node(1, false), node(2, false), node(3, true)));

    @Test
    void aShrinkBelowMinIsrPutsTheLeaverInTheElrAndAnExpansionTakesItOut() {
        PartitionState current = state(List.of(1, 2, 3), 1, List.of(1, 2), List.of());

        PartitionState shrunk = AlterIsrRules.apply(alter(List.of(1)).build(), current, new TopicPolicy(2, false), ALL);
        assertThat(shrunk.getIsrList()).containsExactly(1);
        assertThat(shrunk.getElrList()).containsExactly(2);

        PartitionState grown = AlterIsrRules.apply(alter(List.of(1, 2)).build(), shrunk, new TopicPolicy(2, false), ALL);
        assertThat(grown.getIsrList()).containsExactly(1, 2);
        assertThat(grown.getElrList()).isEmpty();
        assertThat(grown.getLeaderEpoch()).isEqualTo(5);
    }

    @Test
    void aNodeBackFromAnUncleanShutdownMayJoinTheIsrButNeverTheElr() {
        PartitionState current = state(List.of(1, 2, 3), 1, List.of(1, 3), List.of());

        PartitionState shrunk = AlterIsrRules.apply(alter(List.of(1)).build(), current, new TopicPolicy(3, false), ALL);

        assertThat(shrunk.getElrList()).isEmpty();
    }

    @Test
    void alterIsrRefusalsNameTheirReason() {
        PartitionState current = state(List.of(1, 2, 3), 1, List.of(1, 2), List.of());
        LiveNodes twoDead = LiveNodes.of(List.of(node(1, false), node(2, false)));
        TopicPolicy policy = TopicPolicy.DEFAULT;

        assertRefused(() -> AlterIsrRules.apply(alter(List.of(1)).setLeaderEpoch(4).build(), current, policy, ALL),
                ErrorCode.FENCED_LEADER_EPOCH);
        assertRefused(() -> AlterIsrRules.apply(alter(List.of(2)).setLeaderId(2).build(), current, policy, ALL), ErrorCode.NOT_LEADER);
        assertRefused(() -> AlterIsrRules.apply(alter(List.of(1)).setPartitionEpoch(8).build(), current, policy, ALL),
                ErrorCode.CAS_FAILED);
        assertRefused(() -> AlterIsrRules.apply(alter(List.of(1, 7)).build(), current, policy, ALL), ErrorCode.INELIGIBLE_REPLICA);
        assertRefused(() -> AlterIsrRules.apply(alter(List.of(1, 2, 3)).build(), current, policy, twoDead), ErrorCode.INELIGIBLE_REPLICA);
    }

    @Test
    void alterIsrShapeChecksAreInvalidRequest() {
        assertRefused(() -> AlterIsrRules.checkShape(alter(List.of(1)).setTopic("").build()), ErrorCode.INVALID_REQUEST);
        assertRefused(() -> AlterIsrRules.checkShape(alter(List.of(1)).setPartition(-1).build()), ErrorCode.INVALID_REQUEST);
        assertRefused(() -> AlterIsrRules.checkShape(alter(List.of()).build()), ErrorCode.INVALID_REQUEST);
        assertRefused(() -> AlterIsrRules.checkShape(alter(List.of(1, 1)).build()), ErrorCode.INVALID_REQUEST);
        assertRefused(() -> AlterIsrRules.checkShape(alter(List.of(2)).build()), ErrorCode.INVALID_REQUEST);
        assertRefused(() -> AlterIsrRules.checkShape(alter(List.of(1)).setLeaderEpoch(-1).build()), ErrorCode.INVALID_REQUEST);
        AlterIsrRules.checkShape(alter(List.of(1, 2)).build());
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, ErrorCode code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(RuleViolation.class, v -> assertThat(v.code()).isEqualTo(code));
    }
}
