package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.MemberDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.strata.groups.coordinator.Fixture.GROUP;
import static io.strata.groups.coordinator.Fixture.error;
import static io.strata.groups.coordinator.Fixture.partitions;
import static io.strata.groups.coordinator.Fixture.range;
import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class MembershipTest {

    private final Fixture f = new Fixture();

    @Test
    void aJoiningMemberGetsAMemberIdAndEveryPartition() {
        f.topic("t", 4);
        Client a = f.client("t");

        GroupHeartbeatResponse joined = a.heartbeat();

        assertThat(joined.getMemberId()).hasSize("member-1".length());
        assertThat(joined.getMemberEpoch()).isEqualTo(1);
        assertThat(a.assignment).isEqualTo(range("t", 4));
        assertThat(joined.getHeartbeatIntervalMs()).isEqualTo(1000);
        a.reconcile();
        GroupHeartbeatResponse next = a.heartbeat();
        assertThat(next.getMemberEpoch()).isEqualTo(1);
        assertThat(next.hasAssignment()).as("unchanged assignment is not re-sent").isFalse();
        assertThat(f.groupEpoch()).isEqualTo(1);
        assertThat(f.describe().getState()).isEqualTo("stable");
        f.checkInvariants(GROUP);
    }

    @Test
    void realMemberIdsAreRandomBase64Url() {
        GroupCoordinator coordinator = new GroupCoordinator(GroupSettings.defaults(), f.clock, f.persistence, f.offsets);
        coordinator.topicsChanged(Map.of("t", 1));
        GroupHeartbeatResponse response = Fixture.await(coordinator.heartbeat(f.client("t").request(0), "h"));
        assertThat(response.getMemberId()).matches("[A-Za-z0-9_-]{22}");
    }

    @Test
    void aPartitionMovesOnlyAfterItsOwnerAcknowledgedTheRevocation() {
        f.topic("t", 6);
        Client a = f.client("t");
        a.join();
        assertThat(a.owned).isEqualTo(range("t", 6));

        Client b = f.client("t");
        GroupHeartbeatResponse joined = b.heartbeat();
        assertThat(joined.getMemberEpoch()).isEqualTo(2);
        assertThat(b.assignment).as("every partition of b's target is still a's").isEmpty();
        assertThat(joined.getHeartbeatIntervalMs()).isEqualTo(100);
        f.checkInvariants(GROUP);

        GroupHeartbeatResponse revoke = a.heartbeat();
        assertThat(revoke.getMemberEpoch()).as("a stays at its epoch until it revoked").isEqualTo(1);
        assertThat(a.assignment).hasSize(3);
        Set<TopicPartition> revoked = new HashSet<>(a.owned);
        revoked.removeAll(a.assignment);
        f.checkInvariants(GROUP);

        // a has not acknowledged yet: b still gets nothing, a is asked again.
        b.poll();
        assertThat(b.assignment).isEmpty();
        assertThat(a.heartbeat().getMemberEpoch()).isEqualTo(1);
        f.checkInvariants(GROUP);

        a.reconcile();
        GroupHeartbeatResponse acked = a.heartbeat();
        assertThat(acked.getMemberEpoch()).isEqualTo(2);
        assertThat(acked.getHeartbeatIntervalMs()).isEqualTo(1000);
        f.checkInvariants(GROUP);

        GroupHeartbeatResponse assigned = b.poll();
        assertThat(b.assignment).isEqualTo(revoked);
        assertThat(assigned.getHeartbeatIntervalMs()).isEqualTo(1000);
        assertThat(f.describe().getState()).isEqualTo("stable");
        f.checkInvariants(GROUP);
    }

    @Test
    void membersWhoseShareDoesNotChangeAreNeverAskedToRevoke() {
        f.topic("x", 3).topic("y", 4);
        Client onX = f.client("x");
        Client onY = f.client("y");
        f.settle(List.of(onX, onY));
        Set<TopicPartition> xOwned = Set.copyOf(onX.owned);

        Client secondOnY = f.client("y");
        secondOnY.join();
        for (int round = 0; round < 5; round++) {
            onX.poll();
            assertThat(onX.assignment).as("never asked to give anything up").isEqualTo(xOwned);
            assertThat(onX.owned).isEqualTo(xOwned);
            onY.poll();
            secondOnY.poll();
            f.checkInvariants(GROUP);
        }
        assertThat(onX.epoch).isEqualTo(f.groupEpoch());
        assertThat(onY.owned).hasSize(2);
        assertThat(secondOnY.owned).hasSize(2);
    }

    @Test
    void severalMembersSplitTheGroupsPartitions() {
        f.topic("t", 10).topic("u", 5);
        List<Client> clients = List.of(f.client("t", "u"), f.client("t", "u"), f.client("t", "u"));
        f.settle(clients);
        Set<TopicPartition> all = new HashSet<>();
        for (Client client : clients) {
            assertThat(client.owned).hasSize(5);
            all.addAll(client.owned);
        }
        assertThat(all).hasSize(15);
    }

    @Test
    void aLeavingMembersPartitionsGoToTheOthers() {
        f.topic("t", 4);
        Client a = f.client("t");
        Client b = f.client("t");
        f.settle(List.of(a, b));
        int epoch = f.groupEpoch();

        b.leave(-1);

        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);
        a.poll();
        assertThat(a.owned).isEqualTo(range("t", 4));
        assertThat(a.epoch).isEqualTo(epoch + 1);
        f.checkInvariants(GROUP);
    }

    @Test
    void aMemberWhoseSessionEndsIsRemovedAndItsPartitionsReassigned() {
        f.topic("t", 4);
        Client a = f.client("t").session(3000);
        Client b = f.client("t").session(3000);
        f.settle(List.of(a, b));
        int epoch = f.groupEpoch();

        f.advance(Duration.ofMillis(2000));
        a.poll();
        f.tick();
        assertThat(f.groupEpoch()).isEqualTo(epoch);
        f.advance(Duration.ofMillis(1000));
        f.tick();

        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);
        assertThat(f.describe().getMembersList()).extracting(MemberDescription::getMemberId).containsExactly(a.memberId);
        a.poll();
        assertThat(a.owned).isEqualTo(range("t", 4));
        assertThat(b.heartbeatError().code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        f.checkInvariants(GROUP);
    }

    @Test
    void aMemberThatNeverRevokesIsRemovedAfterItsRebalanceTimeout() {
        f.topic("t", 4);
        Client a = f.client("t").rebalance(5000);
        a.join();
        Client b = f.client("t");
        b.join();
        a.heartbeat(); // asked to revoke two partitions; it never does
        assertThat(a.assignment).hasSize(2);

        for (int second = 1; second <= 4; second++) {
            f.advance(Duration.ofSeconds(1));
            a.heartbeat();
            b.poll();
            f.tick();
            assertThat(b.owned).isEmpty();
        }
        f.advance(Duration.ofSeconds(1));
        f.tick();

        assertThat(f.describe().getMembersList()).extracting(MemberDescription::getMemberId).containsExactly(b.memberId);
        b.poll();
        assertThat(b.owned).isEqualTo(range("t", 4));
        assertThat(a.heartbeatError().code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        f.checkInvariants(GROUP);
    }

    @Test
    void aWrongEpochIsFencedAndTheMembershipRemoved() {
        f.topic("t", 4);
        Client a = f.client("t");
        Client b = f.client("t");
        f.settle(List.of(a, b));
        int epoch = f.groupEpoch();

        a.epoch = epoch + 5;
        assertThat(a.heartbeatError().code()).isEqualTo(ErrorCode.FENCED_MEMBER_EPOCH);

        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);
        assertThat(f.describe().getMembersList()).hasSize(1);
        b.poll();
        assertThat(b.owned).isEqualTo(range("t", 4));
        // The fenced member gives up everything and rejoins under a new member id.
        String old = a.memberId;
        a.lost();
        a.join();
        assertThat(a.memberId).isNotEqualTo(old);
        f.settle(List.of(a, b));
        assertThat(a.owned).hasSize(2);
        f.checkInvariants(GROUP);
    }

    @Test
    void aRejoinUnderTheOldMemberIdReplacesTheOldMembership() {
        f.topic("t", 4);
        Client a = f.client("t");
        a.join();
        GroupHeartbeatRequest rejoin = a.request(0).toBuilder().setMemberId(a.memberId).build();

        GroupHeartbeatResponse response = Fixture.await(f.coordinator.heartbeat(rejoin, "h"));

        assertThat(response.getMemberId()).isNotEqualTo(a.memberId);
        assertThat(f.describe().getMembersList()).extracting(MemberDescription::getMemberId)
                .containsExactly(response.getMemberId());
        f.checkInvariants(GROUP);
    }

    @Test
    void theEpochBeforeALostResponseIsAcceptedWhileTheMemberOwnsNothingItShouldNot() {
        f.topic("t", 4);
        Client a = f.client("t");
        a.join();
        Client b = f.client("t");
        b.join();
        a.heartbeat();
        a.reconcile();
        a.heartbeat(); // a acknowledges: epoch 1 -> 2, owns two partitions
        assertThat(a.epoch).isEqualTo(2);

        // The response moving a to epoch 2 was lost: a sends epoch 1 and owns what it is assigned.
        a.epoch = 1;
        GroupHeartbeatResponse answered = a.heartbeat();
        assertThat(answered.getMemberEpoch()).isEqualTo(2);

        // Epoch 1 while still listing a partition it gave up: fenced.
        a.epoch = 1;
        a.owned = range("t", 4);
        assertThat(a.heartbeatError().code()).isEqualTo(ErrorCode.FENCED_MEMBER_EPOCH);
        f.checkInvariants(GROUP);
    }

    @Test
    void aResponseMissedAtTheSameEpochIsResentBecauseOwnedDiffers() {
        f.topic("t", 4);
        Client a = f.client("t");
        a.join();
        Client b = f.client("t");
        b.join();
        Fixture.await(a.send()); // the revocation response is lost
        GroupHeartbeatResponse again = a.heartbeat();
        assertThat(again.hasAssignment()).isTrue();
        assertThat(a.assignment).hasSize(2);
    }

    @Test
    void aMemberThatMissedItsRevocationIsToldItsAssignmentWhenItsEpochMoves() {
        f.topic("t", 2);
        Client a = f.client("t");
        a.heartbeat(); // assigned t-0 and t-1; a has not started to own them yet
        Client b = f.client("t");
        b.join();
        Set<TopicPartition> kept = GroupRecords.fromProto(f.describe().getMembersList().stream()
                .filter(m -> m.getMemberId().equals(a.memberId)).findFirst().orElseThrow()
                .getTargetAssignment().getPartitionsList());
        assertThat(kept).hasSize(1);
        a.owned = new HashSet<>(kept); // a took up only the partition it keeps
        Fixture.await(a.send()); // the response asking a to give up the other is lost

        // a owns nothing it must give up: that acknowledges the revocation and moves its epoch. It
        // must learn its assignment now, or it would take up the revoked partition from the one it holds.
        GroupHeartbeatResponse acked = a.heartbeat();

        assertThat(acked.getMemberEpoch()).isEqualTo(2);
        assertThat(acked.hasAssignment()).isTrue();
        assertThat(a.assignment).isEqualTo(kept);
        f.checkInvariants(GROUP);
    }

    @Test
    void requestsAreValidated() {
        f.topic("t", 4);
        assertInvalid(f.client("t").request(0).toBuilder().setSubscribedTopicRegex("orders-(").clearSubscribedTopicNames(),
                "orders-(");
        assertInvalid(f.client("t").request(0).toBuilder().setServerAssignor("sticky"), "uniform, range");
        assertInvalid(f.client("t").request(0).toBuilder().setSessionTimeoutMs(500), "session_timeout_ms");
        assertInvalid(f.client("t").request(0).toBuilder().setSessionTimeoutMs(600_000), "session_timeout_ms");
        assertInvalid(f.client("t").request(0).toBuilder().setRebalanceTimeoutMs(-1), "rebalance_timeout_ms");
        assertInvalid(f.client().request(0).toBuilder(), "subscribe");
        assertInvalid(f.client("t").request(0).toBuilder().setSubscribedTopicRegex("t.*"), "not both");
        assertInvalid(f.client("t").request(0).toBuilder().setGroupId("a/b"), "'/'");
        assertInvalid(f.client("t").request(0).toBuilder().setGroupId(""), "group id");
        assertInvalid(f.client("t").request(0).toBuilder().setGroupId("x".repeat(250)), "249");
        assertInvalid(f.client("t").request(0).toBuilder().setMemberEpoch(-3), "member_epoch");
        assertInvalid(f.client("t").request(5).toBuilder().setMemberId(""), "member_id");
        assertThat(f.coordinator.listGroups()).as("refused joins leave no group behind").isEmpty();
    }

    private void assertInvalid(GroupHeartbeatRequest.Builder request, String messagePart) {
        GroupException e = error(f.coordinator.heartbeat(request.build(), "h"));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(e.getMessage()).contains(messagePart);
    }

    @Test
    void theGroupSizeIsLimited() {
        GroupSettings defaults = GroupSettings.defaults();
        Fixture small = new Fixture(new GroupSettings(defaults.defaultSessionTimeout(), defaults.minSessionTimeout(),
                defaults.maxSessionTimeout(), defaults.heartbeatInterval(), defaults.reconcilingHeartbeatInterval(),
                defaults.defaultRebalanceTimeout(), 2, "uniform"));
        small.topic("t", 4);
        small.client("t").join();
        small.client("t").join();
        GroupException e = error(small.client("t").send());
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(e.getMessage()).contains("maximum size of 2");
    }

    @Test
    void unknownMembersAreRefused() {
        f.topic("t", 4);
        Client ghost = f.client("t");
        ghost.memberId = "nobody";
        ghost.epoch = 3;
        assertThat(ghost.heartbeatError().code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        f.client("t").join();
        assertThat(ghost.heartbeatError().code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        assertThat(error(f.coordinator.heartbeat(ghost.request(-1), "h")).code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aRegexSubscriptionPicksUpANewMatchingTopic() {
        f.topic("orders-eu", 2).topic("payments", 3);
        Client a = f.client();
        a.regex = "orders-.*";
        a.join();
        assertThat(a.owned).isEqualTo(range("orders-eu", 2));
        int epoch = f.groupEpoch();

        f.topic("audit", 1);
        assertThat(f.groupEpoch()).as("a topic the regex does not match").isEqualTo(epoch);
        f.topic("orders-us", 2);
        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);

        a.poll();
        Set<TopicPartition> expected = range("orders-eu", 2);
        expected.addAll(range("orders-us", 2));
        assertThat(a.owned).isEqualTo(expected);
        assertThat(f.describe().getMembers(0).getSubscribedTopicRegex()).isEqualTo("orders-.*");
    }

    @Test
    void aRegexMustMatchTheWholeTopicName() {
        f.topic("orders-eu", 2);
        Client a = f.client();
        a.regex = "orders";
        a.join();
        assertThat(a.owned).isEmpty();
    }

    @Test
    void partitionCountGrowthRetargets() {
        f.topic("t", 2);
        Client a = f.client("t");
        Client b = f.client("t");
        f.settle(List.of(a, b));
        int epoch = f.groupEpoch();

        f.topic("t", 6);

        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);
        f.settle(List.of(a, b));
        assertThat(a.owned).hasSize(3);
        assertThat(b.owned).hasSize(3);
    }

    @Test
    void aDeletedTopicsPartitionsAreRevoked() {
        f.topic("t", 2).topic("u", 2);
        Client a = f.client("t", "u");
        a.join();
        f.topic("u", 0);
        a.heartbeat();
        assertThat(a.assignment).isEqualTo(range("t", 2));
        a.reconcile();
        a.heartbeat();
        assertThat(a.stable()).isTrue();
    }

    @Test
    void aSubscriptionChangeBumpsTheGroupEpoch() {
        f.topic("t", 2).topic("u", 2);
        Client a = f.client("t");
        a.join();
        int epoch = f.groupEpoch();

        a.poll();
        assertThat(f.groupEpoch()).as("same subscription").isEqualTo(epoch);
        a.topics = List.of("t", "u");
        a.poll();
        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);
        a.poll();
        Set<TopicPartition> expected = range("t", 2);
        expected.addAll(range("u", 2));
        assertThat(a.owned).isEqualTo(expected);

        // Empty fields in a later heartbeat mean "unchanged".
        a.topics = List.of();
        a.poll();
        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);
        assertThat(a.owned).isEqualTo(expected);
    }

    @Test
    void theGroupUsesTheAssignorMostMembersAskFor() {
        f.topic("t", 4);
        Client a = f.client("t");
        a.assignor = "range";
        a.join();
        assertThat(f.describe().getAssignor()).isEqualTo("range");
        Client b = f.client("t");
        b.join();
        assertThat(f.describe().getAssignor()).as("a tie keeps the current one").isEqualTo("range");
        Client c = f.client("t");
        c.assignor = "uniform";
        c.join();
        assertThat(f.describe().getAssignor()).isEqualTo("uniform");
        assertThat(f.persistence.lastRecord(GROUP).getAssignor()).isEqualTo("uniform");
    }

    @Test
    void aNewMemberStartsReconciliationAtTheAssignmentEpochWithPartitionsNotHeldByOthers() {
        f.topic("t", 2);
        Client a = f.client("t");
        a.join();
        f.topic("u", 2);
        Client b = f.client("u");
        b.join();
        assertThat(b.owned).isEqualTo(partitions("u", 0, 1));
        assertThat(b.epoch).isEqualTo(f.groupEpoch());
    }
}
