package io.strata.client.admin;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.consumer.OffsetAndMetadata;
import io.strata.proto.StrataError;
import io.strata.proto.v1.Assignment;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.DeleteGroupRequest;
import io.strata.proto.v1.DeleteGroupResponse;
import io.strata.proto.v1.DescribeGroupRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.FetchOffsetsResponse;
import io.strata.proto.v1.GroupSummary;
import io.strata.proto.v1.GroupsGrpc;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.ListGroupsRequest;
import io.strata.proto.v1.ListGroupsResponse;
import io.strata.proto.v1.MemberDescription;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.PartitionLag;
import io.strata.proto.v1.ResetOffsetsRequest;
import io.strata.proto.v1.ResetOffsetsResponse;
import io.strata.proto.v1.TopicPartitions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The admin's group operations: requests and answers mapped to and from the Groups service of
 * the active groups instance (found through Observe{groups}), errors with the server's reason.
 */
@Timeout(30)
class StrataAdminGroupsTest {

    private final List<Server> servers = new ArrayList<>();
    private final AtomicReference<String> observed = new AtomicReference<>("");
    private final List<ResetOffsetsRequest> resets = new CopyOnWriteArrayList<>();
    private final AtomicInteger standbyCalls = new AtomicInteger();
    private String active;
    private StrataAdmin admin;

    @BeforeEach
    void start() throws Exception {
        int coordination = serve(new CoordinationGrpc.CoordinationImplBase() {
            @Override
            public void observe(ObserveRequest request, StreamObserver<LeadershipEvent> out) {
                String leader = request.getElection().equals("groups") ? observed.get() : "";
                out.onNext(LeadershipEvent.newBuilder().setLeaderId(leader).setTerm(1).build());
            }
        });
        active = "127.0.0.1:" + serve(new Groups());
        observed.set(active);
        admin = StrataAdmin.forBootstrap("127.0.0.1:" + coordination);
    }

    @AfterEach
    void stop() {
        admin.close();
        servers.forEach(Server::shutdownNow);
    }

    private int serve(io.grpc.BindableService service) throws Exception {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
        servers.add(server);
        return server.getPort();
    }

    private static TopicPartitions tps(String topic, Integer... partitions) {
        return TopicPartitions.newBuilder().setTopic(topic).addAllPartitions(List.of(partitions)).build();
    }

    /** Knows group "billing" (one member, two partitions); "idle" is empty; everything else is unknown. */
    private final class Groups extends GroupsGrpc.GroupsImplBase {
        @Override
        public void listGroups(ListGroupsRequest request, StreamObserver<ListGroupsResponse> out) {
            out.onNext(ListGroupsResponse.newBuilder()
                    .addGroups(GroupSummary.newBuilder().setGroupId("idle").setState("empty").setMembers(0))
                    .addGroups(GroupSummary.newBuilder().setGroupId("billing").setState("stable").setMembers(1))
                    .build());
            out.onCompleted();
        }

        @Override
        public void describeGroup(DescribeGroupRequest request, StreamObserver<io.strata.proto.v1.GroupDescription> out) {
            if (!request.getGroupId().equals("billing")) {
                out.onError(StrataError.exception(ErrorCode.UNKNOWN_GROUP, "group '" + request.getGroupId() + "' does not exist"));
                return;
            }
            out.onNext(io.strata.proto.v1.GroupDescription.newBuilder()
                    .setGroupId("billing").setState("reconciling").setGroupEpoch(7).setAssignor("uniform")
                    .addMembers(MemberDescription.newBuilder().setMemberId("m1").setInstanceId("i-1").setClientId("app")
                            .setHost("10.0.0.5").setMemberEpoch(6)
                            .setAssignment(Assignment.newBuilder().addPartitions(tps("orders", 0, 1)))
                            .setTargetAssignment(Assignment.newBuilder().addPartitions(tps("orders", 0)))
                            .addSubscribedTopicNames("orders"))
                    .addPartitions(PartitionLag.newBuilder().setTopic("orders").setPartition(1).setCommitted(-1)
                            .setLogEndOffset(4).setLag(-1).setMember("m1"))
                    .addPartitions(PartitionLag.newBuilder().setTopic("orders").setPartition(0).setCommitted(10)
                            .setLogEndOffset(15).setLag(5))
                    .build());
            out.onCompleted();
        }

        @Override
        public void deleteGroup(DeleteGroupRequest request, StreamObserver<DeleteGroupResponse> out) {
            switch (request.getGroupId()) {
                case "idle" -> {
                    out.onNext(DeleteGroupResponse.getDefaultInstance());
                    out.onCompleted();
                }
                case "billing" -> out.onError(StrataError.exception(ErrorCode.GROUP_NOT_EMPTY, "group 'billing' has 1 member"));
                default -> out.onError(StrataError.exception(ErrorCode.UNKNOWN_GROUP, "no such group"));
            }
        }

        @Override
        public void resetOffsets(ResetOffsetsRequest request, StreamObserver<ResetOffsetsResponse> out) {
            resets.add(request);
            long offset = switch (request.getToCase()) {
                case TO_EARLIEST -> 0;
                case TO_LATEST -> 100;
                case TO_OFFSET -> request.getToOffset();
                case TO_TIME_MS -> 42;
                default -> -5;
            };
            out.onNext(ResetOffsetsResponse.newBuilder()
                    .addOffsets(OffsetCommit.newBuilder().setTopic(request.getTopic()).setPartition(1).setOffset(offset))
                    .addOffsets(OffsetCommit.newBuilder().setTopic(request.getTopic()).setPartition(0).setOffset(offset))
                    .build());
            out.onCompleted();
        }

        @Override
        public void fetchOffsets(FetchOffsetsRequest request, StreamObserver<FetchOffsetsResponse> out) {
            assertThat(request.getPartitionsList()).as("empty = every partition").isEmpty();
            out.onNext(FetchOffsetsResponse.newBuilder()
                    .addOffsets(OffsetCommit.newBuilder().setTopic("orders").setPartition(0).setOffset(10).setMetadata("m"))
                    .addOffsets(OffsetCommit.newBuilder().setTopic("orders").setPartition(1).setOffset(-1))
                    .build());
            out.onCompleted();
        }
    }

    @Test
    void listGroupsIsSortedById() {
        assertThat(admin.listGroups()).containsExactly(new GroupListing("billing", "stable", 1), new GroupListing("idle", "empty", 0));
    }

    @Test
    void describeGroupMapsMembersAssignmentsAndLagByPartition() {
        GroupDescription d = admin.describeGroup("billing");

        assertThat(d.groupId()).isEqualTo("billing");
        assertThat(d.state()).isEqualTo("reconciling");
        assertThat(d.groupEpoch()).isEqualTo(7);
        assertThat(d.assignor()).isEqualTo("uniform");
        GroupMemberDescription m = d.members().get(0);
        assertThat(m.memberId()).isEqualTo("m1");
        assertThat(m.instanceId()).contains("i-1");
        assertThat(m.clientId()).isEqualTo("app");
        assertThat(m.host()).isEqualTo("10.0.0.5");
        assertThat(m.memberEpoch()).isEqualTo(6);
        assertThat(m.assignment()).containsExactlyInAnyOrder(new TopicPartition("orders", 0), new TopicPartition("orders", 1));
        assertThat(m.targetAssignment()).containsExactly(new TopicPartition("orders", 0));
        assertThat(m.subscribedTopics()).containsExactly("orders");
        assertThat(m.subscribedTopicRegex()).isEmpty();
        assertThat(d.partitions()).containsExactly(
                new GroupPartitionLag(new TopicPartition("orders", 0), OptionalLong.of(10), 15, 5, Optional.empty()),
                new GroupPartitionLag(new TopicPartition("orders", 1), OptionalLong.empty(), 4, -1, Optional.of("m1")));
        assertThat(d.totalLag()).as("a partition without a committed offset has no lag to add").isEqualTo(5);
    }

    @Test
    void describingAnUnknownGroupFailsWithTheServersReason() {
        assertThatThrownBy(() -> admin.describeGroup("nope")).isInstanceOfSatisfying(StrataException.class, e -> {
            assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_GROUP);
            assertThat(e.getMessage()).contains("nope");
        });
    }

    @Test
    void deleteGroupReportsUnknownAndNotEmptyGroups() {
        admin.deleteGroup("idle");
        assertThatThrownBy(() -> admin.deleteGroup("billing")).isInstanceOfSatisfying(StrataException.class,
                e -> assertThat(e.reason()).isEqualTo(ErrorCode.GROUP_NOT_EMPTY));
        assertThatThrownBy(() -> admin.deleteGroup("nope")).isInstanceOfSatisfying(StrataException.class,
                e -> assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_GROUP));
    }

    @Test
    void resetOffsetsSendsEachSpecAsItsOneofAndAnswersOffsetsByPartition() {
        Map<TopicPartition, Long> planned = admin.resetOffsets("idle", "orders", OffsetResetSpec.offset(7), false);
        assertThat(planned).containsExactly(Map.entry(new TopicPartition("orders", 0), 7L), Map.entry(new TopicPartition("orders", 1), 7L));

        admin.resetOffsets("idle", "orders", OffsetResetSpec.earliest(), true);
        admin.resetOffsets("idle", "orders", OffsetResetSpec.latest(), true);
        admin.resetOffsets("idle", "orders", OffsetResetSpec.time(1_700_000_000_000L), true);

        assertThat(resets).extracting(ResetOffsetsRequest::getToCase).containsExactly(ResetOffsetsRequest.ToCase.TO_OFFSET,
                ResetOffsetsRequest.ToCase.TO_EARLIEST, ResetOffsetsRequest.ToCase.TO_LATEST, ResetOffsetsRequest.ToCase.TO_TIME_MS);
        assertThat(resets).extracting(ResetOffsetsRequest::getExecute).containsExactly(false, true, true, true);
        assertThat(resets.get(3).getToTimeMs()).isEqualTo(1_700_000_000_000L);
        assertThat(resets.get(0).getGroupId()).isEqualTo("idle");
        assertThat(resets.get(0).getTopic()).isEqualTo("orders");
        assertThatThrownBy(() -> OffsetResetSpec.offset(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void listGroupOffsetsSkipsPartitionsWithoutACommit() {
        assertThat(admin.listGroupOffsets("billing"))
                .containsExactly(Map.entry(new TopicPartition("orders", 0), new OffsetAndMetadata(10, "m")));
    }

    @Test
    void aStandbysNotCoordinatorIsFollowedOnce() throws Exception {
        observed.set("127.0.0.1:" + serve(new GroupsGrpc.GroupsImplBase() {
            @Override
            public void listGroups(ListGroupsRequest request, StreamObserver<ListGroupsResponse> out) {
                standbyCalls.incrementAndGet();
                Metadata trailers = new Metadata();
                trailers.put(StrataError.LEADER_KEY, active);
                out.onError(StrataError.exception(ErrorCode.NOT_COORDINATOR, "standby", trailers));
            }
        }));
        assertThat(admin.listGroups()).hasSize(2);
        assertThat(admin.listGroups()).hasSize(2);
        assertThat(standbyCalls.get()).isEqualTo(1);
    }

    @Test
    void noActiveGroupsInstanceIsARetriableNotCoordinator() {
        observed.set("");
        assertThatThrownBy(admin::listGroups).isInstanceOfSatisfying(StrataException.class, e -> {
            assertThat(e.reason()).isEqualTo(ErrorCode.NOT_COORDINATOR);
            assertThat(e.retriable()).isTrue();
        });
    }
}
