package io.strata.coordination.grpc;

import io.strata.proto.v1.AlterTopicConfigRequest;
import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DeleteTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionAssignment;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.WatchAssignmentsRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.strata.coordination.grpc.CoordinationTestServer.assertStrataError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** WatchAssignments streams: a snapshot at once, another after each change that concerns the node, no leaks. */
@Timeout(60)
class WatchAssignmentsRpcTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private CoordinationTestServer coordination;
    private final List<SessionClient> nodes = new ArrayList<>();
    private final List<StreamRecorder<WatchAssignmentsRequest, AssignmentSnapshot>> watches = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        coordination = new CoordinationTestServer(dir);
        nodes.add(coordination.liveStorageNode(1));
        nodes.add(coordination.liveStorageNode(2));
    }

    @AfterEach
    void stop() throws Exception {
        watches.forEach(w -> {
            if (!w.ended.isDone()) {
                w.cancel();
            }
        });
        nodes.forEach(SessionClient::close);
        coordination.close();
    }

    private StreamRecorder<WatchAssignmentsRequest, AssignmentSnapshot> watch(int nodeId) {
        StreamRecorder<WatchAssignmentsRequest, AssignmentSnapshot> recorder = new StreamRecorder<>();
        coordination.async().watchAssignments(WatchAssignmentsRequest.newBuilder().setNodeId(nodeId).build(), recorder);
        watches.add(recorder);
        return recorder;
    }

    private TopicDescription create(String name, int partitions, int rf) {
        return coordination.blocking().createTopic(CreateTopicRequest.newBuilder().setName(name).setPartitions(partitions)
                .setReplicationFactor(rf).build());
    }

    @Test
    void aNodeGetsItsSnapshotAtOnceThenAfterACreateAndADelete() {
        var watch = watch(1);
        await().atMost(WAIT).until(() -> watch.values.size() == 1);
        assertThat(watch.last().getPartitionsList()).isEmpty();

        TopicDescription topic = create("orders", 3, 2);

        await().atMost(WAIT).until(() -> watch.values.size() == 2);
        AssignmentSnapshot afterCreate = watch.last();
        assertThat(afterCreate.getRevision()).isGreaterThan(watch.values.get(0).getRevision());
        assertThat(afterCreate.getPartitionsList()).hasSize(3).allSatisfy(a -> {
            assertThat(a.getTopicId()).isEqualTo(topic.getTopicId());
            assertThat(a.getState().getReplicasList()).contains(1);
            assertThat(a.getConfigsMap()).containsKey("segment.bytes");
        });
        assertThat(afterCreate.getPartitionsList()).extracting(PartitionAssignment::getState).containsExactlyElementsOf(topic.getPartitionsList());

        coordination.blocking().deleteTopic(DeleteTopicRequest.newBuilder().setName("orders").build());

        await().atMost(WAIT).until(() -> watch.values.size() == 3);
        assertThat(watch.last().getPartitionsList()).isEmpty();
    }

    @Test
    void aChangeThatDoesNotConcernTheNodeSendsItNothing() {
        var bystander = watch(7);
        var involved = watch(1);
        await().atMost(WAIT).until(() -> bystander.values.size() == 1 && involved.values.size() == 1);

        create("t", 2, 2);

        await().atMost(WAIT).until(() -> involved.values.size() == 2);
        assertThat(bystander.values).hasSize(1);
    }

    @Test
    void aConfigChangeSendsTheNewEffectiveConfig() {
        create("t", 1, 2);
        var watch = watch(2);
        await().atMost(WAIT).until(() -> watch.values.size() == 1);

        coordination.blocking().alterTopicConfig(AlterTopicConfigRequest.newBuilder().setName("t").putSet("retention.ms", "5000").build());

        await().atMost(WAIT).until(() -> watch.values.size() == 2);
        assertThat(watch.last().getPartitions(0).getConfigsMap()).containsEntry("retention.ms", "5000");
    }

    @Test
    void aBurstOfChangesIsCoalescedAndEndsOnTheLatestState() {
        var watch = watch(1);
        await().atMost(WAIT).until(() -> watch.values.size() == 1);

        for (int i = 0; i < 10; i++) {
            create("burst-" + i, 1, 2);
        }

        await().atMost(WAIT).until(() -> !watch.values.isEmpty() && watch.last().getPartitionsCount() == 10);
        assertThat(watch.values.size()).isLessThanOrEqualTo(11);
        assertThat(watch.values).extracting(AssignmentSnapshot::getRevision).isSorted();
    }

    @Test
    void cancellingTheStreamReleasesItsWatches() {
        var first = watch(1);
        var second = watch(2);
        await().atMost(WAIT).until(() -> first.values.size() == 1 && second.values.size() == 1);
        assertThat(coordination.store.openWatches()).isPositive();

        first.cancel();
        second.cancel();

        await().atMost(WAIT).until(() -> coordination.store.openWatches() == 0);
    }

    @Test
    void aNegativeNodeIdIsInvalidRequest() {
        var watch = watch(-1);
        assertStrataError(watch.awaitEnd(), ErrorCode.INVALID_REQUEST, "node_id");
    }
}
