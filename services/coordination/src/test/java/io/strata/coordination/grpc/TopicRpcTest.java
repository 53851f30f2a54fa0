package io.strata.coordination.grpc;

import io.strata.proto.v1.AlterTopicConfigRequest;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DeleteTopicRequest;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ListTopicsRequest;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.TopicSummary;
import io.strata.proto.v1.UpdatePartitionStateRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.strata.coordination.grpc.CoordinationTestServer.assertStrataError;
import static org.assertj.core.api.Assertions.assertThat;

/** Topic RPCs over a real gRPC server: answers, and every error's status code and strata-error reason. */
@Timeout(60)
class TopicRpcTest {

    @TempDir
    Path dir;

    private CoordinationTestServer coordination;
    private final List<SessionClient> nodes = new java.util.ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        coordination = new CoordinationTestServer(dir, Map.of("strata.num.partitions", "2", "strata.log.retention.hours", "1"));
        for (int id = 1; id <= 3; id++) {
            nodes.add(coordination.liveStorageNode(id));
        }
    }

    @AfterEach
    void stop() throws Exception {
        nodes.forEach(SessionClient::close);
        coordination.close();
    }

    private TopicDescription create(CreateTopicRequest.Builder request) {
        return coordination.blocking().createTopic(request.build());
    }

    private static CreateTopicRequest.Builder topic(String name) {
        return CreateTopicRequest.newBuilder().setName(name);
    }

    @Test
    void aCreatedTopicCanBeDescribedListedAndDeleted() {
        TopicDescription created = create(topic("orders").setReplicationFactor(3).putConfigs("segment.bytes", "1048576"));

        assertThat(created.getPartitionsList()).hasSize(2);
        assertThat(created.getConfigsMap()).containsEntry("retention.ms", "3600000").containsEntry("segment.bytes", "1048576");
        assertThat(coordination.blocking().describeTopic(DescribeTopicRequest.newBuilder().setName("orders").build()))
                .isEqualTo(created);
        assertThat(coordination.blocking().listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsList())
                .extracting(TopicSummary::getName, TopicSummary::getPartitions, TopicSummary::getReplicationFactor)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("orders", 2, 3));

        String deletedId = coordination.blocking().deleteTopic(DeleteTopicRequest.newBuilder().setName("orders").build()).getTopicId();

        assertThat(deletedId).isEqualTo(created.getTopicId());
        assertThat(coordination.blocking().listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsList()).isEmpty();
    }

    @Test
    void anInvalidTopicNameIsInvalidTopicOnEveryCall() {
        String bad = "no/slashes";
        assertStrataError(() -> create(topic(bad)), ErrorCode.INVALID_TOPIC, "contains '/'");
        assertStrataError(() -> coordination.blocking().describeTopic(DescribeTopicRequest.newBuilder().setName(bad).build()),
                ErrorCode.INVALID_TOPIC, "contains '/'");
        assertStrataError(() -> coordination.blocking().deleteTopic(DeleteTopicRequest.newBuilder().setName("").build()),
                ErrorCode.INVALID_TOPIC, "must not be empty");
    }

    @Test
    void negativePartitionsAreInvalidPartitions() {
        assertStrataError(() -> create(topic("t").setPartitions(-3)), ErrorCode.INVALID_PARTITIONS, "got -3");
    }

    @Test
    void aReplicationFactorAboveTheLiveStorageNodesIsInvalidReplicationFactor() {
        assertStrataError(() -> create(topic("t").setReplicationFactor(5)), ErrorCode.INVALID_REPLICATION_FACTOR,
                "requested 5, live storage nodes 3");
    }

    @Test
    void anUnknownConfigKeyIsInvalidConfig() {
        assertStrataError(() -> create(topic("t").putConfigs("log.retention.hours", "1")), ErrorCode.INVALID_CONFIG,
                "unknown topic config 'log.retention.hours'");
    }

    @Test
    void aBadConfigValueIsInvalidConfig() {
        assertStrataError(() -> create(topic("t").putConfigs("retention.ms", "soon")), ErrorCode.INVALID_CONFIG,
                "invalid value 'soon' for retention.ms");
    }

    @Test
    void creatingAnExistingTopicIsTopicAlreadyExists() {
        create(topic("t"));
        assertStrataError(() -> create(topic("t")), ErrorCode.TOPIC_ALREADY_EXISTS, "'t' already exists");
    }

    @Test
    void withNoLiveStorageNodeCreateIsNotEnoughNodes() {
        nodes.forEach(SessionClient::complete);
        nodes.forEach(SessionClient::awaitEnd);

        assertStrataError(() -> create(topic("t")), ErrorCode.NOT_ENOUGH_NODES, "no storage node is live");
    }

    @Test
    void anUnknownTopicIsUnknownTopicOnDescribeDeleteAndAlter() {
        assertStrataError(() -> coordination.blocking().describeTopic(DescribeTopicRequest.newBuilder().setName("ghost").build()),
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "'ghost' does not exist");
        assertStrataError(() -> coordination.blocking().deleteTopic(DeleteTopicRequest.newBuilder().setName("ghost").build()),
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "'ghost' does not exist");
        assertStrataError(() -> coordination.blocking().alterTopicConfig(AlterTopicConfigRequest.newBuilder().setName("ghost")
                .putSet("retention.ms", "1").build()), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "'ghost' does not exist");
    }

    @Test
    void alterTopicConfigAnswersTheNewEffectiveConfig() {
        create(topic("t"));

        TopicDescription altered = coordination.blocking().alterTopicConfig(AlterTopicConfigRequest.newBuilder().setName("t")
                .putSet("retention.ms", "-1").build());

        // Three live nodes and no replication factor: three replicas, so min.insync.replicas=2 came with the creation.
        assertThat(altered.getOverridesMap()).containsOnly(Map.entry("retention.ms", "-1"), Map.entry("min.insync.replicas", "2"));
        assertThat(altered.getConfigsMap()).containsEntry("retention.ms", "-1");
        assertStrataError(() -> coordination.blocking().alterTopicConfig(AlterTopicConfigRequest.newBuilder().setName("t")
                .putSet("cleanup.policy", "compact").build()), ErrorCode.INVALID_CONFIG, "cleanup.policy");
    }

    @Test
    void updatePartitionStateIsACompareAndSetOnThePartitionEpoch() {
        PartitionState p0 = create(topic("t").setPartitions(1).setReplicationFactor(3)).getPartitions(0);
        PartitionState shrunk = p0.toBuilder().clearIsr().addIsr(p0.getLeader()).build();

        PartitionState stored = coordination.blocking().updatePartitionState(UpdatePartitionStateRequest.newBuilder()
                .setState(shrunk).setExpectedPartitionEpoch(0).build());

        assertThat(stored.getPartitionEpoch()).isEqualTo(1);
        assertThat(stored.getIsrList()).containsExactly(p0.getLeader());
        assertStrataError(() -> coordination.blocking().updatePartitionState(UpdatePartitionStateRequest.newBuilder()
                .setState(shrunk).setExpectedPartitionEpoch(0).build()), ErrorCode.CAS_FAILED, "not the expected 0");
        assertStrataError(() -> coordination.blocking().updatePartitionState(UpdatePartitionStateRequest.getDefaultInstance()),
                ErrorCode.INVALID_REQUEST, "state is missing");
    }
}
