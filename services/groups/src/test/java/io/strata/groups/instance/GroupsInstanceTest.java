package io.strata.groups.instance;

import io.grpc.Status;
import io.strata.groups.testing.GroupsCluster;
import io.strata.proto.StrataError;
import io.strata.proto.v1.Assignment;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.DescribeGroupRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.ListGroupsRequest;
import io.strata.proto.v1.MemberDescription;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.TopicPartitions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.strata.groups.testing.GroupsCluster.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Groups instances against a real coordination (embedded store, in-process gRPC): one active,
 * the others standbys that refuse with NOT_COORDINATOR naming it; when the active one goes, a
 * standby takes over with every stored group, and members carry on with their ids and epochs —
 * whether the active one withdrew (closed) or died (its connections dropped, nothing withdrawn).
 */
@Timeout(120)
class GroupsInstanceTest {

    @TempDir
    Path dir;

    private GroupsCluster cluster;

    @BeforeEach
    void start() throws Exception {
        cluster = new GroupsCluster(dir, 3);
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    @Test
    void aStandbyRefusesWithNotCoordinatorNamingTheActiveInstance() throws Exception {
        GroupsCluster.Instance first = cluster.instance();
        await().atMost(WAIT).until(first.groups()::isLeader);
        GroupsCluster.Instance second = cluster.instance();
        await().atMost(WAIT).until(() -> second.groups().registered() && second.groups().activeAddress().isPresent());
        assertThat(second.groups().isLeader()).isFalse();
        assertThat(cluster.coordination().observe(ObserveRequest.newBuilder().setElection("groups").build()).next().getLeaderId())
                .isEqualTo(first.groups().candidateId());

        assertThatThrownBy(() -> second.stub().listGroups(ListGroupsRequest.getDefaultInstance())).satisfies(e -> {
            assertThat(StrataError.reasonOf(e)).contains(ErrorCode.NOT_COORDINATOR);
            assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(Status.trailersFromThrowable(e).get(StrataError.LEADER_KEY)).isEqualTo(first.groups().candidateId());
            assertThat(e).hasMessageContaining("standby").hasMessageContaining(first.groups().candidateId());
        });
        // The request's shape is checked first, on a standby too.
        assertThatThrownBy(() -> second.stub().describeGroup(DescribeGroupRequest.newBuilder().setGroupId("a/b").build()))
                .satisfies(e -> assertThat(StrataError.reasonOf(e)).contains(ErrorCode.INVALID_REQUEST));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theStandbyTakesOverWithTheStoredGroupsAndMembersCarryOn(boolean killed) throws Exception {
        cluster.createTopic("orders", 3);
        GroupsCluster.Instance first = cluster.instance();
        await().atMost(WAIT).until(first.groups()::isActive);
        GroupsCluster.Instance second = cluster.instance();
        await().atMost(WAIT).until(second.groups()::registered);

        Member member = Member.join(first, "payments", "orders");
        await().atMost(WAIT).until(() -> member.heartbeat(first).getPartitions(0).getPartitionsCount() == 3);
        first.stub().commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId("payments").setMemberId(member.id)
                .setMemberEpoch(member.epoch).addOffsets(OffsetCommit.newBuilder().setTopic("orders").setPartition(0).setOffset(42)).build());

        if (killed) {
            first.kill(); // nothing withdrawn: coordination ends its candidacy when the connection drops
        } else {
            first.close(); // withdraws: the standby takes over at once
        }
        await().atMost(WAIT).until(second.groups()::isActive);

        List<OffsetCommit> fetched = second.stub().fetchOffsets(FetchOffsetsRequest.newBuilder().setGroupId("payments").build())
                .getOffsetsList();
        assertThat(fetched).hasSize(1).first().satisfies(o -> {
            assertThat(o.getTopic()).isEqualTo("orders");
            assertThat(o.getOffset()).isEqualTo(42);
            assertThat(o.getCommitTimestampMs()).isPositive();
        });
        GroupDescription described = second.stub().describeGroup(DescribeGroupRequest.newBuilder().setGroupId("payments").build());
        assertThat(described.getMembersList()).extracting(MemberDescription::getMemberId).containsExactly(member.id);
        assertThat(described.getMembers(0).getMemberEpoch()).isEqualTo(member.epoch);
        assertThat(described.getMembers(0).getHost()).isEqualTo("127.0.0.1"); // the client's address, from the transport

        // The member goes on heartbeating with its id and epoch: no rejoin, same partitions.
        int epochBefore = member.epoch;
        Assignment owned = member.heartbeat(second);
        assertThat(member.epoch).isEqualTo(epochBefore);
        assertThat(owned.getPartitions(0).getPartitionsList()).containsExactlyInAnyOrder(0, 1, 2);
        second.stub().commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId("payments").setMemberId(member.id)
                .setMemberEpoch(member.epoch).addOffsets(OffsetCommit.newBuilder().setTopic("orders").setPartition(1).setOffset(7)).build());
        assertThat(cluster.loadGroups()).singleElement().satisfies(g -> {
            assertThat(g.getGroupId()).isEqualTo("payments");
            assertThat(g.getRecord().getMembersList()).singleElement().satisfies(m -> assertThat(m.getMemberId()).isEqualTo(member.id));
            assertThat(g.getOffsetsList()).extracting(OffsetCommit::getOffset).containsExactlyInAnyOrder(42L, 7L);
        });
    }

    /** A consumer as the protocol sees it: its id, epoch and owned partitions. */
    private static final class Member {
        final String group;
        final String topic;
        String id;
        int epoch;
        Assignment owned = Assignment.getDefaultInstance();

        private Member(String group, String topic) {
            this.group = group;
            this.topic = topic;
        }

        static Member join(GroupsCluster.Instance instance, String group, String topic) {
            Member m = new Member(group, topic);
            GroupHeartbeatResponse r = instance.stub().heartbeat(GroupHeartbeatRequest.newBuilder().setGroupId(group).setMemberEpoch(0)
                    .addSubscribedTopicNames(topic).setClientId("test-client").build());
            m.apply(r);
            return m;
        }

        /** One heartbeat acknowledging what it owns; answers what it owns afterwards. */
        Assignment heartbeat(GroupsCluster.Instance instance) {
            GroupHeartbeatRequest.Builder r = GroupHeartbeatRequest.newBuilder().setGroupId(group).setMemberId(id).setMemberEpoch(epoch)
                    .addSubscribedTopicNames(topic);
            for (TopicPartitions tps : owned.getPartitionsList()) {
                r.addOwnedPartitions(tps);
            }
            apply(instance.stub().heartbeat(r.build()));
            return owned.getPartitionsCount() == 0 ? Assignment.newBuilder().addPartitions(TopicPartitions.newBuilder().setTopic(topic))
                    .build() : owned;
        }

        private void apply(GroupHeartbeatResponse r) {
            id = r.getMemberId();
            epoch = r.getMemberEpoch();
            if (r.hasAssignment()) {
                owned = r.getAssignment();
            }
        }
    }
}
