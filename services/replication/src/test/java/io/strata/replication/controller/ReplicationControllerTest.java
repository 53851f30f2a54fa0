package io.strata.replication.controller;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.strata.coordination.config.CoordinationConfig;
import io.strata.coordination.grpc.CoordinationGrpcService;
import io.strata.coordination.store.EmbeddedMetadataStore;
import io.strata.proto.StrataError;
import io.strata.proto.v1.AlterIsrRequest;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ElectPreferredLeadersRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.PartitionReassignment;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ReassignPartitionsRequest;
import io.strata.proto.v1.ReassignPartitionsResponse;
import io.strata.proto.v1.RegisterNode;
import io.strata.proto.v1.ReplicationGrpc;
import io.strata.proto.v1.TopicDescription;
import io.strata.replication.config.ReplicationConfig;
import io.strata.replication.grpc.ReplicationGrpcService;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationSession;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two replication instances against a real coordination (embedded store, in-process gRPC): the
 * active one elects new leaders when a storage node's session ends, the standby takes over
 * when the active one dies abruptly, and AlterIsr refuses what it must.
 */
@Timeout(120)
class ReplicationControllerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private EmbeddedMetadataStore store;
    private CoordinationGrpcService coordinationService;
    private Server coordinationServer;
    private ManagedChannel coordinationChannel;
    private CoordinationGrpc.CoordinationBlockingStub coordination;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private final Map<Integer, StorageNode> storage = new HashMap<>();
    private final List<Instance> instances = new ArrayList<>();

    /** A fake storage node: only its session with coordination. */
    private record StorageNode(CoordinationChannels channels, CoordinationSession session) {
        void end() {
            session.close();
            channels.close();
        }
    }

    /** A replication instance with its own gRPC server, as its process would have. */
    private final class Instance {
        final Server server;
        final CoordinationChannels channels;
        final ReplicationController controller;
        final ManagedChannel channel;

        Instance() throws Exception {
            ReplicationController[] holder = new ReplicationController[1];
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new ReplicationGrpcService(() -> holder[0])).build().start();
            channels = new CoordinationChannels(List.of(new HostPort("127.0.0.1", coordinationServer.getPort())));
            String candidate = "127.0.0.1:" + server.getPort();
            controller = new ReplicationController(channels, config(), candidate, candidate);
            holder[0] = controller;
            controller.start();
            channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        }

        ReplicationGrpc.ReplicationBlockingStub stub() {
            return ReplicationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        }

        /** Dies as a killed process would, as far as the others can tell: its connections drop. */
        void kill() {
            channels.close();
            server.shutdownNow();
        }

        void close() {
            controller.close();
            channels.close();
            channel.shutdownNow();
            server.shutdownNow();
        }
    }

    private static ReplicationConfig config() {
        Properties p = new Properties();
        p.put("strata.session.timeout.ms", "2000");
        p.put("strata.auto.leader.rebalance.enable", "false");
        return new ReplicationConfig(new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(p, "test", 100)).build());
    }

    @BeforeEach
    void start() throws Exception {
        store = EmbeddedMetadataStore.builder(dir).leaseCheckInterval(Duration.ofMillis(10)).open();
        coordinationService = new CoordinationGrpcService(store, CoordinationConfig.of(Map.of()));
        coordinationServer = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(coordinationService)
                .build().start();
        coordinationChannel = NettyChannelBuilder.forAddress("127.0.0.1", coordinationServer.getPort()).usePlaintext().build();
        coordination = CoordinationGrpc.newBlockingStub(coordinationChannel);
        for (int id = 1; id <= 3; id++) {
            storageNode(id);
        }
        await().atMost(WAIT).until(() -> storage.values().stream().allMatch(n -> n.session().registered()));
    }

    @AfterEach
    void stop() throws Exception {
        instances.forEach(Instance::close);
        storage.values().forEach(StorageNode::end);
        coordinationChannel.shutdownNow();
        coordinationServer.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        coordinationService.close();
        store.close();
        scheduler.shutdownNow();
    }

    private void storageNode(int id) {
        CoordinationChannels channels = new CoordinationChannels(List.of(new HostPort("127.0.0.1", coordinationServer.getPort())));
        CoordinationSession session = new CoordinationSession(channels, scheduler, RegisterNode.newBuilder().setRole(NodeRole.STORAGE)
                .setNodeId(id).setInstanceId("storage-" + id).setHost("127.0.0.1").setPort(9100 + id).setReady(true)
                .setSessionTimeoutMs(2000).build(), "storage " + id);
        session.start();
        storage.put(id, new StorageNode(channels, session));
    }

    private Instance instance() throws Exception {
        Instance i = new Instance();
        instances.add(i);
        return i;
    }

    private TopicDescription describe(String topic) {
        return coordination.describeTopic(DescribeTopicRequest.newBuilder().setName(topic).build());
    }

    private TopicDescription createTopic(String name, int partitions) {
        return coordination.createTopic(CreateTopicRequest.newBuilder().setName(name).setPartitions(partitions).setReplicationFactor(3)
                .build());
    }

    /** Ends {@code nodeId}'s session and waits until no partition of {@code topic} is led by it or has it in the ISR. */
    private void killStorageAndAwaitFailover(String topic, int nodeId, TopicDescription before) {
        storage.remove(nodeId).end();
        await().atMost(WAIT).until(() -> describe(topic).getPartitionsList().stream()
                .allMatch(p -> p.getLeader() != nodeId && !p.getIsrList().contains(nodeId)));
        for (PartitionState was : before.getPartitionsList()) {
            PartitionState now = describe(topic).getPartitions(was.getPartition());
            if (was.getLeader() == nodeId) {
                assertThat(now.getLeaderEpoch()).isEqualTo(was.getLeaderEpoch() + 1);
                int expected = was.getReplicasList().stream().filter(r -> r != nodeId && was.getIsrList().contains(r)).findFirst().orElseThrow();
                assertThat(now.getLeader()).isEqualTo(expected);
            } else {
                assertThat(now.getLeader()).isEqualTo(was.getLeader());
                assertThat(now.getLeaderEpoch()).isEqualTo(was.getLeaderEpoch());
            }
        }
    }

    @Test
    void theActiveInstanceElectsNewLeadersWhenAStorageNodeDiesAndTheStandbyTakesOverWhenItDies() throws Exception {
        Instance first = instance();
        await().atMost(WAIT).until(first.controller::isActive);
        Instance second = instance();
        await().atMost(WAIT).until(second.controller::registered);
        assertThat(second.controller.isActive()).isFalse();
        var observed = CoordinationGrpc.newBlockingStub(coordinationChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .observe(ObserveRequest.newBuilder().setElection("replication").build()).next();
        assertThat(observed.getLeaderId()).isEqualTo(first.controller.candidateId());

        TopicDescription orders = createTopic("orders", 6);
        killStorageAndAwaitFailover("orders", 1, orders);

        first.kill();
        await().atMost(WAIT).until(second.controller::isActive);

        TopicDescription afterFirst = describe("orders");
        killStorageAndAwaitFailover("orders", 2, afterFirst);
        // Node 3 is now the only live ISR member and leads everything.
        assertThat(describe("orders").getPartitionsList()).allSatisfy(p -> {
            assertThat(p.getLeader()).isEqualTo(3);
            assertThat(p.getIsrList()).containsExactly(3);
        });
    }

    @Test
    void alterIsrIsAppliedWithCompareAndSetAndRefusedWhereItMustBe() throws Exception {
        Instance active = instance();
        await().atMost(WAIT).until(active.controller::isActive);
        Instance standby = instance();
        PartitionState created = createTopic("events", 1).getPartitions(0);
        // A leader epoch above 0, so that an older one exists.
        PartitionState p = coordination.updatePartitionState(io.strata.proto.v1.UpdatePartitionStateRequest.newBuilder()
                .setState(created.toBuilder().setLeaderEpoch(created.getLeaderEpoch() + 1))
                .setExpectedPartitionEpoch(created.getPartitionEpoch()).build());
        int leader = p.getLeader();
        int follower = p.getIsrList().stream().filter(n -> n != leader).findFirst().orElseThrow();
        AlterIsrRequest.Builder request = AlterIsrRequest.newBuilder().setTopic("events").setPartition(0).setLeaderId(leader)
                .setLeaderEpoch(p.getLeaderEpoch()).setPartitionEpoch(p.getPartitionEpoch());

        // The controller needs its first snapshot before it can judge liveness.
        await().atMost(WAIT).ignoreExceptions().until(() -> active.stub().alterIsr(request.clone().clearNewIsr().addAllNewIsr(p.getIsrList())
                .build()).equals(p));

        PartitionState shrunk = active.stub().alterIsr(request.clone().clearNewIsr().addAllNewIsr(
                p.getIsrList().stream().filter(n -> n != follower).toList()).build());
        assertThat(shrunk.getIsrList()).doesNotContain(follower).contains(leader);
        assertThat(shrunk.getPartitionEpoch()).isEqualTo(p.getPartitionEpoch() + 1);
        assertThat(shrunk.getLeaderEpoch()).isEqualTo(p.getLeaderEpoch());
        assertThat(describe("events").getPartitions(0)).isEqualTo(shrunk);

        assertRefused(() -> active.stub().alterIsr(request.clone().clearNewIsr().addAllNewIsr(p.getIsrList()).build()),
                ErrorCode.CAS_FAILED, "partition epoch");
        assertRefused(() -> active.stub().alterIsr(request.clone().setLeaderEpoch(p.getLeaderEpoch() - 1).setPartitionEpoch(
                shrunk.getPartitionEpoch()).clearNewIsr().addNewIsr(leader).build()), ErrorCode.FENCED_LEADER_EPOCH, "leader epoch");
        assertRefused(() -> active.stub().alterIsr(request.clone().setPartitionEpoch(shrunk.getPartitionEpoch()).clearNewIsr()
                .addAllNewIsr(shrunk.getIsrList()).addNewIsr(42).build()), ErrorCode.INELIGIBLE_REPLICA, "not a replica");
        storage.remove(follower).end();
        await().atMost(WAIT).untilAsserted(() -> assertRefused(() -> active.stub().alterIsr(request.clone()
                .setPartitionEpoch(describe("events").getPartitions(0).getPartitionEpoch()).clearNewIsr()
                .addAllNewIsr(shrunk.getIsrList()).addNewIsr(follower).build()), ErrorCode.INELIGIBLE_REPLICA, "not live"));
        assertRefused(() -> active.stub().alterIsr(request.clone().setTopic("").build()), ErrorCode.INVALID_REQUEST, "topic");
        assertRefused(() -> active.stub().alterIsr(request.clone().setTopic("missing").clearNewIsr().addNewIsr(leader).build()),
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "missing");

        assertThatThrownBy(() -> standby.stub().alterIsr(request.clone().clearNewIsr().addNewIsr(leader).build())).satisfies(e -> {
            assertThat(StrataError.reasonOf(e)).contains(ErrorCode.NOT_CONTROLLER);
            assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(Status.trailersFromThrowable(e).get(StrataError.LEADER_KEY)).isEqualTo(active.controller.candidateId());
        });
        assertRefused(() -> standby.stub().electPreferredLeaders(ElectPreferredLeadersRequest.getDefaultInstance()),
                ErrorCode.NOT_CONTROLLER, "standby");
    }

    @Test
    void electPreferredLeadersMovesLeadershipBackToTheFirstReplica() throws Exception {
        Instance active = instance();
        await().atMost(WAIT).until(active.controller::isActive);
        PartitionState p = createTopic("prefs", 1).getPartitions(0);
        int preferred = p.getReplicas(0);
        int other = p.getReplicas(1);
        // Move leadership away from the preferred replica as a failover would.
        coordination.updatePartitionState(io.strata.proto.v1.UpdatePartitionStateRequest.newBuilder()
                .setState(p.toBuilder().setLeader(other).setLeaderEpoch(p.getLeaderEpoch() + 1)).setExpectedPartitionEpoch(p.getPartitionEpoch())
                .build());

        await().atMost(WAIT).ignoreExceptions().until(() -> active.stub().electPreferredLeaders(ElectPreferredLeadersRequest.getDefaultInstance())
                .getElectedCount() == 1 || describe("prefs").getPartitions(0).getLeader() == preferred);

        PartitionState now = describe("prefs").getPartitions(0);
        assertThat(now.getLeader()).isEqualTo(preferred);
        assertThat(now.getLeaderEpoch()).isEqualTo(p.getLeaderEpoch() + 2);
        assertRefused(() -> active.stub().electPreferredLeaders(ElectPreferredLeadersRequest.newBuilder()
                .addPartitions(io.strata.proto.v1.TopicPartition.newBuilder().setTopic("prefs").setPartition(5)).build()),
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "prefs-5");
    }

    private static ReassignPartitionsRequest reassign(String topic, int partition, List<Integer> replicas) {
        return ReassignPartitionsRequest.newBuilder().addReassignments(PartitionReassignment.newBuilder().setTopic(topic)
                .setPartition(partition).addAllReplicas(replicas)).build();
    }

    /** The storage node (of 1..4) that is not a replica of {@code p}. */
    private static int freshNode(PartitionState p) {
        return java.util.stream.IntStream.rangeClosed(1, 4).filter(n -> !p.getReplicasList().contains(n)).findFirst().orElseThrow();
    }

    @Test
    void reassignPartitionsWritesTheUnionAndTheControllerSwitchesOnceTheNewReplicaIsInSync() throws Exception {
        storageNode(4);
        await().atMost(WAIT).until(() -> storage.get(4).session().registered());
        Instance active = instance();
        await().atMost(WAIT).until(active.controller::isActive);
        PartitionState p = createTopic("moves", 1).getPartitions(0);
        int leader = p.getLeader();
        int fresh = freshNode(p);
        List<Integer> others = p.getReplicasList().stream().filter(r -> r != leader).toList();
        List<Integer> target = List.of(fresh, others.get(0), others.get(1));

        // The controller needs a snapshot in which the new node is live.
        ReassignPartitionsResponse answer = await().atMost(WAIT).ignoreExceptions()
                .until(() -> active.stub().reassignPartitions(reassign("moves", 0, target)), r -> true);

        PartitionState started = answer.getStates(0);
        assertThat(started.getReplicasList()).containsExactly(fresh, others.get(0), others.get(1), leader);
        assertThat(started.getTargetReplicasList()).containsExactlyElementsOf(target);
        assertThat(started.getIsrList()).containsExactlyElementsOf(p.getIsrList());
        assertThat(started.getLeader()).isEqualTo(leader);
        assertThat(started.getPartitionEpoch()).isEqualTo(p.getPartitionEpoch() + 1);
        assertThat(describe("moves").getPartitions(0)).isEqualTo(started);
        assertThat(active.stub().reassignPartitions(reassign("moves", 0, target)).getStates(0)).as("repeating it changes nothing")
                .isEqualTo(started);

        // Nothing more happens until the new replica is in sync; then the leader adds it to the ISR.
        assertThat(describe("moves").getPartitions(0)).isEqualTo(started);
        List<Integer> expanded = new ArrayList<>(started.getIsrList());
        expanded.add(fresh);
        active.stub().alterIsr(AlterIsrRequest.newBuilder().setTopic("moves").setPartition(0).setLeaderId(leader)
                .setLeaderEpoch(started.getLeaderEpoch()).setPartitionEpoch(started.getPartitionEpoch()).addAllNewIsr(expanded).build());

        await().atMost(WAIT).until(() -> describe("moves").getPartitions(0).getTargetReplicasCount() == 0);
        PartitionState done = describe("moves").getPartitions(0);
        assertThat(done.getReplicasList()).containsExactlyElementsOf(target);
        assertThat(done.getIsrList()).containsExactlyInAnyOrderElementsOf(target);
        assertThat(done.getLeader()).as("leadership moved into the target, to its first replica").isEqualTo(fresh);
        assertThat(done.getLeaderEpoch()).isEqualTo(p.getLeaderEpoch() + 1);
    }

    @Test
    void reassignPartitionsCancelsAndRefusesWhatItMust() throws Exception {
        storageNode(4);
        await().atMost(WAIT).until(() -> storage.get(4).session().registered());
        Instance active = instance();
        await().atMost(WAIT).until(active.controller::isActive);
        Instance standby = instance();
        PartitionState p = createTopic("undo", 1).getPartitions(0);
        int fresh = freshNode(p);
        List<Integer> target = List.of(fresh, p.getReplicas(0), p.getReplicas(1));
        PartitionState started = await().atMost(WAIT).ignoreExceptions()
                .until(() -> active.stub().reassignPartitions(reassign("undo", 0, target)), r -> true).getStates(0);
        assertThat(started.getTargetReplicasList()).containsExactlyElementsOf(target);

        PartitionState cancelled = active.stub().reassignPartitions(reassign("undo", 0, List.of())).getStates(0);

        assertThat(cancelled.getReplicasList()).as("the new replica never caught up: it leaves again").containsExactlyElementsOf(p.getReplicasList());
        assertThat(cancelled.getTargetReplicasCount()).isZero();
        assertThat(cancelled.getLeader()).isEqualTo(p.getLeader());
        assertThat(describe("undo").getPartitions(0)).isEqualTo(cancelled);

        assertRefused(() -> active.stub().reassignPartitions(reassign("undo", 0, List.of(fresh, 9))), ErrorCode.INELIGIBLE_REPLICA, "node 9");
        assertRefused(() -> active.stub().reassignPartitions(reassign("undo", 3, List.of(fresh))), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                "no partition 3");
        assertRefused(() -> active.stub().reassignPartitions(reassign("missing", 0, List.of(fresh))), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                "missing");
        assertRefused(() -> active.stub().reassignPartitions(reassign("undo", 0, List.of(fresh, fresh))), ErrorCode.INVALID_REPLICATION_FACTOR,
                "distinct");
        assertRefused(() -> standby.stub().reassignPartitions(reassign("undo", 0, List.of(fresh))), ErrorCode.NOT_CONTROLLER, "standby");
        assertThat(describe("undo").getPartitions(0)).isEqualTo(cancelled);
    }

    private static void assertRefused(ThrowingCallable call, ErrorCode reason, String messagePart) {
        assertThatThrownBy(call).satisfies(e -> {
            assertThat(StrataError.reasonOf(e)).contains(reason);
            assertThat(Status.fromThrowable(e).getCode()).isEqualTo(StrataError.statusCode(reason));
            assertThat(Status.fromThrowable(e).getDescription()).contains(messagePart);
        });
    }
}
