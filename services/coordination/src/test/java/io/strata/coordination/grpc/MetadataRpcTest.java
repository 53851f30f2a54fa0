package io.strata.coordination.grpc;

import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.InitProducerIdRequest;
import io.strata.proto.v1.InitProducerIdResponse;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.TopicMetadata;
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

/** GetMetadata and InitProducerId over a real gRPC server. */
@Timeout(60)
class MetadataRpcTest {

    @TempDir
    Path dir;

    private CoordinationTestServer coordination;
    private SessionClient node;

    @BeforeEach
    void start() throws Exception {
        coordination = new CoordinationTestServer(dir.resolve("metadata"), Map.of("strata.log.retention.hours", "24"));
        node = coordination.liveStorageNode(1);
    }

    @AfterEach
    void stop() throws Exception {
        node.close();
        coordination.close();
    }

    private ClusterMetadata metadata(String... topics) {
        return coordination.blocking().getMetadata(MetadataRequest.newBuilder().addAllTopics(List.of(topics)).build());
    }

    @Test
    void metadataListsEveryTopicWithPartitionsAndItsOverridesOverTheDefaultsSentOnce() {
        coordination.blocking().createTopic(CreateTopicRequest.newBuilder().setName("b").setPartitions(2).build());
        coordination.blocking().createTopic(CreateTopicRequest.newBuilder().setName("a").putConfigs("max.message.bytes", "1000").build());

        ClusterMetadata metadata = metadata();

        assertThat(metadata.getTopicsList()).extracting(TopicMetadata::getName).containsExactly("a", "b");
        TopicMetadata a = metadata.getTopics(0);
        assertThat(a.getTopicId()).isNotEmpty();
        assertThat(a.getPartitionsList()).hasSize(1);
        assertThat(a.getPartitions(0).getLeader()).isEqualTo(1);
        assertThat(a.getConfigsMap()).containsExactly(Map.entry("max.message.bytes", "1000"));
        assertThat(metadata.getTopics(1).getConfigsMap()).isEmpty();
        assertThat(metadata.getDefaultConfigsMap()).containsEntry("retention.ms", "86400000").containsKey("max.message.bytes");
        assertThat(metadata.getUnknownTopicsList()).isEmpty();
        assertThat(metadata.getRevision()).isPositive();
    }

    @Test
    void namedTopicsThatDoNotExistAreReportedAsUnknown() {
        coordination.blocking().createTopic(CreateTopicRequest.newBuilder().setName("known").build());

        ClusterMetadata metadata = metadata("missing", "known", "missing");

        assertThat(metadata.getTopicsList()).extracting(TopicMetadata::getName).containsExactly("known");
        assertThat(metadata.getUnknownTopicsList()).containsExactly("missing");
    }

    @Test
    void aNamedTopicThatCanNeverExistIsInvalidTopic() {
        assertStrataError(() -> metadata("bad name"), ErrorCode.INVALID_TOPIC, "contains ' '");
    }

    @Test
    void theClusterIdIsCreatedOnceAndSurvivesARestart() throws Exception {
        String id = metadata().getClusterId();
        assertThat(id).matches("[0-9a-f-]{36}");
        assertThat(metadata().getClusterId()).isEqualTo(id);

        node.close();
        coordination.close();
        coordination = new CoordinationTestServer(dir.resolve("metadata"));
        node = coordination.liveStorageNode(1);

        assertThat(metadata().getClusterId()).isEqualTo(id);
    }

    @Test
    void theRevisionGrowsWithEveryChange() {
        long before = metadata().getRevision();
        coordination.blocking().createTopic(CreateTopicRequest.newBuilder().setName("t").build());

        assertThat(metadata().getRevision()).isGreaterThan(before);
    }

    @Test
    void producerIdsWithoutATransactionalIdAreFreshEachTime() {
        InitProducerIdResponse first = coordination.blocking().initProducerId(InitProducerIdRequest.getDefaultInstance());
        InitProducerIdResponse second = coordination.blocking().initProducerId(InitProducerIdRequest.getDefaultInstance());

        assertThat(second.getProducerId()).isEqualTo(first.getProducerId() + 1);
        assertThat(first.getProducerEpoch()).isZero();
        assertThat(second.getProducerEpoch()).isZero();
    }

    @Test
    void theSameTransactionalIdKeepsItsProducerIdWithTheEpochBumped() {
        InitProducerIdRequest tx = InitProducerIdRequest.newBuilder().setTransactionalId("payments/writer-1").build();

        InitProducerIdResponse first = coordination.blocking().initProducerId(tx);
        InitProducerIdResponse again = coordination.blocking().initProducerId(tx);
        InitProducerIdResponse other = coordination.blocking().initProducerId(
                InitProducerIdRequest.newBuilder().setTransactionalId("payments/writer-2").build());

        assertThat(again.getProducerId()).isEqualTo(first.getProducerId());
        assertThat(again.getProducerEpoch()).isEqualTo(first.getProducerEpoch() + 1);
        assertThat(other.getProducerId()).isNotEqualTo(first.getProducerId());
    }

    @Test
    void anOverlongTransactionalIdIsInvalidRequest() {
        assertStrataError(() -> coordination.blocking().initProducerId(InitProducerIdRequest.newBuilder()
                .setTransactionalId("x".repeat(2000)).build()), ErrorCode.INVALID_REQUEST, "transactional_id");
    }
}
