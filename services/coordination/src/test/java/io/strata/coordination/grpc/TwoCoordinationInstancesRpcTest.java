package io.strata.coordination.grpc;

import io.strata.coordination.store.EtcdMetadataStore;
import io.strata.coordination.testing.EtcdExtension;
import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ListTopicsRequest;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionAssignment;
import io.strata.proto.v1.RegisterNode;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.TopicSummary;
import io.strata.proto.v1.WatchAssignmentsRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.strata.coordination.grpc.CoordinationTestServer.assertStrataError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two coordination instances side by side on one etcd and one root, each with its own etcd
 * client, as in a cluster: what is written through one is served by the other, the rules hold
 * across them, and when one crashes the other serves the same state while the node sessions
 * the crashed one held run out after their timeout.
 */
@Timeout(60)
class TwoCoordinationInstancesRpcTest {

    @RegisterExtension
    static final EtcdExtension ETCD = new EtcdExtension();

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Short, for the crash test to see a lease run out; the other test's session lasts a minute. */
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);

    private final String root = EtcdExtension.newRoot();
    private CoordinationTestServer a;
    private CoordinationTestServer b;
    private final List<SessionClient> sessions = new ArrayList<>();
    private final List<StreamRecorder<WatchAssignmentsRequest, AssignmentSnapshot>> watches = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        a = instance();
        b = instance();
    }

    @AfterEach
    void stop() throws Exception {
        watches.forEach(w -> {
            if (!w.ended.isDone()) {
                w.cancel();
            }
        });
        sessions.forEach(SessionClient::close);
        a.close();
        b.close();
    }

    private CoordinationTestServer instance() throws Exception {
        EtcdMetadataStore store = EtcdMetadataStore.builder(ETCD.endpoints()).root(root).requestTimeout(Duration.ofSeconds(5)).open();
        return new CoordinationTestServer(store, Map.of("strata.num.partitions", "2"));
    }

    @Test
    void whatOneInstanceWritesTheOtherServesAndTheRulesHoldAcrossThem() {
        SessionClient node = session(a, CoordinationTestServer.storage(1, "instance-1"));
        StreamRecorder<WatchAssignmentsRequest, AssignmentSnapshot> assignments = watchAssignments(b, 1);
        await().atMost(WAIT).until(() -> assignments.values.size() == 1);

        TopicDescription created = a.blocking().createTopic(CreateTopicRequest.newBuilder().setName("orders").build());

        assertThat(b.blocking().describeTopic(DescribeTopicRequest.newBuilder().setName("orders").build())).isEqualTo(created);
        assertThat(b.blocking().listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsList())
                .extracting(TopicSummary::getName).containsExactly("orders");
        assertStrataError(() -> b.blocking().createTopic(CreateTopicRequest.newBuilder().setName("orders").build()),
                ErrorCode.TOPIC_ALREADY_EXISTS, "'orders' already exists");
        ClusterMetadata throughA = metadata(a);
        ClusterMetadata throughB = metadata(b);
        assertThat(throughB.getNodesList()).extracting(Node::getNodeId).containsExactly(1);
        assertThat(throughB.getClusterId()).isNotEmpty().isEqualTo(throughA.getClusterId());
        assertThat(throughB.getTopicsList()).isEqualTo(throughA.getTopicsList());
        // B's assignment stream hears of A's topic through its own etcd watch.
        await().atMost(WAIT).until(() -> assignments.last().getPartitionsCount() == 2);
        assertThat(assignments.last().getPartitionsList()).extracting(PartitionAssignment::getTopicId)
                .containsOnly(created.getTopicId());
        // The node id is live through A, so another process cannot claim it through B.
        SessionClient impostor = new SessionClient(b.async());
        sessions.add(impostor);
        assertStrataError(() -> impostor.register(CoordinationTestServer.storage(1, "another-instance").build()),
                ErrorCode.NODE_ALREADY_REGISTERED, "already registered");
        assertThat(node.keepAlive(true).getLeaseId()).isPositive();
    }

    @Test
    void afterOneInstanceCrashesTheOtherServesTheSameStateAndTheCrashedInstancesSessionsRunOut() throws Exception {
        SessionClient node = session(a, CoordinationTestServer.storage(1, "instance-1")
                .setSessionTimeoutMs((int) SESSION_TIMEOUT.toMillis()));
        TopicDescription created = a.blocking().createTopic(CreateTopicRequest.newBuilder().setName("orders").build());
        ClusterMetadata before = metadata(b);
        assertThat(before.getNodesList()).extracting(Node::getNodeId).containsExactly(1);

        node.keepAlive(true);
        long lastKeepAlive = System.nanoTime();
        a.crash();

        assertThat(node.awaitEnd()).isNotNull();
        assertThat(b.blocking().describeTopic(DescribeTopicRequest.newBuilder().setName("orders").build())).isEqualTo(created);
        ClusterMetadata after = metadata(b);
        assertThat(after.getNodesList()).as("the node's lease has not run out yet").isEqualTo(before.getNodesList());
        assertThat(after.getTopicsList()).isEqualTo(before.getTopicsList());
        assertThat(after.getClusterId()).isEqualTo(before.getClusterId());

        await().atMost(SESSION_TIMEOUT.plus(WAIT)).pollInterval(Duration.ofMillis(100))
                .until(() -> metadata(b).getNodesList().isEmpty());
        Duration gone = Duration.ofNanos(System.nanoTime() - lastKeepAlive);
        assertThat(gone).as("the node disappears only once its session timeout ran out")
                .isGreaterThan(SESSION_TIMEOUT.minusMillis(200));
        assertThat(metadata(b).getTopicsList()).isEqualTo(before.getTopicsList());
    }

    private SessionClient session(CoordinationTestServer instance, RegisterNode.Builder registration) {
        SessionClient session = new SessionClient(instance.async());
        sessions.add(session);
        session.register(registration.build());
        return session;
    }

    private StreamRecorder<WatchAssignmentsRequest, AssignmentSnapshot> watchAssignments(CoordinationTestServer instance, int nodeId) {
        StreamRecorder<WatchAssignmentsRequest, AssignmentSnapshot> recorder = new StreamRecorder<>();
        instance.async().watchAssignments(WatchAssignmentsRequest.newBuilder().setNodeId(nodeId).build(), recorder);
        watches.add(recorder);
        return recorder;
    }

    private static ClusterMetadata metadata(CoordinationTestServer instance) {
        return instance.blocking().getMetadata(MetadataRequest.getDefaultInstance());
    }
}
