package io.strata.standalone;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.proto.StrataError;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchRequest;
import io.strata.proto.v1.FetchResponse;
import io.strata.proto.v1.InitProducerIdRequest;
import io.strata.proto.v1.InitProducerIdResponse;
import io.strata.proto.v1.ListOffsetsRequest;
import io.strata.proto.v1.OffsetForLeaderEpochRequest;
import io.strata.proto.v1.OffsetForLeaderEpochResponse;
import io.strata.proto.v1.OffsetSpec;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.ReplicaFetchRequest;
import io.strata.proto.v1.ReplicaFetchResponse;
import io.strata.proto.v1.StorageGrpc;
import io.strata.records.Compression;
import io.strata.records.Record;
import io.strata.records.RecordBatch;
import io.strata.records.RecordBatchBuilder;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The Storage gRPC service as clients see it, hosted by standalone (real coordination, real
 * logs on disk, real gRPC over loopback): produce (idempotent producers' retries included), fetch,
 * long poll, fetch stream, list offsets, and every kind of bad input refused with its reason and
 * nothing stored.
 */
@QuarkusTest
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StorageServiceTest {

    @Inject
    GrpcServer grpcServer;
    @Inject
    StorageNode storageNode;

    private ManagedChannel channel;
    private StorageGrpc.StorageBlockingStub storage;
    private CoordinationGrpc.CoordinationBlockingStub coordination;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcServer.port()).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
        storage = StorageGrpc.newBlockingStub(channel);
        coordination = CoordinationGrpc.newBlockingStub(channel);
        await().atMost(Duration.ofSeconds(30)).until(storageNode::isReady);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    private String newTopic(int partitions, String... configs) {
        String name = "t-" + UUID.randomUUID().toString().substring(0, 8);
        CreateTopicRequest.Builder request = CreateTopicRequest.newBuilder().setName(name).setPartitions(partitions);
        for (int i = 0; i < configs.length; i += 2) {
            request.putConfigs(configs[i], configs[i + 1]);
        }
        coordination.createTopic(request.build());
        await().atMost(Duration.ofSeconds(10)).until(() -> storageNode.partitions().get(name, partitions - 1).isPresent());
        return name;
    }

    private static ByteBuffer batch(Compression compression, String... values) {
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, 1024);
        long now = System.currentTimeMillis();
        for (String v : values) {
            builder.append(now, ("k-" + v).getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8), List.of());
        }
        return builder.build();
    }

    private ProduceResponse produce(String topic, ByteBuffer batches) {
        return storage.produce(ProduceRequest.newBuilder().setTopic(topic).setPartition(0).setAcks(Acks.ACKS_ALL)
                .setBatches(ByteString.copyFrom(batches)).build());
    }

    private List<Record> fetchAll(String topic, long offset) {
        FetchResponse r = storage.fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(offset).build());
        return RecordBatches.decode(r.getBatches().asReadOnlyByteBuffer());
    }

    private static ErrorCode reasonOf(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return StrataError.reasonOf(e).orElseThrow();
        }
        throw new AssertionError("call succeeded");
    }

    @Test
    void producedBatchesGetConsecutiveOffsetsAndReadBackInOrder() {
        String topic = newTopic(1);
        ProduceResponse first = produce(topic, batch(Compression.NONE, "a", "b", "c"));
        ProduceResponse second = produce(topic, batch(Compression.LZ4, "d", "e"));
        assertThat(first.getBaseOffset()).isZero();
        assertThat(first.getLastOffset()).isEqualTo(2);
        assertThat(second.getBaseOffset()).isEqualTo(3);
        assertThat(second.getLastOffset()).isEqualTo(4);
        List<Record> records = fetchAll(topic, 0);
        assertThat(records).extracting(Record::offset).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(records).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("a", "b", "c", "d", "e");
    }

    /** A batch of an idempotent producer that coordination handed {@code producer}. */
    private static ByteBuffer idempotent(InitProducerIdResponse producer, int epoch, int baseSequence, String... values) {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 256)
                .producer(producer.getProducerId(), (short) epoch, baseSequence);
        for (String v : values) {
            builder.append(System.currentTimeMillis(), null, v.getBytes(StandardCharsets.UTF_8), List.of());
        }
        return builder.build();
    }

    private static List<String> values(List<Record> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void theSameIdempotentProduceSentTwiceIsWrittenOnceAndBothAnswersCarryTheSameBaseOffset() {
        String topic = newTopic(1);
        InitProducerIdResponse producer = coordination.initProducerId(InitProducerIdRequest.getDefaultInstance());
        produce(topic, idempotent(producer, 0, 0, "a", "b"));
        ByteBuffer retried = idempotent(producer, 0, 2, "c", "d", "e");

        ProduceResponse first = produce(topic, retried.duplicate());
        ProduceResponse second = produce(topic, retried.duplicate());

        assertThat(first.getBaseOffset()).isEqualTo(2);
        assertThat(second.getBaseOffset()).isEqualTo(first.getBaseOffset());
        assertThat(second.getLastOffset()).isEqualTo(first.getLastOffset()).isEqualTo(4);
        assertThat(values(fetchAll(topic, 0))).containsExactly("a", "b", "c", "d", "e");
    }

    @Test
    void aSequenceGapAndAnOlderProducerEpochAreRefusedWithTheirReasonsAndNothingIsWritten() {
        String topic = newTopic(1);
        InitProducerIdResponse producer = coordination.initProducerId(InitProducerIdRequest.getDefaultInstance());
        produce(topic, idempotent(producer, 3, 0, "a"));

        StatusRuntimeException gap = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> produce(topic, idempotent(producer, 3, 5, "x")));

        assertThat(gap.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(StrataError.reasonOf(gap)).contains(ErrorCode.OUT_OF_ORDER_SEQUENCE);
        assertThat(gap.getStatus().getDescription()).contains("sent sequence 5; expected 1").contains("nothing was written");
        assertThat(reasonOf(() -> produce(topic, idempotent(producer, 2, 1, "y")))).isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH);
        assertThat(values(fetchAll(topic, 0))).containsExactly("a");
    }

    @Test
    void fetchFromTheMiddleOfABatchReturnsTheWholeBatch() {
        String topic = newTopic(1);
        produce(topic, batch(Compression.NONE, "a", "b", "c"));
        FetchResponse r = storage.fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(1).build());
        assertThat(RecordBatches.decode(r.getBatches().asReadOnlyByteBuffer())).extracting(Record::offset).containsExactly(0L, 1L, 2L);
        assertThat(r.getHighWatermark()).isEqualTo(3);
        assertThat(r.getNextOffset()).isEqualTo(3);
    }

    @Test
    void wrongCrcIsRefusedAsDataLossAndNothingIsStored() {
        String topic = newTopic(1);
        ByteBuffer good = batch(Compression.NONE, "x");
        ByteBuffer bad = batch(Compression.NONE, "y");
        bad.put(bad.limit() - 1, (byte) (bad.get(bad.limit() - 1) ^ 0x01));
        ByteBuffer both = ByteBuffer.allocate(good.remaining() + bad.remaining()).put(good).put(bad).flip();
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> produce(topic, both));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DATA_LOSS);
        assertThat(StrataError.reasonOf(e)).contains(ErrorCode.CORRUPT_BATCH);
        assertThat(e.getStatus().getDescription()).contains("nothing was written");
        assertThat(fetchAll(topic, 0)).isEmpty();
    }

    @Test
    void recordAboveMaxMessageBytesIsRefusedWithItsSizeAndTheLimit() {
        String topic = newTopic(1, "max.message.bytes", "2000");
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.LZ4, 4096);
        builder.append(System.currentTimeMillis(), null, new byte[3000], List.of());
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> produce(topic, builder.build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(StrataError.reasonOf(e)).contains(ErrorCode.RECORD_TOO_LARGE);
        assertThat(e.getStatus().getDescription()).contains("max.message.bytes=2000").contains("300");
        assertThat(fetchAll(topic, 0)).isEmpty();
    }

    @Test
    void malformedBatchAndMalformedRequestsAreRefused() {
        String topic = newTopic(1);
        ByteBuffer b = batch(Compression.NONE, "x");
        b.put(RecordBatch.MAGIC_OFFSET, (byte) 7);
        assertThat(reasonOf(() -> produce(topic, b))).isEqualTo(ErrorCode.INVALID_BATCH);
        assertThat(reasonOf(() -> produce(topic, ByteBuffer.wrap(new byte[10])))).isEqualTo(ErrorCode.INVALID_BATCH);
        assertThat(reasonOf(() -> produce(topic, ByteBuffer.allocate(0)))).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(reasonOf(() -> storage.produce(ProduceRequest.newBuilder().setTopic("").setPartition(0)
                .setBatches(ByteString.copyFrom(batch(Compression.NONE, "x"))).build()))).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(reasonOf(() -> storage.fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(-1).build())))
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(fetchAll(topic, 0)).isEmpty();
    }

    @Test
    void unknownTopicOrPartitionIsNotFound() {
        String topic = newTopic(1);
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> storage.produce(ProduceRequest.newBuilder().setTopic("missing-topic").setPartition(0)
                        .setBatches(ByteString.copyFrom(batch(Compression.NONE, "x"))).build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(StrataError.reasonOf(e)).contains(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(reasonOf(() -> storage.fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(5).build())))
                .isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void offsetOutOfRangeNamesTheValidRange() {
        String topic = newTopic(1);
        produce(topic, batch(Compression.NONE, "a", "b"));
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> storage.fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(50).build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
        assertThat(StrataError.reasonOf(e)).contains(ErrorCode.OFFSET_OUT_OF_RANGE);
        assertThat(e.getStatus().getDescription()).contains("50");
    }

    @Test
    void staleAndFutureLeaderEpochsAreRefused() {
        String topic = newTopic(1);
        ByteBuffer b = batch(Compression.NONE, "x");
        assertThat(reasonOf(() -> storage.produce(ProduceRequest.newBuilder().setTopic(topic).setPartition(0).setLeaderEpoch(-5)
                .setBatches(ByteString.copyFrom(b.duplicate())).build()))).isEqualTo(ErrorCode.FENCED_LEADER_EPOCH);
        assertThat(reasonOf(() -> storage.produce(ProduceRequest.newBuilder().setTopic(topic).setPartition(0).setLeaderEpoch(99)
                .setBatches(ByteString.copyFrom(b.duplicate())).build()))).isEqualTo(ErrorCode.UNKNOWN_LEADER_EPOCH);
        ProduceResponse ok = storage.produce(ProduceRequest.newBuilder().setTopic(topic).setPartition(0).setLeaderEpoch(0)
                .setBatches(ByteString.copyFrom(b.duplicate())).build());
        assertThat(ok.getBaseOffset()).isZero();
    }

    @Test
    void longPollAnswersAsSoonAsDataArrives() throws Exception {
        String topic = newTopic(1);
        StorageGrpc.StorageStub async = StorageGrpc.newStub(channel);
        CompletableFuture<FetchResponse> answer = new CompletableFuture<>();
        async.fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(0).setMaxWaitMs(20_000).build(),
                new StreamObserver<>() {
                    public void onNext(FetchResponse v) {
                        answer.complete(v);
                    }

                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    public void onCompleted() {
                    }
                });
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !answer.isDone());
        produce(topic, batch(Compression.NONE, "late"));
        FetchResponse r = answer.get(5, TimeUnit.SECONDS);
        assertThat(RecordBatches.decode(r.getBatches().asReadOnlyByteBuffer())).extracting(x -> new String(x.value(), StandardCharsets.UTF_8))
                .containsExactly("late");
    }

    @Test
    void longPollWithoutDataAnswersEmptyAfterMaxWait() {
        String topic = newTopic(1);
        long start = System.nanoTime();
        FetchResponse r = storage.fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(0).setMaxWaitMs(300).build());
        assertThat(r.getBatches().isEmpty()).isTrue();
        assertThat(r.getNextOffset()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
    }

    @Test
    void fetchStreamDeliversExistingAndNewBatchesInOrder() throws Exception {
        String topic = newTopic(1);
        produce(topic, batch(Compression.NONE, "1", "2"));
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch five = new CountDownLatch(5);
        StorageGrpc.newStub(channel).fetchStream(FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(0).build(),
                new StreamObserver<>() {
                    public void onNext(FetchResponse v) {
                        for (Record rec : RecordBatches.decode(v.getBatches().asReadOnlyByteBuffer())) {
                            seen.add(new String(rec.value(), StandardCharsets.UTF_8));
                            five.countDown();
                        }
                    }

                    public void onError(Throwable t) {
                    }

                    public void onCompleted() {
                    }
                });
        produce(topic, batch(Compression.LZ4, "3"));
        produce(topic, batch(Compression.NONE, "4", "5"));
        assertThat(five.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(seen).containsExactly("1", "2", "3", "4", "5");
    }

    @Test
    void aFetchStreamParkedAtTheLogEndEndsWhenItsPartitionLeavesTheNode() throws Exception {
        String topic = newTopic(1);
        produce(topic, batch(Compression.NONE, "1"));
        CountDownLatch first = new CountDownLatch(1);
        java.util.concurrent.CompletableFuture<Throwable> ended = new java.util.concurrent.CompletableFuture<>();
        StorageGrpc.newStub(channel).fetchStream(FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(0).build(),
                new StreamObserver<>() {
                    public void onNext(FetchResponse v) {
                        first.countDown();
                    }

                    public void onError(Throwable t) {
                        ended.complete(t);
                    }

                    public void onCompleted() {
                        ended.complete(null);
                    }
                });
        assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
        // The stream now waits for appends; the partition is deleted with its topic (a replica removed
        // from this node looks the same): the stream must end, not wait on a partition no longer here.
        coordination.deleteTopic(io.strata.proto.v1.DeleteTopicRequest.newBuilder().setName(topic).build());
        Throwable t = ended.get(10, TimeUnit.SECONDS);
        assertThat(t).isInstanceOf(StatusRuntimeException.class);
        assertThat(StrataError.reasonOf((StatusRuntimeException) t)).contains(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void listOffsetsFindsEarliestLatestAndByTimestamp() {
        String topic = newTopic(1);
        RecordBatchBuilder early = new RecordBatchBuilder(Compression.NONE, 256);
        early.append(1_000, null, "old".getBytes(StandardCharsets.UTF_8), List.of());
        produce(topic, early.build());
        RecordBatchBuilder late = new RecordBatchBuilder(Compression.NONE, 256);
        late.append(5_000, null, "new".getBytes(StandardCharsets.UTF_8), List.of());
        produce(topic, late.build());
        ListOffsetsRequest.Builder q = ListOffsetsRequest.newBuilder().setTopic(topic).setPartition(0);
        assertThat(storage.listOffsets(q.setSpec(OffsetSpec.EARLIEST).build()).getOffset()).isZero();
        assertThat(storage.listOffsets(q.setSpec(OffsetSpec.LATEST).build()).getOffset()).isEqualTo(2);
        assertThat(storage.listOffsets(q.setSpec(OffsetSpec.TIMESTAMP).setTimestampMs(3_000).build()).getOffset()).isEqualTo(1);
        assertThat(storage.listOffsets(q.setSpec(OffsetSpec.TIMESTAMP).setTimestampMs(9_000).build()).getOffset()).isEqualTo(2);
        assertThatThrownBy(() -> storage.listOffsets(q.setSpec(OffsetSpec.OFFSET_SPEC_UNSPECIFIED).build()))
                .isInstanceOf(StatusRuntimeException.class);
    }

    @Test
    void offsetForLeaderEpochAnswersWhereAnEpochEndsAndRefusesBadAndStaleRequests() {
        String topic = newTopic(1);
        produce(topic, batch(Compression.NONE, "a", "b", "c"));
        OffsetForLeaderEpochRequest.Builder q = OffsetForLeaderEpochRequest.newBuilder().setTopic(topic).setPartition(0)
                .setCurrentLeaderEpoch(0);
        OffsetForLeaderEpochResponse latest = storage.offsetForLeaderEpoch(q.setLeaderEpoch(0).build());
        assertThat(latest.getLeaderEpoch()).isZero();
        assertThat(latest.getEndOffset()).isEqualTo(3);
        assertThat(reasonOf(() -> storage.offsetForLeaderEpoch(q.setLeaderEpoch(0).setCurrentLeaderEpoch(-1).build())))
                .isEqualTo(ErrorCode.FENCED_LEADER_EPOCH);
        assertThat(reasonOf(() -> storage.offsetForLeaderEpoch(q.setCurrentLeaderEpoch(7).build())))
                .isEqualTo(ErrorCode.UNKNOWN_LEADER_EPOCH);
        assertThat(reasonOf(() -> storage.offsetForLeaderEpoch(q.setTopic("").setCurrentLeaderEpoch(0).build())))
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(reasonOf(() -> storage.offsetForLeaderEpoch(q.setTopic("no-such-topic").build())))
                .isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void replicaFetchStreamsStoredBatchesAndAnswersEachPartitionsErrorsInBand() throws Exception {
        String topic = newTopic(1);
        produce(topic, batch(Compression.NONE, "a", "b"));
        ReplicaFetchRequest.Builder q = ReplicaFetchRequest.newBuilder().setReplicaId(storageNode.nodeId()).setTopic(topic)
                .setPartition(0).setLeaderEpoch(0).setMaxWaitMs(0);
        List<ReplicaFetchResponse> answers = replicaFetch(
                q.setFetchOffset(0).setCorrelationId(1).build(),
                q.setFetchOffset(99).setCorrelationId(2).build(),
                q.setFetchOffset(0).setLeaderEpoch(-3).setCorrelationId(3).build(),
                q.setLeaderEpoch(0).setReplicaId(42).setCorrelationId(4).build(),
                q.setReplicaId(storageNode.nodeId()).setTopic("no-such-topic").setCorrelationId(5).build());
        assertThat(answers).extracting(ReplicaFetchResponse::getCorrelationId).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L);
        for (ReplicaFetchResponse a : answers) {
            switch ((int) a.getCorrelationId()) {
                case 1 -> {
                    assertThat(a.getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
                    assertThat(RecordBatches.decode(a.getBatches().asReadOnlyByteBuffer())).hasSize(2);
                    assertThat(a.getNextOffset()).isEqualTo(2);
                    assertThat(a.getHighWatermark()).isEqualTo(2);
                }
                case 2 -> assertThat(a.getError()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE);
                case 3 -> assertThat(a.getError()).isEqualTo(ErrorCode.FENCED_LEADER_EPOCH);
                case 4 -> assertThat(a.getError()).isEqualTo(ErrorCode.INELIGIBLE_REPLICA);
                case 5 -> assertThat(a.getError()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
                default -> throw new AssertionError(a);
            }
            assertThat(a.getErrorMessage().isEmpty()).isEqualTo(a.getError() == ErrorCode.ERROR_CODE_UNSPECIFIED);
        }
    }

    @Test
    void aMalformedReplicaFetchRequestFailsTheStreamWithInvalidArgument() throws Exception {
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        StreamObserver<ReplicaFetchRequest> requests = StorageGrpc.newStub(channel).replicaFetch(new StreamObserver<>() {
            public void onNext(ReplicaFetchResponse v) {
            }

            public void onError(Throwable t) {
                failed.complete(t);
            }

            public void onCompleted() {
                failed.complete(null);
            }
        });
        requests.onNext(ReplicaFetchRequest.newBuilder().setReplicaId(1).setTopic("t").setFetchOffset(-1).build());
        Throwable t = failed.get(10, TimeUnit.SECONDS);
        assertThat(StrataError.reasonOf(t)).contains(ErrorCode.INVALID_REQUEST);
        assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void acksAllOnASingleReplicaIsAnsweredAtOnceAndConsumersSeeOnlyCommittedRecords() {
        String topic = newTopic(1);
        ProduceResponse r = produce(topic, batch(Compression.NONE, "x", "y"));
        assertThat(r.getLastOffset()).isEqualTo(1);
        FetchResponse f = storage.fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(0).build());
        assertThat(f.getHighWatermark()).isEqualTo(2);
        assertThat(RecordBatches.decode(f.getBatches().asReadOnlyByteBuffer())).hasSize(2);
    }

    /** Sends the requests on one ReplicaFetch stream and collects one answer per request. */
    private List<ReplicaFetchResponse> replicaFetch(ReplicaFetchRequest... requests) throws Exception {
        List<ReplicaFetchResponse> answers = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(requests.length);
        StreamObserver<ReplicaFetchRequest> stream = StorageGrpc.newStub(channel).replicaFetch(new StreamObserver<>() {
            public void onNext(ReplicaFetchResponse v) {
                answers.add(v);
                all.countDown();
            }

            public void onError(Throwable t) {
            }

            public void onCompleted() {
            }
        });
        for (ReplicaFetchRequest r : requests) {
            stream.onNext(r);
        }
        assertThat(all.await(10, TimeUnit.SECONDS)).as("answers to every request").isTrue();
        stream.onCompleted();
        return List.copyOf(answers);
    }
}
