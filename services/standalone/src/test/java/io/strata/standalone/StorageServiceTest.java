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
import io.strata.proto.v1.OffsetSpec;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
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
}
