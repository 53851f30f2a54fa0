package io.strata.standalone;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.client.producer.Murmur2;
import io.strata.ingestion.IngestionNode;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchRequest;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.ListOffsetsRequest;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.OffsetSpec;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.PublishAck;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.PublishResult;
import io.strata.proto.v1.StorageGrpc;
import io.strata.proto.v1.UpdatePartitionStateRequest;
import io.strata.records.Record;
import io.strata.records.RecordBatches;
import io.strata.replication.ReplicationNode;
import io.strata.runtime.GrpcServer;
import io.strata.storage.StorageNode;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Store-and-forward through the Ingestion service hosted by standalone: {@code ack=spooled}
 * answers once the records are on the instance's disk — while their partitions have no leader,
 * so before anything could be committed — with the partition chosen and offset -1, and the
 * records reach the log once the leaders are back, each once and in order per partition. A
 * spooled request the spool cannot hold is refused whole with RESOURCE_EXHAUSTED.
 */
@QuarkusTest
@TestProfile(IngestionSpoolTest.SmallSpool.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class IngestionSpoolTest {

    /** A 1 MiB spool of 64 KiB segments, in a directory of its own. */
    public static class SmallSpool implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.ingestion.spool.dir", "target/spool-test-" + UUID.randomUUID(),
                    "strata.ingestion.spool.max.bytes", "1048576",
                    "strata.ingestion.spool.segment.bytes", "65536");
        }
    }

    @Inject
    GrpcServer grpcServer;
    @Inject
    StorageNode storageNode;
    @Inject
    IngestionNode ingestionNode;
    @Inject
    ReplicationNode replicationNode;

    private ManagedChannel channel;
    private CoordinationGrpc.CoordinationBlockingStub coordination;
    private IngestionGrpc.IngestionBlockingStub ingestion;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcServer.port()).usePlaintext().build();
        coordination = CoordinationGrpc.newBlockingStub(channel);
        ingestion = IngestionGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> storageNode.isReady() && ingestionNode.isReady());
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    private String topic(int partitions) {
        String name = "spool-" + UUID.randomUUID();
        coordination.createTopic(CreateTopicRequest.newBuilder().setName(name).setPartitions(partitions).build());
        return name;
    }

    private static PublishRecord record(String topic, String key, String value) {
        return PublishRecord.newBuilder().setTopic(topic).setKey(ByteString.copyFromUtf8(key))
                .setValue(ByteString.copyFromUtf8(value)).build();
    }

    private List<PartitionState> partitions(String topic) {
        ClusterMetadata m = coordination.getMetadata(MetadataRequest.newBuilder().addTopics(topic).build());
        return m.getTopics(0).getPartitionsList();
    }

    /** Sets a partition's leader (-1 = offline) with a new leader epoch, as the replication controller would. */
    private void setLeader(PartitionState p, int leader) {
        coordination.updatePartitionState(UpdatePartitionStateRequest.newBuilder()
                .setState(p.toBuilder().setLeader(leader).setLeaderEpoch(p.getLeaderEpoch() + 1))
                .setExpectedPartitionEpoch(p.getPartitionEpoch()).build());
    }

    private boolean notLed(String topic, int partition) {
        try {
            StorageGrpc.newBlockingStub(channel).listOffsets(ListOffsetsRequest.newBuilder().setTopic(topic)
                    .setPartition(partition).setSpec(OffsetSpec.LATEST).build());
            return false;
        } catch (StatusRuntimeException e) {
            return true;
        }
    }

    /** Every record of the partition, in offset order. */
    private List<Record> read(String topic, int partition) {
        StorageGrpc.StorageBlockingStub storage = StorageGrpc.newBlockingStub(channel);
        long end = storage.listOffsets(ListOffsetsRequest.newBuilder().setTopic(topic).setPartition(partition)
                .setSpec(OffsetSpec.LATEST).build()).getOffset();
        List<Record> records = new ArrayList<>();
        while (records.size() < end) {
            byte[] batches = storage.fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(partition)
                    .setOffset(records.size()).setMaxBytes(1 << 20).build()).getBatches().toByteArray();
            records.addAll(RecordBatches.decode(ByteBuffer.wrap(batches)));
        }
        return records;
    }

    @Test
    void spooledRecordsAreAnsweredWhileNoLeaderCanTakeThemAndArriveOnceInOrderWhenOneCan() {
        // This test plays the controller (leaders offline, then back): the real one, which would
        // re-elect the live storage node at once, leaves this profile's application first.
        replicationNode.stop();
        String topic = topic(2);
        List<PartitionState> before = partitions(topic);
        before.forEach(p -> setLeader(p, -1));
        await().atMost(Duration.ofSeconds(10)).until(() -> partitions(topic).stream().allMatch(p -> p.getLeader() < 0));
        // ... and the storage node applied it: it takes no produce for them any more.
        await().atMost(Duration.ofSeconds(10)).until(() -> notLed(topic, 0) && notLed(topic, 1));

        List<PublishResult> answers = new ArrayList<>();
        for (int request = 0; request < 3; request++) {
            PublishRequest.Builder r = PublishRequest.newBuilder().setAck(PublishAck.PUBLISH_ACK_SPOOLED).setClientId("thin");
            for (int i = 0; i < 10; i++) {
                int n = request * 10 + i;
                r.addRecords(record(topic, "key-" + (n % 4), "value-" + n));
            }
            PublishResponse response = ingestion.publish(r.build());
            answers.addAll(response.getResultsList());
        }

        assertThat(answers).hasSize(30);
        for (int n = 0; n < 30; n++) {
            PublishResult result = answers.get(n);
            assertThat(result.getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
            assertThat(result.getOffset()).isEqualTo(-1);
            assertThat(result.getPartition()).isEqualTo(Murmur2.partitionForKey(("key-" + (n % 4)).getBytes(StandardCharsets.UTF_8), 2));
        }
        assertThat(ingestionNode.spoolStats().orElseThrow().pendingRecords()).isEqualTo(30);

        partitions(topic).forEach(p -> setLeader(p, 1));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() ->
                assertThat(read(topic, 0).size() + read(topic, 1).size()).isEqualTo(30));

        Map<String, List<Integer>> perKey = new HashMap<>();
        for (int partition = 0; partition < 2; partition++) {
            for (Record r : read(topic, partition)) {
                String key = new String(r.key(), StandardCharsets.UTF_8);
                int n = Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8).substring("value-".length()));
                assertThat(answers.get(n).getPartition()).isEqualTo(partition);
                perKey.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
            }
        }
        // Each record once, and every key's records in the order they were published.
        assertThat(perKey.values().stream().mapToInt(List::size).sum()).isEqualTo(30);
        perKey.values().forEach(ns -> assertThat(ns).isSorted().doesNotHaveDuplicates());
        await().atMost(Duration.ofSeconds(10)).until(() -> ingestionNode.spoolStats().orElseThrow().pendingRecords() == 0);
    }

    @Test
    void aSpooledRequestTheSpoolCannotHoldIsRefusedWholeWithRetryAdvice() {
        String topic = topic(1);
        byte[] incompressible = new byte[600_000];
        new Random(7).nextBytes(incompressible);
        PublishRecord big = record(topic, "a", "").toBuilder().setValue(ByteString.copyFrom(incompressible)).build();
        PublishRequest tooMuch = PublishRequest.newBuilder().setAck(PublishAck.PUBLISH_ACK_SPOOLED)
                .addRecords(big).addRecords(big).build();
        assertThatThrownBy(() -> ingestion.publish(tooMuch)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(e.getTrailers().get(StrataError.REASON_KEY)).isEqualTo(ErrorCode.BUFFER_EXHAUSTED.name());
            assertThat(e.getTrailers().get(StrataError.RETRY_AFTER_KEY)).isNotBlank();
            assertThat(e.getStatus().getDescription()).contains("nothing of this request was spooled");
        });

        // Nothing of it was spooled: the next spooled record is the partition's first.
        ingestion.publish(PublishRequest.newBuilder().setAck(PublishAck.PUBLISH_ACK_SPOOLED)
                .addRecords(record(topic, "c", "fits")).build());
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(read(topic, 0))
                .singleElement().satisfies(r -> assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("fits")));
    }

    @Test
    void aSpooledRecordForAnUnknownTopicFailsAloneAndTheOthersAreSpooled() {
        String topic = topic(1);
        PublishResponse response = ingestion.publish(PublishRequest.newBuilder().setAck(PublishAck.PUBLISH_ACK_SPOOLED)
                .addRecords(record(topic, "k", "fine"))
                .addRecords(record("no-such-topic-" + UUID.randomUUID(), "k", "lost"))
                .build());
        assertThat(response.getResults(0).getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
        assertThat(response.getResults(1).getError()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(read(topic, 0)).hasSize(1));
    }
}
