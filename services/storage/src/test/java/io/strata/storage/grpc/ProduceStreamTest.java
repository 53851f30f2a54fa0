package io.strata.storage.grpc;

import com.google.protobuf.ByteString;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.strata.proto.LeasedMessageMarshaller;
import io.strata.proto.ParseBufferPool;
import io.strata.proto.StrataError;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionAssignment;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceStreamRequest;
import io.strata.proto.v1.ProduceStreamResponse;
import io.strata.proto.v1.StorageGrpc;
import io.strata.records.Compression;
import io.strata.records.Record;
import io.strata.records.RecordBatch;
import io.strata.records.RecordBatchBuilder;
import io.strata.records.RecordBatches;
import io.strata.runtime.quota.QuotaDefaults;
import io.strata.runtime.quota.Quotas;
import io.strata.storage.log.LogConfig;
import io.strata.storage.log.LogManager;
import io.strata.storage.partition.HostedPartition;
import io.strata.storage.partition.PartitionRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * ProduceStream over real gRPC (loopback) against real partition logs on disk: a stream's
 * requests are appended in the order sent, each request's error comes back in its own answer
 * while the stream goes on, idempotent resends get their original offsets, a malformed message
 * and a shutdown end the stream, and a client that reads no answers is read no further.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ProduceStreamTest {

    private static final int NODE = 1;
    private static final String TOPIC = "orders";
    /** orders-0: led here, the only replica (acks=all is answered at once). */
    private static final int LED = 0;
    /** orders-1: led by node 2. */
    private static final int FOLLOWED = 1;
    /** orders-2: led here with node 2 in the ISR (acks=all waits for node 2's fetch). */
    private static final int REPLICATED = 2;

    @TempDir
    Path dir;

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private LogManager logs;
    private PartitionRegistry partitions;
    private Quotas quotas;
    private ProducePath path;
    private final Set<ProduceStreamSession> sessions = ConcurrentHashMap.newKeySet();
    private final ParseBufferPool requestBuffers = new ParseBufferPool(0, 4096, 64);
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        timer.setRemoveOnCancelPolicy(true);
        logs = new LogManager(List.of(dir), Clock.systemUTC(), LogConfig.defaults(),
                LogManager.DEFAULT_PRODUCER_ID_EXPIRATION_MS, timer);
        logs.startup();
        partitions = new PartitionRegistry(logs, NODE, Clock.systemUTC(), timer, (request, onApplied, onFailed) -> { });
        partitions.apply(AssignmentSnapshot.newBuilder().setRevision(1)
                .addPartitions(assignment(LED, NODE, List.of(NODE)))
                .addPartitions(assignment(FOLLOWED, 2, List.of(2, NODE)))
                .addPartitions(assignment(REPLICATED, NODE, List.of(NODE, 2)))
                .build());
        startServer(QuotaDefaults.UNLIMITED);
    }

    private void startServer(QuotaDefaults quotaDefaults) throws IOException {
        quotas = new Quotas(quotaDefaults, Clock.systemUTC(), timer, executor);
        path = new ProducePath(NODE, () -> partitions, quotas.producer());
        // As StorageGrpcService binds it: messages parsed into pooled arrays (here every one of them).
        ServerServiceDefinition service = LeasedMessageMarshaller.withLeasedRequests(
                new StorageGrpc.StorageImplBase() { }.bindService(), StorageGrpc.getProduceStreamMethod(),
                ProduceStreamRequest.getDefaultInstance(), requestBuffers,
                ServerCalls.asyncBidiStreamingCall(response -> {
                    ProduceStreamSession session = new ProduceStreamSession(path, quotas, executor,
                            (ServerCallStreamObserver<ProduceStreamResponse>) response, sessions::remove);
                    sessions.add(session);
                    session.start();
                    return session.leased();
                }));
        server = NettyServerBuilder.forPort(0).executor(executor).addService(service).build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        stopServer();
        logs.close();
        timer.shutdownNow();
        executor.shutdownNow();
    }

    private void stopServer() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        quotas.close();
    }

    private static PartitionAssignment assignment(int partition, int leader, List<Integer> replicas) {
        return PartitionAssignment.newBuilder().setTopicId("topic-id-" + partition)
                .setState(PartitionState.newBuilder().setTopic(TOPIC).setPartition(partition).setLeader(leader)
                        .setLeaderEpoch(3).setPartitionEpoch(1).addAllReplicas(replicas).addAllIsr(replicas))
                .build();
    }

    /** One batch of {@code values}; idempotent when {@code sequence >= 0} (producer 42, epoch 0). */
    private static ByteBuffer batch(int sequence, String... values) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, 256);
        if (sequence >= 0) {
            b.producer(42, (short) 0, sequence);
        }
        for (String v : values) {
            b.append(System.currentTimeMillis(), null, v.getBytes(StandardCharsets.UTF_8), List.of());
        }
        return b.build();
    }

    private static ProduceStreamRequest request(long correlationId, int partition, Acks acks, ByteBuffer batches) {
        return ProduceStreamRequest.newBuilder().setCorrelationId(correlationId).setRequest(ProduceRequest.newBuilder()
                .setTopic(TOPIC).setPartition(partition).setAcks(acks).setBatches(ByteString.copyFrom(batches))).build();
    }

    /** A client end that records the answers by correlation id, and how the stream ended. */
    private final class ClientStream implements StreamObserver<ProduceStreamResponse> {
        final Map<Long, ProduceStreamResponse> answers = new ConcurrentHashMap<>();
        final List<Long> order = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        volatile boolean completed;
        final StreamObserver<ProduceStreamRequest> requests;

        ClientStream() {
            requests = StorageGrpc.newStub(channel).produceStream(this);
        }

        void send(ProduceStreamRequest r) {
            requests.onNext(r);
        }

        ProduceStreamResponse answer(long correlationId) {
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(20))
                    .until(() -> answers.containsKey(correlationId) || failed.get() != null);
            assertThat(answers).containsKey(correlationId);
            return answers.get(correlationId);
        }

        @Override
        public void onNext(ProduceStreamResponse value) {
            answers.put(value.getCorrelationId(), value);
            order.add(value.getCorrelationId());
        }

        @Override
        public void onError(Throwable t) {
            failed.set(t);
        }

        @Override
        public void onCompleted() {
            completed = true;
        }
    }

    private List<String> values(int partition) {
        HostedPartition p = partitions.get(TOPIC, partition).orElseThrow();
        List<String> out = new ArrayList<>();
        long offset = p.log().logStartOffset();
        while (offset < p.log().logEndOffset()) {
            var read = p.log().read(offset, 1 << 20);
            for (Record r : RecordBatches.decode(read.batches())) {
                out.add(new String(r.value(), StandardCharsets.UTF_8));
            }
            offset = read.nextOffset();
        }
        return out;
    }

    @Test
    void manyPipelinedRequestsOfOnePartitionAreAppendedInTheOrderSent() {
        ClientStream stream = new ClientStream();
        int requests = 300;
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            String a = i + "a";
            String b = i + "b";
            sent.add(a);
            sent.add(b);
            // Idempotent: any reordering would be refused as OUT_OF_ORDER_SEQUENCE.
            stream.send(request(i, LED, i % 2 == 0 ? Acks.ACKS_ALL : Acks.ACKS_LEADER, batch(2 * i, a, b)));
        }
        for (int i = 0; i < requests; i++) {
            ProduceStreamResponse answer = stream.answer(i);
            assertThat(answer.hasError()).as("answer %d: %s", i, answer).isFalse();
            assertThat(answer.getResponse().getBaseOffset()).isEqualTo(2L * i);
            assertThat(answer.getResponse().getLastOffset()).isEqualTo(2L * i + 1);
        }
        assertThat(values(LED)).containsExactlyElementsOf(sent);
        stream.requests.onCompleted();
        await().atMost(Duration.ofSeconds(10)).until(() -> stream.completed);
        assertThat(stream.failed.get()).isNull();
        await().atMost(Duration.ofSeconds(5)).until(sessions::isEmpty);
        assertThat(requestBuffers.leasedCount()).as("every request's array went back once appended").isZero();
        assertThat(requestBuffers.freeCount()).isPositive();
    }

    @Test
    void eachRequestsErrorIsItsOwnAnswerAndTheStreamGoesOn() {
        ClientStream stream = new ClientStream();
        ByteBuffer corrupt = batch(-1, "damaged");
        corrupt.put(RecordBatch.HEADER_SIZE + 2, (byte) (corrupt.get(RecordBatch.HEADER_SIZE + 2) ^ 0x5a));
        stream.send(request(1, LED, Acks.ACKS_ALL, batch(-1, "first")));
        stream.send(ProduceStreamRequest.newBuilder().setCorrelationId(2).setRequest(ProduceRequest.newBuilder()
                .setTopic("nope").setPartition(0).setBatches(ByteString.copyFrom(batch(-1, "x")))).build());
        stream.send(request(3, FOLLOWED, Acks.ACKS_ALL, batch(-1, "not here")));
        stream.send(request(4, LED, Acks.ACKS_ALL, corrupt));
        stream.send(request(5, LED, Acks.ACKS_ALL, batch(5, "new producer"))); // an unknown producer id: any sequence
        stream.send(request(6, LED, Acks.ACKS_ALL, batch(9, "gap"))); // 5 -> 9: a gap
        stream.send(ProduceStreamRequest.newBuilder().setCorrelationId(7).setRequest(ProduceRequest.newBuilder()
                .setTopic(TOPIC).setPartition(LED)).build()); // no batches
        stream.send(request(8, LED, Acks.ACKS_LEADER, batch(-1, "last")));

        assertThat(stream.answer(1).getResponse().getBaseOffset()).isZero();
        assertThat(stream.answer(2).getError().getCode()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        ProduceStreamResponse notLeader = stream.answer(3);
        assertThat(notLeader.getError().getCode()).isEqualTo(ErrorCode.NOT_LEADER);
        assertThat(notLeader.getError().getLeaderId()).isEqualTo(2);
        assertThat(notLeader.getError().getMessage()).contains("not the leader");
        assertThat(stream.answer(4).getError().getCode()).isEqualTo(ErrorCode.CORRUPT_BATCH);
        assertThat(stream.answer(4).getError().hasLeaderId()).isFalse();
        assertThat(stream.answer(5).getResponse().getBaseOffset()).isEqualTo(1);
        assertThat(stream.answer(6).getError().getCode()).isEqualTo(ErrorCode.OUT_OF_ORDER_SEQUENCE);
        assertThat(stream.answer(7).getError().getCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(stream.answer(8).getResponse().getBaseOffset()).isEqualTo(2);
        assertThat(stream.failed.get()).isNull();
        assertThat(values(LED)).containsExactly("first", "new producer", "last");
    }

    @Test
    void resentIdempotentRequestsStillInFlightAreAnsweredWithTheirOriginalOffsets() {
        ClientStream stream = new ClientStream();
        stream.send(request(100, LED, Acks.ACKS_LEADER, batch(-1, "other producer")));
        for (int i = 0; i < 5; i++) {
            stream.send(request(i, REPLICATED, Acks.ACKS_ALL, batch(i, "r" + i)));
        }
        // Nothing is committed before node 2 fetches: the five are in flight when they are resent
        // (as after a lost connection: on another stream).
        assertThat(stream.answers).doesNotContainKeys(0L, 1L, 2L, 3L, 4L);
        ClientStream resend = new ClientStream();
        for (int i = 0; i < 5; i++) {
            resend.send(request(10 + i, REPLICATED, Acks.ACKS_ALL, batch(i, "r" + i)));
        }
        resend.send(request(15, REPLICATED, Acks.ACKS_ALL, batch(5, "r5")));
        HostedPartition p = partitions.get(TOPIC, REPLICATED).orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> p.pendingAcks() == 11); // the duplicates wait too
        assertThat(p.log().logEndOffset()).isEqualTo(6);
        p.onFollowerFetch(2, 6);

        for (int i = 0; i < 5; i++) {
            assertThat(stream.answer(i).getResponse().getBaseOffset()).isEqualTo(i);
            assertThat(resend.answer(10 + i).getResponse().getBaseOffset()).as("resend %d", i).isEqualTo(i);
        }
        assertThat(resend.answer(15).getResponse().getBaseOffset()).isEqualTo(5);
        assertThat(values(REPLICATED)).containsExactly("r0", "r1", "r2", "r3", "r4", "r5");
    }

    @Test
    void acksAllAnswersComeWhenTheHighWatermarkPassesThemWhileLaterRequestsGoOn() {
        ClientStream stream = new ClientStream();
        stream.send(request(1, REPLICATED, Acks.ACKS_ALL, batch(-1, "waits")));
        stream.send(request(2, LED, Acks.ACKS_LEADER, batch(-1, "at once")));
        assertThat(stream.answer(2).getResponse().getBaseOffset()).isZero();
        assertThat(stream.answers).doesNotContainKey(1L);
        partitions.get(TOPIC, REPLICATED).orElseThrow().onFollowerFetch(2, 1);
        assertThat(stream.answer(1).getResponse().getBaseOffset()).isZero();
        assertThat(stream.order).containsExactly(2L, 1L);
    }

    @Test
    void aMessageWithoutARequestFailsTheStreamWithInvalidRequest() {
        ClientStream stream = new ClientStream();
        stream.send(request(1, LED, Acks.ACKS_LEADER, batch(-1, "ok")));
        stream.answer(1);
        stream.send(ProduceStreamRequest.newBuilder().setCorrelationId(2).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> stream.failed.get() != null);
        assertThat(Status.fromThrowable(stream.failed.get()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(StrataError.reasonOf(stream.failed.get())).contains(ErrorCode.INVALID_REQUEST);
        await().atMost(Duration.ofSeconds(5)).until(sessions::isEmpty);
    }

    @Test
    void shutdownEndsOpenStreamsWithUnavailable() {
        ClientStream stream = new ClientStream();
        stream.send(request(1, REPLICATED, Acks.ACKS_ALL, batch(-1, "never committed")));
        await().atMost(Duration.ofSeconds(10)).until(() -> partitions.get(TOPIC, REPLICATED).orElseThrow().pendingAcks() == 1);
        List.copyOf(sessions).forEach(s -> s.shutdown("node " + NODE + " is shutting down"));
        await().atMost(Duration.ofSeconds(10)).until(() -> stream.failed.get() != null);
        assertThat(Status.fromThrowable(stream.failed.get()).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(stream.failed.get()).hasMessageContaining("shutting down");
        assertThat(sessions).isEmpty();
    }

    @Test
    void aThrottledClientIdHoldsTheStreamAndItsRequestsKeepTheirOrder() throws Exception {
        stopServer();
        startServer(new QuotaDefaults(20_000, 0)); // 20 KB/s per client id
        ClientStream stream = new ClientStream();
        String filler = "x".repeat(5_000);
        long began = System.nanoTime();
        for (int i = 0; i < 8; i++) { // 40 KB: twice what the bucket holds
            stream.send(request(i, LED, Acks.ACKS_LEADER, batch(i, filler + i)));
        }
        boolean throttled = false;
        for (int i = 0; i < 8; i++) {
            ProduceStreamResponse answer = stream.answer(i);
            assertThat(answer.hasError()).as("answer %d: %s", i, answer).isFalse();
            assertThat(answer.getResponse().getBaseOffset()).isEqualTo(i);
            throttled |= answer.getResponse().getThrottleTimeMs() > 0;
        }
        assertThat(throttled).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began)).isGreaterThanOrEqualTo(500);
        assertThat(values(LED)).hasSize(8).allSatisfy(v -> assertThat(v).startsWith(filler));
        assertThat(values(LED).stream().map(v -> v.substring(filler.length())).toList())
                .containsExactly("0", "1", "2", "3", "4", "5", "6", "7");
    }

    @Test
    void aClientThatReadsNoAnswersIsReadNoFurther() {
        FakeCall call = new FakeCall();
        ProduceStreamSession session = new ProduceStreamSession(path, quotas, Runnable::run, call, s -> { });
        session.start();
        assertThat(call.requested.get()).isEqualTo(1);
        call.ready = false;
        int sent = 0;
        while (call.requested.get() > sent) {
            session.onNext(request(sent, LED, Acks.ACKS_LEADER, batch(-1, "v" + sent)));
            sent++;
        }
        // Every answer waits for the transport, and reading stopped at the limit (the next message is
        // asked for while one is appended, so one more than the limit gets in).
        assertThat(sent).isEqualTo(ProduceStreamSession.MAX_UNSENT_ANSWERS + 1);
        assertThat(call.sent).isEmpty();
        call.ready = true;
        call.onReady.run();
        assertThat(call.sent).hasSize(sent);
        assertThat(call.sent.stream().map(ProduceStreamResponse::getCorrelationId).toList())
                .isSortedAccordingTo(Long::compare);
        assertThat(call.requested.get()).isEqualTo(sent + 1); // reading goes on
        session.onCompleted();
        assertThat(call.completed).isTrue();
    }

    @Test
    void requestsWaitingForTheirPartitionStopTheReadingAtTheLimit() {
        FakeCall call = new FakeCall();
        List<Runnable> lanes = new CopyOnWriteArrayList<>();
        ProduceStreamSession session = new ProduceStreamSession(path, quotas, lanes::add, call, s -> { });
        session.start();
        int sent = 0;
        while (call.requested.get() > sent) {
            session.onNext(request(sent, LED, Acks.ACKS_LEADER, batch(sent, "v" + sent)));
            sent++;
        }
        assertThat(sent).isEqualTo(ProduceStreamSession.MAX_QUEUED_REQUESTS);
        assertThat(lanes).as("one lane, started once").hasSize(1);
        lanes.getFirst().run();
        assertThat(call.sent).hasSize(sent);
        assertThat(call.sent).allSatisfy(a -> assertThat(a.hasError()).as("%s", a).isFalse());
        assertThat(call.requested.get()).isEqualTo(sent + 1);
        assertThat(values(LED)).hasSize(sent);
    }

    @Test
    void aLeasedRequestStillQueuedWhenTheStreamEndsGivesItsArrayBackAndIsNotAppended() {
        FakeCall call = new FakeCall();
        List<Runnable> lanes = new CopyOnWriteArrayList<>();
        ProduceStreamSession session = new ProduceStreamSession(path, quotas, lanes::add, call, s -> { });
        session.start();
        var marshaller = new LeasedMessageMarshaller<>(ProduceStreamRequest.getDefaultInstance(), requestBuffers);
        byte[] message = request(1, LED, Acks.ACKS_LEADER, batch(-1, "queued")).toByteArray();
        session.leased().onNext(marshaller.parse(new KnownLengthInput(message)));
        assertThat(requestBuffers.leasedCount()).isEqualTo(1);

        session.shutdown("node " + NODE + " is shutting down");

        assertThat(requestBuffers.leasedCount()).isZero();
        assertThat(lanes).hasSize(1);
        lanes.getFirst().run(); // the lane finds the stream ended
        assertThat(values(LED)).isEmpty();
    }

    /** What gRPC hands a marshaller: a stream that knows its length. */
    private static final class KnownLengthInput extends ByteArrayInputStream implements KnownLength {
        KnownLengthInput(byte[] bytes) {
            super(bytes);
        }
    }

    /** A server call under the test's control: readiness, requested messages, sent answers. */
    private static final class FakeCall extends ServerCallStreamObserver<ProduceStreamResponse> {
        final AtomicInteger requested = new AtomicInteger();
        final List<ProduceStreamResponse> sent = new CopyOnWriteArrayList<>();
        volatile boolean ready = true;
        volatile boolean completed;
        volatile Runnable onReady = () -> { };

        @Override
        public boolean isReady() {
            return ready;
        }

        @Override
        public void setOnReadyHandler(Runnable handler) {
            onReady = handler;
        }

        @Override
        public void request(int count) {
            requested.addAndGet(count);
        }

        @Override
        public void disableAutoRequest() {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setOnCancelHandler(Runnable handler) {
        }

        @Override
        public void setCompression(String compression) {
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }

        @Override
        public void onNext(ProduceStreamResponse value) {
            sent.add(value);
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
            completed = true;
        }
    }
}
