package io.strata.standalone;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.groups.GroupsNode;
import io.strata.groups.instance.GroupsInstance;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DescribeGroupRequest;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.GroupsGrpc;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.StorageGrpc;
import io.strata.records.Compression;
import io.strata.records.RecordBatchBuilder;
import io.strata.runtime.GrpcServer;
import io.strata.storage.StorageNode;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Standalone hosts the groups role: its one instance wins the "groups" election under its
 * advertised address, serves Groups on the shared gRPC port, and exports the consumer-group lag
 * on /q/metrics with log end offsets asked from the real storage node.
 */
@QuarkusTest
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class GroupsStandaloneTest {

    @TestHTTPResource("/q/metrics")
    URI metrics;
    @Inject
    GrpcServer grpcServer;
    @Inject
    StorageNode storageNode;
    @Inject
    GroupsNode groupsNode;

    private ManagedChannel channel;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcServer.port()).usePlaintext().build();
        await().atMost(Duration.ofSeconds(30)).until(() -> storageNode.isReady()
                && groupsNode.instanceIfStarted().map(GroupsInstance::isActive).orElse(false));
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    private GroupsGrpc.GroupsBlockingStub groups() {
        return GroupsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @Test
    void theGroupsInstanceLeadsTheElectionUnderItsAdvertisedAddress() {
        Iterator<LeadershipEvent> events = CoordinationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .observe(ObserveRequest.newBuilder().setElection("groups").build());
        LeadershipEvent event = events.next();
        while (event.getLeaderId().isEmpty()) {
            event = events.next();
        }
        assertThat(event.getLeaderId()).isEqualTo(grpcServer.advertised().toString());
    }

    @Test
    void lagIsExportedFromTheLeadersLogEndOffset() throws Exception {
        String topic = "groups-" + UUID.randomUUID();
        String group = "lag-" + UUID.randomUUID();
        CoordinationGrpc.newBlockingStub(channel).createTopic(CreateTopicRequest.newBuilder().setName(topic).setPartitions(1)
                .setReplicationFactor(1).build());
        RecordBatchBuilder batch = new RecordBatchBuilder(Compression.NONE, 1024);
        for (int i = 0; i < 5; i++) {
            batch.append(System.currentTimeMillis(), ("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8), List.of());
        }
        StorageGrpc.StorageBlockingStub storage = StorageGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> storage.produce(ProduceRequest.newBuilder()
                .setTopic(topic).setPartition(0).setAcks(Acks.ACKS_LEADER).setBatches(ByteString.copyFrom(batch.build())).build()) != null);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> groups().commitOffsets(CommitOffsetsRequest.newBuilder()
                .setGroupId(group).setMemberEpoch(-1).addOffsets(OffsetCommit.newBuilder().setTopic(topic).setPartition(0).setOffset(2))
                .build()));

        String partition = "{consumergroup=\"" + group + "\",partition=\"0\",topic=\"" + topic + "\"}";
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            List<String> lines = scrape();
            assertThat(lines).contains("strata_groups_active 1.0",
                    "kafka_consumergroup_current_offset" + partition + " 2.0",
                    "kafka_consumergroup_lag" + partition + " 3.0",
                    "kafka_consumergroup_lag_sum{consumergroup=\"" + group + "\",topic=\"" + topic + "\"} 3.0",
                    "kafka_consumergroup_members{consumergroup=\"" + group + "\"} 0.0");
        });
    }

    @Test
    void aMemberJoinsAndIsDescribedWithItsHost() {
        String topic = "members-" + UUID.randomUUID();
        String group = "members-" + UUID.randomUUID();
        CoordinationGrpc.newBlockingStub(channel).createTopic(CreateTopicRequest.newBuilder().setName(topic).setPartitions(2)
                .setReplicationFactor(1).build());
        GroupHeartbeatResponse joined = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> groups().heartbeat(GroupHeartbeatRequest.newBuilder().setGroupId(group).setMemberEpoch(0)
                        .addSubscribedTopicNames(topic).setClientId("standalone-test").build()), r -> r.hasAssignment());
        assertThat(joined.getMemberId()).isNotEmpty();
        GroupDescription described = groups().describeGroup(DescribeGroupRequest.newBuilder().setGroupId(group).build());
        assertThat(described.getMembersList()).singleElement().satisfies(m -> {
            assertThat(m.getMemberId()).isEqualTo(joined.getMemberId());
            assertThat(m.getClientId()).isEqualTo("standalone-test");
            assertThat(m.getHost()).isEqualTo("127.0.0.1");
        });
    }

    /** The scraped lines; labels written as {a="x",} (the 0.0.4 text format) or {a="x"} (OpenMetrics) both read as the latter. */
    private List<String> scrape() throws Exception {
        HttpResponse<String> response;
        try (HttpClient http = HttpClient.newHttpClient()) {
            response = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        }
        assertThat(response.statusCode()).isEqualTo(200);
        return Arrays.stream(response.body().split("\n")).map(l -> l.replace(",}", "}")).toList();
    }
}
