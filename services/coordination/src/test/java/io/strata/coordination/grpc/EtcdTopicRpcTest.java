package io.strata.coordination.grpc;

import io.strata.coordination.store.EtcdMetadataStore;
import io.strata.coordination.testing.EtcdExtension;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DeleteTopicRequest;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ListTopicsRequest;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.TopicMetadata;
import io.strata.proto.v1.TopicSummary;
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
import static org.assertj.core.api.Assertions.tuple;

/** The Coordination gRPC service on a real etcd: node sessions, a topic's whole life, cluster metadata. */
@Timeout(60)
class EtcdTopicRpcTest {

    @RegisterExtension
    static final EtcdExtension ETCD = new EtcdExtension();

    private CoordinationTestServer coordination;
    private final List<SessionClient> nodes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        EtcdMetadataStore store = EtcdMetadataStore.builder(ETCD.endpoints()).root(EtcdExtension.newRoot())
                .requestTimeout(Duration.ofSeconds(5)).open();
        coordination = new CoordinationTestServer(store, Map.of("strata.num.partitions", "3"));
        for (int id = 1; id <= 3; id++) {
            nodes.add(coordination.liveStorageNode(id));
        }
    }

    @AfterEach
    void stop() throws Exception {
        // Clean session ends revoke the nodes' leases in etcd before the store closes.
        nodes.forEach(SessionClient::complete);
        nodes.forEach(SessionClient::awaitEnd);
        coordination.close();
    }

    @Test
    void aTopicIsCreatedDescribedListedAndDeletedOnEtcd() {
        TopicDescription created = coordination.blocking().createTopic(CreateTopicRequest.newBuilder().setName("orders")
                .setReplicationFactor(3).putConfigs("retention.ms", "60000").build());

        assertThat(created.getPartitionsList()).hasSize(3)
                .allSatisfy(p -> assertThat(p.getReplicasList()).containsExactlyInAnyOrder(1, 2, 3));
        assertThat(coordination.blocking().describeTopic(DescribeTopicRequest.newBuilder().setName("orders").build()))
                .isEqualTo(created);
        assertThat(coordination.blocking().listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsList())
                .extracting(TopicSummary::getName, TopicSummary::getPartitions, TopicSummary::getReplicationFactor)
                .containsExactly(tuple("orders", 3, 3));
        ClusterMetadata metadata = coordination.blocking().getMetadata(MetadataRequest.getDefaultInstance());
        assertThat(metadata.getNodesList()).hasSize(3);
        assertThat(metadata.getTopicsList()).extracting(TopicMetadata::getName).containsExactly("orders");
        assertThat(metadata.getClusterId()).isNotEmpty();
        assertStrataError(() -> coordination.blocking().createTopic(CreateTopicRequest.newBuilder().setName("orders").build()),
                ErrorCode.TOPIC_ALREADY_EXISTS, "'orders' already exists");

        String deleted = coordination.blocking().deleteTopic(DeleteTopicRequest.newBuilder().setName("orders").build()).getTopicId();

        assertThat(deleted).isEqualTo(created.getTopicId());
        assertStrataError(() -> coordination.blocking().describeTopic(DescribeTopicRequest.newBuilder().setName("orders").build()),
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "'orders' does not exist");
    }
}
