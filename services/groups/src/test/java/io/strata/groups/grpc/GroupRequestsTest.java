package io.strata.groups.grpc;

import io.strata.proto.StrataError;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.ResetOffsetsRequest;
import io.strata.proto.v1.TopicPartition;
import io.strata.proto.v1.TopicPartitions;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GroupRequestsTest {

    private static final GroupHeartbeatRequest JOIN = GroupHeartbeatRequest.newBuilder().setGroupId("g").setMemberEpoch(0)
            .addSubscribedTopicNames("orders").build();

    private static void assertInvalid(ThrowingCallable call, String fragment) {
        assertThatThrownBy(call).satisfies(e -> assertThat(StrataError.reasonOf(e)).contains(ErrorCode.INVALID_REQUEST))
                .hasMessageContaining(fragment);
    }

    @Test
    void groupIdsFollowGroupIds() {
        assertThatCode(() -> GroupRequests.checkGroupId("payments.v2 (eu)")).doesNotThrowAnyException();
        assertInvalid(() -> GroupRequests.checkGroupId(""), "group_id");
        assertInvalid(() -> GroupRequests.checkGroupId("a/b"), "'/'");
        assertInvalid(() -> GroupRequests.checkGroupId("x".repeat(250)), "group_id");
    }

    @Test
    void heartbeatShapes() {
        assertThatCode(() -> GroupRequests.checkHeartbeat(JOIN)).doesNotThrowAnyException();
        assertThatCode(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().setMemberId("m").setMemberEpoch(5).setServerAssignor("range")
                .addOwnedPartitions(TopicPartitions.newBuilder().setTopic("orders").addPartitions(0).addPartitions(1)).build()))
                .doesNotThrowAnyException();
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().setMemberEpoch(3).build()), "member_id");
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().setMemberId("m").setMemberEpoch(-3).build()), "member_epoch");
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().setMemberId("m").setMemberEpoch(-2).build()), "instance_id");
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().setSessionTimeoutMs(-1).build()), "session_timeout_ms");
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().setRebalanceTimeoutMs(-1).build()), "rebalance_timeout_ms");
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().addSubscribedTopicNames("").build()),
                "subscribed_topic_names");
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().setSubscribedTopicRegex("or.*").build()), "not both");
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().clearSubscribedTopicNames().setSubscribedTopicRegex("(").build()),
                "subscribed_topic_regex");
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().addOwnedPartitions(TopicPartitions.newBuilder()
                .setTopic("orders").addPartitions(-1)).build()), "owned_partitions");
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().addOwnedPartitions(TopicPartitions.newBuilder()
                .setTopic("orders").addPartitions(2).addPartitions(2)).build()), "appears twice");
        assertInvalid(() -> GroupRequests.checkHeartbeat(JOIN.toBuilder().setServerAssignor("sticky").build()), "server_assignor");
    }

    @Test
    void commitShapes() {
        OffsetCommit o = OffsetCommit.newBuilder().setTopic("orders").setPartition(0).setOffset(7).build();
        CommitOffsetsRequest member = CommitOffsetsRequest.newBuilder().setGroupId("g").setMemberId("m").setMemberEpoch(3).addOffsets(o).build();
        assertThatCode(() -> GroupRequests.checkCommit(member)).doesNotThrowAnyException();
        assertThatCode(() -> GroupRequests.checkCommit(member.toBuilder().clearMemberId().setMemberEpoch(-1).build()))
                .doesNotThrowAnyException();
        assertInvalid(() -> GroupRequests.checkCommit(member.toBuilder().clearMemberId().build()), "member_epoch -1");
        assertInvalid(() -> GroupRequests.checkCommit(member.toBuilder().addOffsets(o).build()), "appears twice");
        assertInvalid(() -> GroupRequests.checkCommit(member.toBuilder().setOffsets(0, o.toBuilder().setOffset(-1)).build()), ">= 0");
        assertInvalid(() -> GroupRequests.checkCommit(member.toBuilder().setOffsets(0, o.toBuilder().setMetadata("x".repeat(4097))).build()),
                "metadata");
        // The limit is in bytes, as Kafka's offset.metadata.max.bytes: 2,049 two-byte characters exceed it.
        assertThatCode(() -> GroupRequests.checkCommit(member.toBuilder().setOffsets(0, o.toBuilder().setMetadata("é".repeat(2048))).build()))
                .doesNotThrowAnyException();
        assertInvalid(() -> GroupRequests.checkCommit(member.toBuilder().setOffsets(0, o.toBuilder().setMetadata("é".repeat(2049))).build()),
                "4098 bytes");
    }

    @Test
    void fetchAndResetShapes() {
        assertThatCode(() -> GroupRequests.checkFetch(FetchOffsetsRequest.newBuilder().setGroupId("g").build())).doesNotThrowAnyException();
        assertInvalid(() -> GroupRequests.checkFetch(FetchOffsetsRequest.newBuilder().setGroupId("g")
                .addPartitions(TopicPartition.newBuilder().setTopic("t").setPartition(-2)).build()), "partition");
        ResetOffsetsRequest reset = ResetOffsetsRequest.newBuilder().setGroupId("g").setTopic("t").setToOffset(5).build();
        assertThatCode(() -> GroupRequests.checkReset(reset)).doesNotThrowAnyException();
        assertInvalid(() -> GroupRequests.checkReset(reset.toBuilder().clearTo().build()), "must be set");
        assertInvalid(() -> GroupRequests.checkReset(reset.toBuilder().setToOffset(-1).build()), "to_offset");
        assertInvalid(() -> GroupRequests.checkReset(reset.toBuilder().setToEarliest(false).build()), "to_earliest");
        assertInvalid(() -> GroupRequests.checkReset(reset.toBuilder().setTopic("").build()), "topic");
    }
}
