package io.strata.client.testing;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.strata.client.TopicPartition;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DeleteTopicRequest;
import io.strata.proto.v1.DeleteTopicResponse;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchRequest;
import io.strata.proto.v1.FetchResponse;
import io.strata.proto.v1.InitProducerIdRequest;
import io.strata.proto.v1.InitProducerIdResponse;
import io.strata.proto.v1.ListOffsetsRequest;
import io.strata.proto.v1.ListOffsetsResponse;
import io.strata.proto.v1.ListTopicsRequest;
import io.strata.proto.v1.ListTopicsResponse;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.StorageGrpc;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.TopicMetadata;
import io.strata.proto.v1.TopicSummary;
import io.strata.records.Record;
import io.strata.records.RecordBatch;
import io.strata.records.RecordBatches;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory Strata (coordination and storage on one port, node id 1) for client tests:
 * stamps offsets like a leader, serves fetches as whole batches, and lets a test inject
 * failures, hold produce calls, lose answers, and watch how many produce calls run at once per
 * partition. Coordination hands out producer ids; storage drops a retried idempotent request
 * like the leader does, remembering the last request of each producer per partition (enough for a
 * client that sends one request at a time per partition).
 */
public final class FakeStrata implements AutoCloseable {

    /** One partition's log: stamped batches in order. */
    static final class Log {
        final List<ByteBuffer> batches = new ArrayList<>();
        long logStart;
        long next;
    }

    private final Server server;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final Map<String, Integer> topics = new ConcurrentHashMap<>();
    private final Map<String, Integer> leaderOverride = new ConcurrentHashMap<>();
    private final Map<String, Integer> epochOverride = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Log> logs = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Deque<ErrorCode>> produceFailures = new ConcurrentHashMap<>();
    private final Map<TopicPartition, CountDownLatch> produceHolds = new ConcurrentHashMap<>();
    private final Map<TopicPartition, AtomicInteger> concurrentProduces = new ConcurrentHashMap<>();
    private final Map<TopicPartition, AtomicInteger> maxConcurrentProduces = new ConcurrentHashMap<>();
    private final AtomicInteger produceCalls = new AtomicInteger();
    private final AtomicInteger metadataCalls = new AtomicInteger();
    private final AtomicInteger initProducerIdCalls = new AtomicInteger();
    private final Deque<ErrorCode> initProducerIdFailures = new ArrayDeque<>();
    private final Map<TopicPartition, AtomicInteger> answersToLose = new ConcurrentHashMap<>();
    private volatile int produceThrottleMs;
    private final List<Long> produceCallNanos = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Per partition and producer id: the last batch written (first and last sequence, first and last offset). */
    private final Map<TopicPartition, Map<Long, long[]>> lastBatches = new ConcurrentHashMap<>();
    private volatile int maxRecordValueBytes = Integer.MAX_VALUE;
    private volatile boolean servesFetchStream = true;
    private final AtomicInteger fetchStreams = new AtomicInteger();

    public FakeStrata() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Coordination())
                .addService(new Storage())
                .build()
                .start();
    }

    public int port() {
        return server.getPort();
    }

    public String bootstrap() {
        return "127.0.0.1:" + port();
    }

    /** Creates a topic with {@code partitions} empty partitions. */
    public FakeStrata topic(String name, int partitions) {
        topics.put(name, partitions);
        for (int p = 0; p < partitions; p++) {
            logs.putIfAbsent(new TopicPartition(name, p), new Log());
        }
        return this;
    }

    /** Deletes a topic from coordination's view (storage then answers UNKNOWN_TOPIC_OR_PARTITION). */
    public void removeTopic(String name) {
        topics.remove(name);
    }

    /** Reports the topic's leader epoch as {@code epoch} (default 1): a new leadership term on the same node. */
    public void leaderEpoch(String topic, int epoch) {
        epochOverride.put(topic, epoch);
    }

    /** Reports the topic's leaders as {@code nodeId} (-1 = offline). */
    public void leader(String topic, int nodeId) {
        leaderOverride.put(topic, nodeId);
    }

    /** The next produce calls to {@code tp} fail with these reasons, in order. */
    public void failProduces(TopicPartition tp, ErrorCode... reasons) {
        Deque<ErrorCode> q = produceFailures.computeIfAbsent(tp, x -> new ArrayDeque<>());
        synchronized (q) {
            q.addAll(List.of(reasons));
        }
    }

    /** Produce calls to {@code tp} wait until the returned latch is counted down. */
    public CountDownLatch holdProduces(TopicPartition tp) {
        CountDownLatch latch = new CountDownLatch(1);
        produceHolds.put(tp, latch);
        return latch;
    }

    /** Every produce answer from now on carries this {@code throttle_time_ms} (a quota). */
    public void throttleProduceAnswers(int ms) {
        produceThrottleMs = ms;
    }

    /** Waits (at most 10 s) until at least {@code n} produce calls have arrived. */
    public void awaitProduceCalls(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (produceCalls.get() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " produce calls within 10 s, saw " + produceCalls.get());
            }
            Thread.sleep(5);
        }
    }

    /** When each produce call arrived ({@link System#nanoTime}), in arrival order. */
    public List<Long> produceCallNanos() {
        synchronized (produceCallNanos) {
            return List.copyOf(produceCallNanos);
        }
    }

    /** The next {@code n} produce calls to {@code tp} are served, but their answers are lost (UNAVAILABLE). */
    public void loseAnswers(TopicPartition tp, int n) {
        answersToLose.computeIfAbsent(tp, x -> new AtomicInteger()).addAndGet(n);
    }

    /** The next InitProducerId calls fail with these reasons, in order. */
    public void failInitProducerId(ErrorCode... reasons) {
        synchronized (initProducerIdFailures) {
            initProducerIdFailures.addAll(List.of(reasons));
        }
    }

    public int initProducerIdCalls() {
        return initProducerIdCalls.get();
    }

    /** The stored batches of the partition, as the leader stamped them. */
    public List<ByteBuffer> batches(TopicPartition tp) {
        Log log = logs.get(tp);
        synchronized (log) {
            return log.batches.stream().map(ByteBuffer::duplicate).toList();
        }
    }

    /** Records whose value exceeds this fail their request with RECORD_TOO_LARGE. */
    public void maxRecordValueBytes(int limit) {
        this.maxRecordValueBytes = limit;
    }

    /** Whether FetchStream is served (default); when not, it answers UNIMPLEMENTED, as a node of an older version. */
    public void servesFetchStream(boolean serves) {
        this.servesFetchStream = serves;
    }

    /** How many FetchStreams were opened (and served). */
    public int fetchStreamsOpened() {
        return fetchStreams.get();
    }

    /** Appends a client-built batch as the leader would (stamping offsets). */
    public long append(TopicPartition tp, ByteBuffer batch) {
        return stamp(logs.get(tp), batch.duplicate());
    }

    /** Moves the log start (as retention would). */
    public void truncateBefore(TopicPartition tp, long logStart) {
        logs.get(tp).logStart = logStart;
    }

    /** Every record of the partition, decoded. */
    public List<Record> records(TopicPartition tp) {
        Log log = logs.get(tp);
        List<Record> out = new ArrayList<>();
        synchronized (log) {
            for (ByteBuffer b : log.batches) {
                out.addAll(RecordBatches.decode(b.duplicate()));
            }
        }
        return out;
    }

    public int produceCalls() {
        return produceCalls.get();
    }

    public int metadataCalls() {
        return metadataCalls.get();
    }

    /** The most produce calls to {@code tp} that ran at the same time. */
    public int maxConcurrentProduces(TopicPartition tp) {
        AtomicInteger max = maxConcurrentProduces.get(tp);
        return max == null ? 0 : max.get();
    }

    private static long stamp(Log log, ByteBuffer batches) {
        synchronized (log) {
            long base = log.next;
            int pos = batches.position();
            while (pos < batches.limit()) {
                int size = RecordBatch.sizeInBytes(batches, pos);
                ByteBuffer copy = ByteBuffer.allocate(size);
                copy.put(batches.duplicate().position(pos).limit(pos + size));
                copy.flip();
                RecordBatch.setBaseOffset(copy, 0, log.next);
                log.next += RecordBatch.lastOffsetDelta(copy, 0) + 1;
                log.batches.add(copy);
                pos += size;
            }
            return base;
        }
    }

    private TopicMetadata topicMetadata(String name) {
        int leader = leaderOverride.getOrDefault(name, 1);
        int epoch = epochOverride.getOrDefault(name, 1);
        TopicMetadata.Builder b = TopicMetadata.newBuilder().setName(name).setTopicId("id-" + name)
                .putConfigs("max.message.bytes", "1048588");
        for (int p = 0; p < topics.get(name); p++) {
            b.addPartitions(PartitionState.newBuilder().setTopic(name).setPartition(p).setLeader(leader)
                    .setLeaderEpoch(epoch).addReplicas(1).addIsr(1).build());
        }
        return b.build();
    }

    private TopicDescription description(String name) {
        TopicMetadata m = topicMetadata(name);
        return TopicDescription.newBuilder().setName(name).setTopicId(m.getTopicId())
                .addAllPartitions(m.getPartitionsList()).putAllConfigs(m.getConfigsMap()).build();
    }

    private final class Coordination extends CoordinationGrpc.CoordinationImplBase {
        @Override
        public void getMetadata(MetadataRequest request, StreamObserver<ClusterMetadata> out) {
            metadataCalls.incrementAndGet();
            ClusterMetadata.Builder b = ClusterMetadata.newBuilder().setClusterId("fake")
                    .addNodes(Node.newBuilder().setNodeId(1).setHost("127.0.0.1").setPort(port()).build());
            List<String> wanted = request.getTopicsCount() == 0 ? new ArrayList<>(new TreeMap<>(topics).keySet())
                    : request.getTopicsList();
            for (String name : wanted) {
                if (topics.containsKey(name)) {
                    b.addTopics(topicMetadata(name));
                } else {
                    b.addUnknownTopics(name);
                }
            }
            out.onNext(b.build());
            out.onCompleted();
        }

        @Override
        public void initProducerId(InitProducerIdRequest request, StreamObserver<InitProducerIdResponse> out) {
            int call = initProducerIdCalls.incrementAndGet();
            ErrorCode injected;
            synchronized (initProducerIdFailures) {
                injected = initProducerIdFailures.poll();
            }
            if (injected != null) {
                out.onError(StrataError.exception(injected, "injected " + injected));
                return;
            }
            out.onNext(InitProducerIdResponse.newBuilder().setProducerId(1000 + call).setProducerEpoch(0).build());
            out.onCompleted();
        }

        @Override
        public void createTopic(CreateTopicRequest request, StreamObserver<TopicDescription> out) {
            if (topics.containsKey(request.getName())) {
                out.onError(StrataError.exception(ErrorCode.TOPIC_ALREADY_EXISTS,
                        "topic '" + request.getName() + "' already exists"));
                return;
            }
            topic(request.getName(), request.getPartitions() == 0 ? 1 : request.getPartitions());
            out.onNext(description(request.getName()));
            out.onCompleted();
        }

        @Override
        public void describeTopic(DescribeTopicRequest request, StreamObserver<TopicDescription> out) {
            if (!topics.containsKey(request.getName())) {
                out.onError(StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                        "topic '" + request.getName() + "' does not exist"));
                return;
            }
            out.onNext(description(request.getName()));
            out.onCompleted();
        }

        @Override
        public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> out) {
            ListTopicsResponse.Builder b = ListTopicsResponse.newBuilder();
            new TreeMap<>(topics).forEach((name, n) -> b.addTopics(TopicSummary.newBuilder().setName(name)
                    .setTopicId("id-" + name).setPartitions(n).setReplicationFactor(1).build()));
            out.onNext(b.build());
            out.onCompleted();
        }

        @Override
        public void deleteTopic(DeleteTopicRequest request, StreamObserver<DeleteTopicResponse> out) {
            if (topics.remove(request.getName()) == null) {
                out.onError(StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                        "topic '" + request.getName() + "' does not exist"));
                return;
            }
            out.onNext(DeleteTopicResponse.newBuilder().setTopicId("id-" + request.getName()).build());
            out.onCompleted();
        }
    }

    private final class Storage extends StorageGrpc.StorageImplBase {
        @Override
        public void produce(ProduceRequest request, StreamObserver<ProduceResponse> out) {
            produceCalls.incrementAndGet();
            produceCallNanos.add(System.nanoTime());
            TopicPartition tp = new TopicPartition(request.getTopic(), request.getPartition());
            AtomicInteger running = concurrentProduces.computeIfAbsent(tp, x -> new AtomicInteger());
            int now = running.incrementAndGet();
            maxConcurrentProduces.computeIfAbsent(tp, x -> new AtomicInteger()).accumulateAndGet(now, Math::max);
            try {
                CountDownLatch hold = produceHolds.get(tp);
                if (hold != null) {
                    hold.await();
                }
                Log log = logs.get(tp);
                if (log == null || !topics.containsKey(tp.topic())) {
                    out.onError(StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + tp));
                    return;
                }
                Deque<ErrorCode> failures = produceFailures.get(tp);
                ErrorCode injected = null;
                if (failures != null) {
                    synchronized (failures) {
                        injected = failures.poll();
                    }
                }
                if (injected != null) {
                    out.onError(StrataError.exception(injected, "injected " + injected));
                    return;
                }
                ByteBuffer batches = request.getBatches().asReadOnlyByteBuffer();
                for (Record r : RecordBatches.decode(batches.duplicate())) {
                    int size = r.value() == null ? 0 : r.value().length;
                    if (size > maxRecordValueBytes) {
                        out.onError(StrataError.exception(ErrorCode.RECORD_TOO_LARGE, "record of " + size
                                + " bytes exceeds max.message.bytes=" + maxRecordValueBytes));
                        return;
                    }
                }
                long[] written = appendOnce(tp, log, batches);
                if (written == null) {
                    out.onError(StrataError.exception(ErrorCode.OUT_OF_ORDER_SEQUENCE, "sequence gap"));
                    return;
                }
                AtomicInteger lose = answersToLose.get(tp);
                if (lose != null && lose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    out.onError(Status.UNAVAILABLE.withDescription("connection lost (injected)").asRuntimeException());
                    return;
                }
                out.onNext(ProduceResponse.newBuilder().setBaseOffset(written[0]).setLastOffset(written[1])
                        .setLogAppendTimeMs(-1).setThrottleTimeMs(produceThrottleMs).build());
                out.onCompleted();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.onError(e);
            } finally {
                running.decrementAndGet();
            }
        }

        /**
         * Appends unless the request repeats its producer's last one (same first and last
         * sequence; a request's batches are consecutive); returns the first and last offset
         * written (or written before), null for a sequence gap of a known producer.
         */
        private long[] appendOnce(TopicPartition tp, Log log, ByteBuffer batches) {
            synchronized (log) {
                long producerId = RecordBatch.producerId(batches, batches.position());
                int first = RecordBatch.baseSequence(batches, batches.position());
                int lastBatch = batches.position();
                for (int p = lastBatch; p < batches.limit(); p += RecordBatch.sizeInBytes(batches, p)) {
                    lastBatch = p;
                }
                int last = RecordBatch.lastSequence(batches, lastBatch);
                Map<Long, long[]> producers = lastBatches.computeIfAbsent(tp, x -> new ConcurrentHashMap<>());
                long[] previous = producerId < 0 ? null : producers.get(producerId);
                if (previous != null && previous[0] == first && previous[1] == last) {
                    return new long[] {previous[2], previous[3]};
                }
                if (previous != null && first != RecordBatch.incrementSequence((int) previous[1], 1)) {
                    return null;
                }
                long base = stamp(log, batches);
                if (producerId >= 0) {
                    producers.put(producerId, new long[] {first, last, base, log.next - 1});
                }
                return new long[] {base, log.next - 1};
            }
        }

        @Override
        public void fetch(FetchRequest request, StreamObserver<FetchResponse> out) {
            FetchResponse answer;
            try {
                answer = read(request, request.getOffset());
            } catch (StatusRuntimeException e) {
                out.onError(e);
                return;
            }
            if (answer.getBatches().isEmpty() && request.getMaxWaitMs() > 0) {
                timer.schedule(() -> {
                    out.onNext(answer);
                    out.onCompleted();
                }, Math.min(request.getMaxWaitMs(), 50), TimeUnit.MILLISECONDS);
                return;
            }
            out.onNext(answer);
            out.onCompleted();
        }

        /** FetchStream: pushes the partition's batches from the offset while the client's window has room. */
        @Override
        public void fetchStream(FetchRequest request, StreamObserver<FetchResponse> out) {
            if (!servesFetchStream) {
                out.onError(Status.UNIMPLEMENTED.withDescription("FetchStream (an older version)").asRuntimeException());
                return;
            }
            fetchStreams.incrementAndGet();
            ServerCallStreamObserver<FetchResponse> stream = (ServerCallStreamObserver<FetchResponse>) out;
            long[] offset = {request.getOffset()};
            try {
                read(request, offset[0]); // a bad start fails the call before it streams
            } catch (StatusRuntimeException e) {
                out.onError(e);
                return;
            }
            Runnable[] pump = new Runnable[1];
            pump[0] = () -> {
                if (stream.isCancelled()) {
                    return;
                }
                try {
                    while (stream.isReady()) {
                        FetchResponse answer = read(request, offset[0]);
                        if (answer.getBatches().isEmpty()) {
                            break;
                        }
                        stream.onNext(answer);
                        offset[0] = answer.getNextOffset();
                    }
                } catch (StatusRuntimeException e) {
                    stream.onError(e);
                    return;
                } catch (RuntimeException e) {
                    return; // the call ended meanwhile
                }
                timer.schedule(pump[0], 5, TimeUnit.MILLISECONDS);
            };
            timer.execute(pump[0]);
        }

        /** The batches of the partition from {@code offset}, up to the request's max bytes (whole batches). */
        private FetchResponse read(FetchRequest request, long offset) {
            TopicPartition tp = new TopicPartition(request.getTopic(), request.getPartition());
            Log log = logs.get(tp);
            if (log == null || !topics.containsKey(tp.topic())) {
                throw StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + tp);
            }
            synchronized (log) {
                if (offset < log.logStart || offset > log.next) {
                    throw StrataError.exception(ErrorCode.OFFSET_OUT_OF_RANGE, "offset " + offset
                            + " is outside [" + log.logStart + ", " + log.next + "]");
                }
                ByteString bytes = ByteString.EMPTY;
                long next = offset;
                int max = request.getMaxBytes() == 0 ? 1 << 20 : request.getMaxBytes();
                for (ByteBuffer b : log.batches) {
                    if (RecordBatch.lastOffset(b, 0) < offset) {
                        continue;
                    }
                    if (!bytes.isEmpty() && bytes.size() + b.remaining() > max) {
                        break;
                    }
                    bytes = bytes.concat(ByteString.copyFrom(b.duplicate()));
                    next = RecordBatch.nextOffset(b, 0);
                }
                return FetchResponse.newBuilder().setBatches(bytes).setHighWatermark(log.next)
                        .setLogStartOffset(log.logStart).setNextOffset(next).build();
            }
        }

        @Override
        public void listOffsets(ListOffsetsRequest request, StreamObserver<ListOffsetsResponse> out) {
            TopicPartition tp = new TopicPartition(request.getTopic(), request.getPartition());
            Log log = logs.get(tp);
            if (log == null) {
                out.onError(StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + tp));
                return;
            }
            ListOffsetsResponse.Builder b = ListOffsetsResponse.newBuilder().setLeaderEpoch(1).setTimestampMs(-1);
            synchronized (log) {
                switch (request.getSpec()) {
                    case EARLIEST -> b.setOffset(log.logStart);
                    case LATEST -> b.setOffset(log.next);
                    case TIMESTAMP -> {
                        // Batch granularity, like the real leader: the first batch whose max timestamp reaches it.
                        b.setOffset(log.next);
                        for (ByteBuffer batch : log.batches) {
                            if (RecordBatch.maxTimestamp(batch, 0) >= request.getTimestampMs()) {
                                b.setOffset(RecordBatch.baseOffset(batch, 0))
                                        .setTimestampMs(RecordBatch.baseTimestamp(batch, 0));
                                break;
                            }
                        }
                    }
                    default -> {
                        out.onError(StrataError.exception(ErrorCode.INVALID_REQUEST, "unsupported spec"));
                        return;
                    }
                }
            }
            out.onNext(b.build());
            out.onCompleted();
        }
    }

    @Override
    public void close() throws InterruptedException {
        produceHolds.values().forEach(CountDownLatch::countDown);
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
        timer.shutdownNow();
    }
}
