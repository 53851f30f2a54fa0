package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.GroupSummary;
import io.strata.proto.v1.MemberDescription;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.PartitionLag;
import io.strata.proto.v1.ResetOffsetsRequest;
import io.strata.proto.v1.ResetOffsetsResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.strata.groups.coordinator.Fixture.GROUP;
import static io.strata.groups.coordinator.Fixture.await;
import static io.strata.groups.coordinator.Fixture.error;
import static io.strata.groups.coordinator.Fixture.range;
import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class AdminTest {

    private final Fixture f = new Fixture().topic("t", 3);

    private void commit(String group, String topic, int partition, long offset) {
        await(f.coordinator.commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(group).setMemberEpoch(-1)
                .addOffsets(OffsetCommit.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset)).build()));
    }

    private long committed(int partition) {
        return f.coordinator.fetchOffsets(GROUP, List.of(new TopicPartition("t", partition))).getFirst().getOffset();
    }

    @Test
    void describeShowsMembersAssignmentsAndLagPerPartition() {
        f.topic("old", 2);
        commit(GROUP, "t", 0, 40);
        commit(GROUP, "old", 1, 5);
        f.offsets.set("t", 0, 0, 100);
        f.offsets.set("t", 1, 0, 7);
        f.offsets.set("old", 1, 0, 5);
        Client a = f.client("t").instance("host-1");
        a.rack = "rack-a";
        a.join();

        GroupDescription d = f.describe();

        assertThat(d.getGroupId()).isEqualTo(GROUP);
        assertThat(d.getState()).isEqualTo("stable");
        assertThat(d.getGroupEpoch()).isEqualTo(1);
        assertThat(d.getAssignor()).isEqualTo("uniform");
        MemberDescription member = d.getMembers(0);
        assertThat(member.getMemberId()).isEqualTo(a.memberId);
        assertThat(member.getInstanceId()).isEqualTo("host-1");
        assertThat(member.getClientId()).isEqualTo("client-host-1");
        assertThat(member.getHost()).isEqualTo("10.0.0.7");
        assertThat(member.getMemberEpoch()).isEqualTo(1);
        assertThat(member.getSubscribedTopicNamesList()).containsExactly("t");
        assertThat(GroupRecords.fromProto(member.getAssignment().getPartitionsList())).isEqualTo(range("t", 3));
        assertThat(GroupRecords.fromProto(member.getTargetAssignment().getPartitionsList())).isEqualTo(range("t", 3));
        assertThat(d.getPartitionsList()).containsExactly(
                lag("old", 1, 5, 5, 0, ""),
                lag("t", 0, 40, 100, 60, a.memberId),
                lag("t", 1, -1, 7, -1, a.memberId),
                lag("t", 2, -1, -1, -1, a.memberId));
        assertThat(f.offsets.latestCalls).hasValue(1);
    }

    private static PartitionLag lag(String topic, int partition, long committed, long end, long lag, String member) {
        return PartitionLag.newBuilder().setTopic(topic).setPartition(partition).setCommitted(committed)
                .setLogEndOffset(end).setLag(lag).setMember(member).build();
    }

    @Test
    void describingAnUnknownGroupFails() {
        assertThat(error(f.coordinator.describe("nope")).code()).isEqualTo(ErrorCode.UNKNOWN_GROUP);
    }

    @Test
    void describeAllAsksForLogEndsOnce() {
        commit("g1", "t", 0, 1);
        commit("g2", "t", 1, 1);
        f.client("t").join();
        List<GroupDescription> all = await(f.coordinator.describeAll());
        assertThat(all).extracting(GroupDescription::getGroupId).containsExactly("g1", "g2", GROUP);
        assertThat(f.offsets.latestCalls).hasValue(1);
    }

    @Test
    void listGroupsShowsEachGroupsState() {
        commit("offsets-only", "t", 0, 1);
        Client a = f.client("t");
        a.join();
        Client b = f.client("t");
        b.join();

        assertThat(f.coordinator.listGroups()).containsExactly(
                GroupSummary.newBuilder().setGroupId("offsets-only").setState("empty").build(),
                GroupSummary.newBuilder().setGroupId(GROUP).setState("reconciling").setMembers(2).build());
        f.settle(List.of(a, b));
        assertThat(f.coordinator.listGroups().get(1).getState()).isEqualTo("stable");
        a.leave(-1);
        b.leave(-1);
        assertThat(f.coordinator.listGroups().get(1).getState()).isEqualTo("empty");
    }

    @Test
    void deleteRefusesGroupsWithMembersIncludingDepartedStaticOnes() {
        assertThat(error(f.coordinator.deleteGroup(GROUP)).code()).isEqualTo(ErrorCode.UNKNOWN_GROUP);
        Client stat = f.client("t").instance("host-1");
        stat.join();
        assertThat(error(f.coordinator.deleteGroup(GROUP)).code()).isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
        stat.leave(-2);
        assertThat(error(f.coordinator.deleteGroup(GROUP)).code()).isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
        assertThat(f.persistence.deletes()).isEmpty();
    }

    @Test
    void deleteForgetsTheGroupOnceStored() {
        commit(GROUP, "t", 0, 9);
        f.persistence.manualDeletes = true;

        CompletableFuture<Void> deleted = f.coordinator.deleteGroup(GROUP);

        assertThat(f.persistence.deletes()).singleElement().satisfies(d -> assertThat(d.groupId()).isEqualTo(GROUP));
        assertThat(deleted).isNotDone();
        assertThat(f.coordinator.listGroups()).singleElement().satisfies(g -> assertThat(g.getState()).isEqualTo("dead"));
        // A join meanwhile waits for the deletion, then starts a fresh group.
        Client a = f.client("t");
        CompletableFuture<GroupHeartbeatResponse> join = a.send();
        assertThat(join).isNotDone();
        f.persistence.deletes().getFirst().future().complete(null);

        await(deleted);
        GroupHeartbeatResponse joined = await(join);
        assertThat(joined.getMemberEpoch()).isEqualTo(1);
        assertThat(committed(0)).isEqualTo(-1);
    }

    @Test
    void aFailedDeleteKeepsTheGroup() {
        commit(GROUP, "t", 0, 9);
        f.persistence.manualDeletes = true;
        CompletableFuture<Void> deleted = f.coordinator.deleteGroup(GROUP);
        f.persistence.deletes().getFirst().future().completeExceptionally(new RuntimeException("store down"));
        assertThat(deleted).isCompletedExceptionally();
        assertThat(committed(0)).isEqualTo(9);
        assertThat(f.coordinator.listGroups()).singleElement().satisfies(g -> assertThat(g.getState()).isEqualTo("empty"));
    }

    @Test
    void deleteWaitsForTheGroupsRecordWriteInFlight() {
        Client a = f.client("t");
        a.join();
        f.persistence.manualPuts = true;
        CompletableFuture<GroupHeartbeatResponse> leave = f.coordinator.heartbeat(a.request(-1), "h");
        assertThat(leave).isNotDone();

        CompletableFuture<Void> deleted = f.coordinator.deleteGroup(GROUP);
        assertThat(f.persistence.deletes()).as("not while the record is being written").isEmpty();
        f.persistence.pendingPuts().getFirst().future().complete(null);

        await(leave);
        await(deleted);
        assertThat(f.persistence.deletes()).hasSize(1);
        assertThat(f.coordinator.listGroups()).isEmpty();
    }

    @Test
    void resetComputesAPlanAndAppliesItOnlyWhenAsked() {
        for (int p = 0; p < 3; p++) {
            f.offsets.set("t", p, 5, 100);
            f.offsets.forTime.put(new TopicPartition("t", p), 50L + p);
        }
        commit(GROUP, "t", 0, 60);
        int stores = f.persistence.stores().size();

        ResetOffsetsResponse plan = await(f.coordinator.resetOffsets(reset().setToEarliest(true).build()));
        assertThat(plan.getOffsetsList()).extracting(OffsetCommit::getOffset).containsExactly(5L, 5L, 5L);
        assertThat(f.persistence.stores()).hasSize(stores);
        assertThat(committed(0)).isEqualTo(60);

        await(f.coordinator.resetOffsets(reset().setToLatest(true).setExecute(true).build()));
        assertThat(committed(2)).isEqualTo(100);
        assertThat(await(f.coordinator.resetOffsets(reset().setToOffset(1000).build())).getOffsetsList())
                .extracting(OffsetCommit::getOffset).containsExactly(100L, 100L, 100L);
        assertThat(await(f.coordinator.resetOffsets(reset().setToOffset(2).build())).getOffsetsList())
                .extracting(OffsetCommit::getOffset).containsExactly(5L, 5L, 5L);
        assertThat(await(f.coordinator.resetOffsets(reset().setToOffset(30).build())).getOffsetsList())
                .extracting(OffsetCommit::getOffset).containsExactly(30L, 30L, 30L);
        assertThat(await(f.coordinator.resetOffsets(reset().setToTimeMs(1234).setExecute(true).build())).getOffsetsList())
                .extracting(OffsetCommit::getOffset).containsExactly(50L, 51L, 52L);
        assertThat(committed(1)).isEqualTo(51);
    }

    private static ResetOffsetsRequest.Builder reset() {
        return ResetOffsetsRequest.newBuilder().setGroupId(GROUP).setTopic("t");
    }

    @Test
    void resetCreatesOffsetsForAGroupThatDoesNotExistYet() {
        for (int p = 0; p < 3; p++) {
            f.offsets.set("t", p, 0, 10);
        }
        await(f.coordinator.resetOffsets(reset().setToLatest(true).setExecute(true).build()));
        assertThat(committed(0)).isEqualTo(10);
        assertThat(f.coordinator.listGroups()).extracting(GroupSummary::getGroupId).containsExactly(GROUP);
    }

    @Test
    void resetIsRefusedWhileMembersAreLiveButNotForADepartedStaticMember() {
        for (int p = 0; p < 3; p++) {
            f.offsets.set("t", p, 0, 10);
        }
        Client stat = f.client("t").instance("host-1");
        stat.join();
        GroupException e = error(f.coordinator.resetOffsets(reset().setToEarliest(true).setExecute(true).build()));
        assertThat(e.code()).isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
        stat.leave(-2);
        await(f.coordinator.resetOffsets(reset().setToEarliest(true).setExecute(true).build()));
        assertThat(committed(0)).isEqualTo(0);
    }

    @Test
    void resetOfAnUnknownTopicOrWithoutLeadersFails() {
        assertThat(error(f.coordinator.resetOffsets(reset().setTopic("nope").setToEarliest(true).build())).code())
                .isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(error(f.coordinator.resetOffsets(reset().build())).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        f.offsets.set("t", 0, 0, 10);
        GroupException e = error(f.coordinator.resetOffsets(reset().setToLatest(true).setExecute(true).build()));
        assertThat(e.code()).isEqualTo(ErrorCode.NOT_LEADER);
        assertThat(e.getMessage()).contains("t-1", "t-2");
        assertThat(f.persistence.stores()).isEmpty();
    }
}
