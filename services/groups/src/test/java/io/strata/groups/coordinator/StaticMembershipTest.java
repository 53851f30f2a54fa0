package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.MemberDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static io.strata.groups.coordinator.Fixture.GROUP;
import static io.strata.groups.coordinator.Fixture.range;
import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class StaticMembershipTest {

    private final Fixture f = new Fixture();

    @Test
    void aStaticMemberThatLeavesTemporarilyComesBackToItsPartitionsWithoutARebalance() {
        f.topic("t", 6);
        Client stat = f.client("t").instance("host-1");
        Client dyn = f.client("t");
        f.settle(List.of(stat, dyn));
        Set<TopicPartition> mine = Set.copyOf(stat.owned);
        int epoch = f.groupEpoch();
        int memberEpoch = stat.epoch;
        String oldId = stat.memberId;

        stat.leave(-2);

        assertThat(f.groupEpoch()).isEqualTo(epoch);
        MemberDescription departed = f.describe().getMembersList().stream()
                .filter(m -> m.getMemberId().equals(oldId)).findFirst().orElseThrow();
        assertThat(departed.getMemberEpoch()).isEqualTo(-2);
        assertThat(GroupRecords.fromProto(departed.getAssignment().getPartitionsList())).isEqualTo(mine);
        assertThat(f.persistence.lastRecord(GROUP).getMembersList())
                .anyMatch(m -> m.getMemberId().equals(oldId) && m.getDeparted());
        dyn.poll();
        assertThat(dyn.owned).as("the departed member's partitions stay its own").hasSize(3);
        f.checkInvariants(GROUP);

        f.advance(Duration.ofSeconds(5));
        GroupHeartbeatResponse back = stat.heartbeat();

        assertThat(back.getMemberId()).isNotEqualTo(oldId);
        assertThat(back.getMemberEpoch()).isEqualTo(memberEpoch);
        assertThat(stat.assignment).isEqualTo(mine);
        assertThat(f.groupEpoch()).isEqualTo(epoch);
        assertThat(f.describe().getMembersList()).extracting(MemberDescription::getMemberId)
                .containsExactlyInAnyOrder(back.getMemberId(), dyn.memberId);
        stat.reconcile();
        assertThat(stat.heartbeat().getHeartbeatIntervalMs()).isEqualTo(1000);
        f.checkInvariants(GROUP);
    }

    @Test
    void aDepartedStaticMemberNotBackWithinItsSessionTimeoutIsRemoved() {
        f.topic("t", 6);
        Client stat = f.client("t").instance("host-1").session(3000);
        Client dyn = f.client("t");
        f.settle(List.of(stat, dyn));
        int epoch = f.groupEpoch();

        stat.leave(-2);
        f.advance(Duration.ofMillis(2900));
        dyn.poll();
        f.tick();
        assertThat(f.describe().getMembersList()).hasSize(2);
        f.advance(Duration.ofMillis(100));
        f.tick();

        assertThat(f.describe().getMembersList()).extracting(MemberDescription::getMemberId).containsExactly(dyn.memberId);
        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);
        dyn.poll();
        assertThat(dyn.owned).isEqualTo(range("t", 6));

        // Coming back later is an ordinary join.
        stat.join();
        assertThat(f.groupEpoch()).isEqualTo(epoch + 2);
        f.checkInvariants(GROUP);
    }

    @Test
    void anInstanceIdHeldByALiveMemberIsRefused() {
        f.topic("t", 2);
        Client first = f.client("t").instance("host-1");
        first.join();
        GroupException e = f.client("t").instance("host-1").heartbeatError();
        assertThat(e.code()).isEqualTo(ErrorCode.UNRELEASED_INSTANCE_ID);
        assertThat(f.describe().getMembersList()).hasSize(1);
    }

    @Test
    void aStaticMemberRejoiningWithAnotherSubscriptionRebalances() {
        f.topic("t", 2).topic("u", 2);
        Client stat = f.client("t").instance("host-1");
        stat.join();
        int epoch = f.groupEpoch();
        stat.leave(-2);
        Client back = f.client("t", "u").instance("host-1");
        back.join();
        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);
        back.poll();
        assertThat(back.owned).hasSize(4);
        f.checkInvariants(GROUP);
    }

    @Test
    void leavingWithMinusOneRemovesAStaticMemberAtOnce() {
        f.topic("t", 2);
        Client stat = f.client("t").instance("host-1");
        stat.join();
        int epoch = f.groupEpoch();
        stat.leave(-1);
        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);
        assertThat(f.describe().getMembersList()).isEmpty();
        f.client("t").instance("host-1").join();
    }

    @Test
    void onlyStaticMembersMayLeaveTemporarily() {
        f.topic("t", 2);
        Client dyn = f.client("t");
        dyn.join();
        GroupException e = Fixture.error(f.coordinator.heartbeat(dyn.request(-2), "h"));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    void aDepartedMembersOldIdIsNoLongerAMember() {
        f.topic("t", 2);
        Client stat = f.client("t").instance("host-1");
        stat.join();
        String oldId = stat.memberId;
        int oldEpoch = stat.epoch;
        Fixture.await(f.coordinator.heartbeat(stat.request(-2), "h"));
        stat.memberId = oldId;
        stat.epoch = oldEpoch;
        assertThat(stat.heartbeatError().code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
    }
}
