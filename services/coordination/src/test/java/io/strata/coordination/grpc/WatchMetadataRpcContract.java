package io.strata.coordination.grpc;

import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicMetadata;
import io.strata.proto.v1.UpdatePartitionStateRequest;
import io.strata.proto.v1.WatchAssignmentsRequest;
import io.strata.proto.v1.WatchMetadataRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * WatchMetadata (the replication controller's view) and the live nodes in WatchAssignments,
 * written once and run on each metadata store ({@link WatchMetadataRpcTest}: embedded,
 * {@link EtcdWatchMetadataRpcTest}: a real etcd).
 */
abstract class WatchMetadataRpcContract {

    private static final Duration WAIT = Duration.ofSeconds(10);

    CoordinationTestServer coordination;
    private final List<SessionClient> sessions = new ArrayList<>();
    private final List<StreamRecorder<?, ?>> streams = new ArrayList<>();

    /** A fresh coordination server on this contract's store, with {@code strata.min.insync.replicas=2}. */
    abstract CoordinationTestServer startCoordination(Map<String, String> config) throws Exception;

    @BeforeEach
    void start() throws Exception {
        coordination = startCoordination(Map.of("strata.min.insync.replicas", "2"));
    }

    @AfterEach
    void stop() throws Exception {
        streams.forEach(s -> {
            if (!s.ended.isDone()) {
                s.cancel();
            }
        });
        sessions.forEach(SessionClient::close);
        coordination.close();
    }

    StreamRecorder<WatchMetadataRequest, ClusterMetadata> watchMetadata() {
        StreamRecorder<WatchMetadataRequest, ClusterMetadata> recorder = new StreamRecorder<>();
        coordination.async().watchMetadata(WatchMetadataRequest.getDefaultInstance(), recorder);
        streams.add(recorder);
        return recorder;
    }

    private StreamRecorder<WatchAssignmentsRequest, AssignmentSnapshot> watchAssignments(int nodeId) {
        StreamRecorder<WatchAssignmentsRequest, AssignmentSnapshot> recorder = new StreamRecorder<>();
        coordination.async().watchAssignments(WatchAssignmentsRequest.newBuilder().setNodeId(nodeId).build(), recorder);
        streams.add(recorder);
        return recorder;
    }

    private SessionClient node(int id, boolean uncleanShutdown) {
        SessionClient session = coordination.session();
        session.register(CoordinationTestServer.storage(id, "instance-" + id).setUncleanShutdown(uncleanShutdown).build());
        sessions.add(session);
        return session;
    }

    @Test
    void theWholeClusterComesAtOnceThenAfterEveryChange() {
        node(1, false);
        node(2, true);
        var watch = watchMetadata();
        await().atMost(WAIT).until(() -> watch.values.size() == 1);
        ClusterMetadata first = watch.last();
        assertThat(first.getClusterId()).isEqualTo(coordination.blocking().getMetadata(MetadataRequest.getDefaultInstance())
                .getClusterId()).isNotEmpty();
        assertThat(first.getRevision()).isPositive();
        assertThat(first.getTopicsList()).isEmpty();
        assertThat(first.getDefaultConfigsMap()).containsEntry("min.insync.replicas", "2").containsKey("segment.bytes");
        assertThat(first.getNodesList()).extracting(Node::getNodeId, Node::getHost, Node::getPort, Node::getUncleanShutdown)
                .containsExactly(tuple(1, "storage-1", 9101, false), tuple(2, "storage-2", 9102, true));

        coordination.blocking().createTopic(CreateTopicRequest.newBuilder().setName("orders").setPartitions(2)
                .setReplicationFactor(2).putConfigs("unclean.leader.election.enable", "true").build());

        await().atMost(WAIT).until(() -> watch.last().getTopicsCount() == 1);
        TopicMetadata orders = watch.last().getTopics(0);
        assertThat(orders.getName()).isEqualTo("orders");
        assertThat(orders.getTopicId()).isNotEmpty();
        assertThat(orders.getConfigsMap()).containsExactly(Map.entry("unclean.leader.election.enable", "true"));
        assertThat(orders.getPartitionsList()).hasSize(2).allSatisfy(p -> assertThat(p.getIsrCount()).isEqualTo(2));
        assertThat(watch.last().getRevision()).isGreaterThan(first.getRevision());

        PartitionState p0 = orders.getPartitions(0);
        PartitionState shrunk = p0.toBuilder().clearIsr().addIsr(p0.getLeader()).build();
        coordination.blocking().updatePartitionState(UpdatePartitionStateRequest.newBuilder().setState(shrunk)
                .setExpectedPartitionEpoch(p0.getPartitionEpoch()).build());

        await().atMost(WAIT).until(() -> watch.last().getTopics(0).getPartitions(0).getIsrCount() == 1);
        assertThat(watch.last().getTopics(0).getPartitions(0).getPartitionEpoch()).isEqualTo(p0.getPartitionEpoch() + 1);
    }

    @Test
    void aNodeLeavingOrJoiningSendsANewSnapshot() {
        SessionClient one = node(1, false);
        var watch = watchMetadata();
        await().atMost(WAIT).until(() -> watch.values.size() == 1);

        node(3, true);
        await().atMost(WAIT).until(() -> watch.last().getNodesCount() == 2);
        assertThat(watch.last().getNodes(1).getUncleanShutdown()).isTrue();

        one.complete();
        await().atMost(WAIT).until(() -> watch.last().getNodesCount() == 1);
        assertThat(watch.last().getNodesList()).extracting(Node::getNodeId).containsExactly(3);
    }

    @Test
    void theUncleanShutdownFlagSurvivesAReadinessChange() {
        SessionClient node = node(4, true);
        var watch = watchMetadata();
        await().atMost(WAIT).until(() -> watch.values.size() == 1 && watch.last().getNodesCount() == 1);

        node.keepAlive(false, true);
        await().atMost(WAIT).until(() -> watch.last().getNodesCount() == 0);
        node.keepAlive(true, true);

        await().atMost(WAIT).until(() -> watch.last().getNodesCount() == 1);
        assertThat(watch.last().getNodes(0).getUncleanShutdown()).isTrue();
    }

    @Test
    void theUncleanShutdownFlagClearsOnceTheNodeSaysItCaughtUpAndNeverSetsAgain() {
        SessionClient node = node(5, true);
        var watch = watchMetadata();
        await().atMost(WAIT).until(() -> watch.values.size() == 1 && watch.last().getNodesCount() == 1);
        assertThat(watch.last().getNodes(0).getUncleanShutdown()).isTrue();

        node.keepAlive(true, false);
        await().atMost(WAIT).until(() -> !watch.last().getNodes(0).getUncleanShutdown());
        node.keepAlive(true, true);
        node.keepAlive(false, true);
        await().atMost(WAIT).until(() -> watch.last().getNodesCount() == 0);
        node.keepAlive(true, true);
        await().atMost(WAIT).until(() -> watch.last().getNodesCount() == 1);
        assertThat(watch.last().getNodes(0).getUncleanShutdown()).isFalse();
    }

    @Test
    void assignmentSnapshotsListTheLiveStorageNodesAndFollowTheirChanges() {
        node(1, false);
        node(2, false);
        coordination.blocking().createTopic(CreateTopicRequest.newBuilder().setName("t").setPartitions(1).setReplicationFactor(2).build());
        var watch = watchAssignments(1);
        await().atMost(WAIT).until(() -> watch.values.size() == 1);
        assertThat(watch.last().getNodesList()).extracting(Node::getNodeId, Node::getHost, Node::getPort)
                .containsExactly(tuple(1, "storage-1", 9101), tuple(2, "storage-2", 9102));

        node(5, false);

        await().atMost(WAIT).until(() -> watch.values.size() == 2);
        assertThat(watch.last().getNodesList()).extracting(Node::getNodeId).containsExactly(1, 2, 5);
        assertThat(watch.last().getPartitionsList()).isEqualTo(watch.values.get(0).getPartitionsList());
        assertThat(watch.last().getRevision()).isGreaterThan(watch.values.get(0).getRevision());
    }
}
