package io.strata.standalone;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.ingestion.IngestionNode;
import io.strata.proto.StrataError;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchRequest;
import io.strata.proto.v1.Header;
import io.strata.proto.v1.ListOffsetsRequest;
import io.strata.proto.v1.OffsetSpec;
import io.strata.proto.v1.StorageGrpc;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.PublishResult;
import io.strata.proto.v1.PublishResultRun;
import io.strata.records.Record;
import io.strata.records.RecordBatches;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Ingestion gRPC service as thin clients see it, hosted by standalone: records published
 * unary and streamed land in the log with the partition and offset they were answered with,
 * the instance is listed in the cluster metadata, and bad requests are refused whole with a
 * precise reason.
 */
@QuarkusTest
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class IngestionServiceTest {

    @Inject
    GrpcServer grpcServer;
    @Inject
    StorageNode storageNode;
    @Inject
    IngestionNode ingestionNode;

    private ManagedChannel channel;
    private IngestionGrpc.IngestionBlockingStub ingestion;
    private CoordinationGrpc.CoordinationBlockingStub coordination;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcServer.port()).usePlaintext().build();
        ingestion = IngestionGrpc.newBlockingStub(channel);
        coordination = CoordinationGrpc.newBlockingStub(channel);
        await().atMost(Duration.ofSeconds(30)).until(() -> storageNode.isReady() && ingestionNode.isReady());
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    private String topic(int partitions) {
        String name = "ingest-" + UUID.randomUUID();
        coordination.createTopic(CreateTopicRequest.newBuilder().setName(name).setPartitions(partitions).build());
        return name;
    }

    private static PublishRecord record(String topic, String key, String value) {
        PublishRecord.Builder r = PublishRecord.newBuilder().setTopic(topic).setValue(ByteString.copyFromUtf8(value));
        if (key != null) {
            r.setKey(ByteString.copyFromUtf8(key));
        }
        return r.build();
    }

    @Test
    void theInstanceIsListedInTheClusterMetadata() {
        String advertised = grpcServer.advertised().toString();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(coordination.getMetadata(MetadataRequest.getDefaultInstance()).getIngestionEndpointsList())
                        .contains(advertised));
    }

    @Test
    void publishedRecordsLandWhereTheAnswerSays() {
        String topic = topic(3);
        PublishRequest.Builder request = PublishRequest.newBuilder().setAcks(Acks.ACKS_ALL).setClientId("thin-1");
        for (int i = 0; i < 30; i++) {
            request.addRecords(record(topic, "key-" + (i % 5), "value-" + i));
        }
        PublishResponse response = ingestion.publish(request.build());

        assertThat(response.getResultsList()).hasSize(30).allSatisfy(r -> assertThat(r.getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED));
        // Same key, same partition, increasing offsets in request order.
        for (int i = 5; i < 30; i++) {
            PublishResult earlier = response.getResults(i - 5);
            PublishResult later = response.getResults(i);
            assertThat(later.getPartition()).isEqualTo(earlier.getPartition());
            assertThat(later.getOffset()).isGreaterThan(earlier.getOffset());
        }
        Set<String> offsets = new HashSet<>();
        response.getResultsList().forEach(r -> offsets.add(r.getPartition() + "/" + r.getOffset()));
        assertThat(offsets).hasSize(30);
        PublishResult first = response.getResults(0);
        byte[] log = StorageGrpc.newBlockingStub(channel).fetch(FetchRequest.newBuilder().setTopic(topic)
                .setPartition(first.getPartition()).setOffset(first.getOffset()).setMaxBytes(1 << 20).build())
                .getBatches().toByteArray();
        assertThat(new String(log, StandardCharsets.ISO_8859_1)).contains("value-0");
    }

    @Test
    void aStreamIsAnsweredOnceWithEveryRecordInOrder() throws Exception {
        String topic = topic(1);
        CompletableFuture<PublishResponse> answer = new CompletableFuture<>();
        StreamObserver<PublishRequest> stream = IngestionGrpc.newStub(channel).publishStream(new StreamObserver<>() {
            @Override
            public void onNext(PublishResponse value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        for (int batch = 0; batch < 10; batch++) {
            PublishRequest.Builder request = PublishRequest.newBuilder();
            for (int i = 0; i < 10; i++) {
                request.addRecords(record(topic, null, "v" + (batch * 10 + i)));
            }
            stream.onNext(request.build());
        }
        stream.onCompleted();
        List<PublishResult> results = answer.get(30, TimeUnit.SECONDS).getResultsList();
        assertThat(results).hasSize(100);
        for (int i = 1; i < 100; i++) {
            assertThat(results.get(i).getOffset()).isEqualTo(results.get(i - 1).getOffset() + 1);
        }
    }

    @Test
    void aRequestAskingForRunsIsAnsweredWithRunsThatMatchWhatWasWritten() {
        String topic = topic(3);
        PublishRequest.Builder request = PublishRequest.newBuilder().setAcks(Acks.ACKS_ALL).setResultRuns(true);
        for (int i = 0; i < 30; i++) {
            request.addRecords(record(topic, "key-" + (i % 3), "value-" + i));
        }
        PublishResponse response = ingestion.publish(request.build());

        assertThat(response.getResultsList()).isEmpty();
        assertThat(response.getRunsList()).isNotEmpty().hasSizeLessThanOrEqualTo(30);
        assertThat(response.getRunsList().stream().mapToInt(PublishResultRun::getCount).sum()).isEqualTo(30);
        // Expanded, the runs say what per-record results would: record i of the request at its offset.
        int i = 0;
        for (PublishResultRun run : response.getRunsList()) {
            for (int k = 0; k < run.getCount(); k++, i++) {
                long offset = run.getFirstOffset() + k;
                ByteBuffer log = StorageGrpc.newBlockingStub(channel).fetch(FetchRequest.newBuilder().setTopic(topic)
                        .setPartition(run.getPartition()).setOffset(offset).setMaxBytes(1 << 20).build())
                        .getBatches().asReadOnlyByteBuffer();
                Record written = RecordBatches.decode(log).stream().filter(r -> r.offset() == offset).findFirst().orElseThrow();
                assertThat(new String(written.value(), StandardCharsets.UTF_8)).isEqualTo("value-" + i);
                assertThat(written.timestamp()).isEqualTo(run.getTimestampMs());
            }
        }
    }

    @Test
    void aRequestAskingForRunsWithAFailedRecordIsAnsweredPerRecord() {
        PublishResponse response = ingestion.publish(PublishRequest.newBuilder().setResultRuns(true)
                .addRecords(record(topic(1), null, "fine"))
                .addRecords(record("no-such-topic-" + UUID.randomUUID(), null, "lost"))
                .build());
        assertThat(response.getRunsList()).isEmpty();
        assertThat(response.getResults(0).getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
        assertThat(response.getResults(1).getError()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void anUnknownTopicIsReportedPerRecord() {
        String topic = topic(1);
        PublishResponse response = ingestion.publish(PublishRequest.newBuilder()
                .addRecords(record(topic, null, "fine"))
                .addRecords(record("no-such-topic-" + UUID.randomUUID(), null, "lost"))
                .build());
        assertThat(response.getResults(0).getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
        assertThat(response.getResults(1).getError()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(response.getResults(1).getErrorMessage()).contains("no-such-topic");
    }

    @Test
    void malformedRequestsAreRefusedWholeWithTheirReason() {
        String topic = topic(1);
        assertRefused(PublishRequest.getDefaultInstance(), ErrorCode.INVALID_REQUEST, "at least one record");
        assertRefused(PublishRequest.newBuilder().addRecords(record(topic, null, "ok")).addRecords(record("bad/name", null, "x"))
                .build(), ErrorCode.INVALID_TOPIC, "record 1");
        assertRefused(PublishRequest.newBuilder().addRecords(record(topic, null, "x").toBuilder().setPartition(-1)).build(),
                ErrorCode.INVALID_REQUEST, "partition must be >= 0");
        assertRefused(PublishRequest.newBuilder().addRecords(record(topic, null, "x").toBuilder()
                .addHeaders(Header.newBuilder().setKey(""))).build(), ErrorCode.INVALID_REQUEST, "empty key");
        // Nothing of the refused requests reached the log (asked once the node hosts the new partition).
        ListOffsetsRequest latest = ListOffsetsRequest.newBuilder().setTopic(topic).setPartition(0).setSpec(OffsetSpec.LATEST).build();
        long end = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> StorageGrpc.newBlockingStub(channel).listOffsets(latest).getOffset(), o -> true);
        assertThat(end).isZero();
    }

    private void assertRefused(PublishRequest request, ErrorCode reason, String message) {
        assertThatThrownBy(() -> ingestion.publish(request))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getTrailers().get(StrataError.REASON_KEY)).isEqualTo(reason.name());
                    assertThat(e.getStatus().getDescription()).contains(message);
                });
    }
}
