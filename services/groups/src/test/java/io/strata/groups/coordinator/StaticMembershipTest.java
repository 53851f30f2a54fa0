package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.MemberDescription;
import io.strata.proto.v1.MemberRecord;
import io.strata.proto.v1.OffsetCommit;
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
    void aStaticMemberRestartedAfterACrashWithinItsSessionTimeoutGetsItsPartitionsBackWithoutARebalance() {
        f.topic("t", 6);
        Client crashed = f.client("t").instance("host-1").session(10_000);
        Client a = f.client("t");
        Client b = f.client("t");
        f.settle(List.of(crashed, a, b));
        Set<TopicPartition> mine = Set.copyOf(crashed.owned);
        Set<TopicPartition> aOwns = Set.copyOf(a.owned);
        Set<TopicPartition> bOwns = Set.copyOf(b.owned);
        int epoch = f.groupEpoch();
        int memberEpoch = crashed.epoch;
        String oldId = crashed.memberId;
        assertThat(mine).hasSize(2);

        // kill -9: no leave. The process restarts 4 s later (session timeout 10 s) and joins afresh.
        f.advance(Duration.ofSeconds(4));
        Client restarted = f.client("t").instance("host-1").session(10_000);
        GroupHeartbeatResponse back = restarted.join();

        assertThat(back.getMemberId()).isNotEqualTo(oldId);
        assertThat(back.getMemberEpoch()).isEqualTo(memberEpoch);
        assertThat(restarted.assignment).isEqualTo(mine);
        assertThat(f.groupEpoch()).as("no rebalance").isEqualTo(epoch);
        assertThat(f.describe().getMembersList()).extracting(MemberDescription::getMemberId)
                .containsExactlyInAnyOrder(back.getMemberId(), a.memberId, b.memberId);
        List<MemberRecord> storedStatic = f.persistence.lastRecord(GROUP).getMembersList().stream()
                .filter(m -> m.getInstanceId().equals("host-1")).toList();
        assertThat(storedStatic).hasSize(1);
        MemberRecord stored = storedStatic.getFirst();
        assertThat(stored.getMemberId()).as("the record shows the new member id").isEqualTo(back.getMemberId());
        assertThat(GroupRecords.fromProto(stored.getAssignedList())).isEqualTo(mine);
        assertThat(f.persistence.lastRecord(GROUP).getMembersList()).extracting(MemberRecord::getMemberId)
                .doesNotContain(oldId);
        a.poll();
        b.poll();
        assertThat(a.assignment).as("nothing moves to the others").isEqualTo(aOwns);
        assertThat(b.assignment).isEqualTo(bOwns);
        assertThat(restarted.heartbeat().getHeartbeatIntervalMs()).as("stable at once").isEqualTo(1000);
        f.checkInvariants(GROUP);

        // The old process, were it alive (two processes with one instance id), is fenced and changes nothing.
        int puts = f.persistence.puts().size();
        GroupException heartbeat = crashed.heartbeatError();
        assertThat(heartbeat.code()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
        assertThat(heartbeat.getMessage()).contains("host-1", back.getMemberId());
        GroupException commit = Fixture.error(f.coordinator.commitOffsets(CommitOffsetsRequest.newBuilder()
                .setGroupId(GROUP).setMemberId(oldId).setMemberEpoch(memberEpoch)
                .addOffsets(OffsetCommit.newBuilder().setTopic("t").setPartition(0).setOffset(42)).build()));
        assertThat(commit.code()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
        assertThat(Fixture.error(f.coordinator.heartbeat(crashed.request(-2), "h")).code())
                .as("its leave").isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
        assertThat(Fixture.error(f.coordinator.heartbeat(crashed.request(-1), "h")).code())
                .isEqualTo(ErrorCode.FENCED_INSTANCE_ID);

        assertThat(f.persistence.puts()).as("nothing written").hasSize(puts);
        assertThat(f.persistence.stores()).as("no offset stored").isEmpty();
        assertThat(f.coordinator.fetchOffsets(GROUP, List.of())).isEmpty();
        assertThat(f.groupEpoch()).isEqualTo(epoch);
        restarted.poll();
        assertThat(restarted.assignment).isEqualTo(mine);
        assertThat(restarted.epoch).isEqualTo(memberEpoch);
        f.checkInvariants(GROUP);
    }

    @Test
    void theReplacedMembersFenceEndsWithItsSessionTimeout() {
        f.topic("t", 2);
        Client crashed = f.client("t").instance("host-1").session(3000);
        crashed.join();
        Client restarted = f.client("t").instance("host-1").session(3000);
        restarted.join();
        assertThat(crashed.heartbeatError().code()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);

        f.advance(Duration.ofMillis(2999));
        restarted.poll();
        f.tick();
        assertThat(crashed.heartbeatError().code()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
        f.advance(Duration.ofMillis(1));
        assertThat(crashed.heartbeatError().code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        f.tick();
        assertThat(crashed.heartbeatError().code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        assertThat(f.describe().getMembersList()).extracting(MemberDescription::getMemberId)
                .containsExactly(restarted.memberId);
    }

    @Test
    void aCrashedMemberInTheMiddleOfARevocationIsReplacedAndTheRevokedPartitionsMoveOn() {
        f.topic("t", 4);
        Client crashed = f.client("t").instance("host-1");
        crashed.join();
        assertThat(crashed.owned).hasSize(4);
        Client other = f.client("t");
        other.join();
        crashed.heartbeat(); // told to give up two partitions; it crashes before it does
        assertThat(crashed.assignment).hasSize(2);
        other.poll();
        assertThat(other.owned).as("still held by the crashed member").isEmpty();
        int epoch = f.groupEpoch();

        Client restarted = f.client("t").instance("host-1");
        restarted.join();
        other.poll();

        assertThat(f.groupEpoch()).isEqualTo(epoch);
        assertThat(restarted.owned).isEqualTo(crashed.assignment);
        assertThat(other.owned).hasSize(2).doesNotContainAnyElementsOf(restarted.owned);
        f.checkInvariants(GROUP);
    }

    @Test
    void aCrashedStaticMemberRestartedWithAnotherSubscriptionRebalances() {
        f.topic("t", 2).topic("u", 2);
        Client crashed = f.client("t").instance("host-1");
        crashed.join();
        int epoch = f.groupEpoch();
        Client restarted = f.client("t", "u").instance("host-1");
        restarted.join();
        assertThat(f.groupEpoch()).isEqualTo(epoch + 1);
        restarted.poll();
        assertThat(restarted.owned).hasSize(4);
        assertThat(crashed.heartbeatError().code()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
        f.checkInvariants(GROUP);
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
