package io.strata.client.producer;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.client.TopicPartition;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.InitProducerIdRequest;
import io.strata.proto.v1.InitProducerIdResponse;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ProduceError;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.ProduceStreamRequest;
import io.strata.proto.v1.ProduceStreamResponse;
import io.strata.proto.v1.StorageGrpc;
import io.strata.proto.v1.TopicMetadata;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A one-node Strata for the pipelining tests: coordination (metadata, producer ids) and storage's
 * {@code ProduceStream} on one port. Like the real leader it takes a stream's requests in arrival
 * order and checks idempotent batches against each producer's last 64 (duplicates answered with
 * their original offsets, gaps refused as OUT_OF_ORDER_SEQUENCE). A test scripts what happens to
 * the n-th request of a partition (counted from 1 across streams): an error answer (nothing
 * written), no answer at all, or the stream breaking after it was written; and it can hold every
 * answer back (as acks=all waits for the replicas) to see how many requests are in flight.
 */
final class StreamingLeader implements AutoCloseable {

    static final int WINDOW = 64;

    /** One partition's log and the idempotence state of its producers. */
    private static final class Log {
        final List<ByteBuffer> batches = new ArrayList<>();
        final Map<Long, Deque<long[]>> producers = new ConcurrentHashMap<>(); // {firstSeq, lastSeq, firstOffset, lastOffset}
        long next;
        int requests;
        int unanswered;
        int maxUnanswered;
    }

    private enum Script { FAIL, NO_ANSWER, BREAK_STREAM }

    private record Scripted(Script what, ErrorCode reason) {
    }

    private final Server server;
    private final Map<String, Integer> topics = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Log> logs = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Map<Integer, Scripted>> scripts = new ConcurrentHashMap<>();
    private final AtomicInteger initProducerIdCalls = new AtomicInteger();
    private final AtomicInteger streamsOpened = new AtomicInteger();
    private final List<Runnable> heldAnswers = new ArrayList<>(); // guarded by this
    private boolean holding; // guarded by this
    private volatile int advertisedPort;

    StreamingLeader() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Coordination())
                .addService(new Storage())
                .build()
                .start();
    }

    String bootstrap() {
        return "127.0.0.1:" + server.getPort();
    }

    int port() {
        return server.getPort();
    }

    /** Metadata names this port for node 1 (e.g. a proxy in front of this server) instead of its own. */
    void advertisePort(int port) {
        advertisedPort = port;
    }

    StreamingLeader topic(String name, int partitions) {
        topics.put(name, partitions);
        for (int p = 0; p < partitions; p++) {
            logs.put(new TopicPartition(name, p), new Log());
        }
        return this;
    }

    /** The {@code n}-th request of {@code tp} is refused with {@code reason}; nothing of it is written. */
    void failRequest(TopicPartition tp, int n, ErrorCode reason) {
        scripts.computeIfAbsent(tp, x -> new ConcurrentHashMap<>()).put(n, new Scripted(Script.FAIL, reason));
    }

    /** The {@code n}-th request of {@code tp} is written but never answered. */
    void neverAnswer(TopicPartition tp, int n) {
        scripts.computeIfAbsent(tp, x -> new ConcurrentHashMap<>()).put(n, new Scripted(Script.NO_ANSWER, null));
    }

    /** The {@code n}-th request of {@code tp} is written, then its stream breaks (UNAVAILABLE) before any answer still due. */
    void breakStreamAt(TopicPartition tp, int n) {
        scripts.computeIfAbsent(tp, x -> new ConcurrentHashMap<>()).put(n, new Scripted(Script.BREAK_STREAM, null));
    }

    /** From now on answers wait until {@link #releaseAnswers()}. */
    synchronized void holdAnswers() {
        holding = true;
    }

    /** Sends the held answers in the order they were produced, and stops holding. */
    void releaseAnswers() {
        List<Runnable> answers;
        synchronized (this) {
            holding = false;
            answers = List.copyOf(heldAnswers);
            heldAnswers.clear();
        }
        answers.forEach(Runnable::run);
    }

    /** Waits (at most 10 s) until {@code n} requests of {@code tp} arrived. */
    void awaitRequests(TopicPartition tp, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (requests(tp) < n) {
            if (System.nanoTime() > deadline) {
                releaseAnswers(); // so that the producer can close
                throw new AssertionError("expected " + n + " requests of " + tp + " within 10 s, saw " + requests(tp));
            }
            Thread.sleep(2);
        }
    }

    int requests(TopicPartition tp) {
        Log log = logs.get(tp);
        synchronized (log) {
            return log.requests;
        }
    }

    /** The most requests of {@code tp} that had arrived and were not answered yet, at any time. */
    int maxInFlight(TopicPartition tp) {
        Log log = logs.get(tp);
        synchronized (log) {
            return log.maxUnanswered;
        }
    }

    int initProducerIdCalls() {
        return initProducerIdCalls.get();
    }

    int streamsOpened() {
        return streamsOpened.get();
    }

    List<ByteBuffer> batches(TopicPartition tp) {
        Log log = logs.get(tp);
        synchronized (log) {
            return log.batches.stream().map(ByteBuffer::duplicate).toList();
        }
    }

    List<Record> records(TopicPartition tp) {
        List<Record> out = new ArrayList<>();
        for (ByteBuffer b : batches(tp)) {
            out.addAll(RecordBatches.decode(b));
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private final class Coordination extends CoordinationGrpc.CoordinationImplBase {
        @Override
        public void getMetadata(MetadataRequest request, StreamObserver<ClusterMetadata> out) {
            ClusterMetadata.Builder b = ClusterMetadata.newBuilder().setClusterId("streaming")
                    .addNodes(Node.newBuilder().setNodeId(1).setHost("127.0.0.1")
                            .setPort(advertisedPort > 0 ? advertisedPort : server.getPort()));
            List<String> wanted = request.getTopicsCount() == 0 ? List.copyOf(topics.keySet()) : request.getTopicsList();
            for (String name : wanted) {
                Integer partitions = topics.get(name);
                if (partitions == null) {
                    b.addUnknownTopics(name);
                    continue;
                }
                TopicMetadata.Builder t = TopicMetadata.newBuilder().setName(name).setTopicId("id-" + name)
                        .putConfigs("max.message.bytes", "1048588");
                for (int p = 0; p < partitions; p++) {
                    t.addPartitions(PartitionState.newBuilder().setTopic(name).setPartition(p).setLeader(1)
                            .setLeaderEpoch(1).addReplicas(1).addIsr(1));
                }
                b.addTopics(t);
            }
            out.onNext(b.build());
            out.onCompleted();
        }

        @Override
        public void initProducerId(InitProducerIdRequest request, StreamObserver<InitProducerIdResponse> out) {
            int call = initProducerIdCalls.incrementAndGet();
            out.onNext(InitProducerIdResponse.newBuilder().setProducerId(1000 + call).setProducerEpoch(0).build());
            out.onCompleted();
        }
    }

    private final class Storage extends StorageGrpc.StorageImplBase {
        @Override
        public StreamObserver<ProduceStreamRequest> produceStream(StreamObserver<ProduceStreamResponse> out) {
            streamsOpened.incrementAndGet();
            return new Session(out);
        }
    }

    /** One stream: requests handled in arrival order (grpc-java delivers them one at a time). */
    private final class Session implements StreamObserver<ProduceStreamRequest> {
        private final StreamObserver<ProduceStreamResponse> out;
        private boolean broken; // guarded by this

        Session(StreamObserver<ProduceStreamResponse> out) {
            this.out = out;
        }

        @Override
        public void onNext(ProduceStreamRequest message) {
            ProduceRequest request = message.getRequest();
            TopicPartition tp = new TopicPartition(request.getTopic(), request.getPartition());
            Log log = logs.get(tp);
            int n;
            synchronized (log) {
                n = ++log.requests;
                log.unanswered++;
                log.maxUnanswered = Math.max(log.maxUnanswered, log.unanswered);
            }
            Scripted script = scripts.getOrDefault(tp, Map.of()).get(n);
            ProduceStreamResponse.Builder answer = ProduceStreamResponse.newBuilder().setCorrelationId(message.getCorrelationId());
            if (script != null && script.what() == Script.FAIL) {
                answer.setError(ProduceError.newBuilder().setCode(script.reason()).setMessage("injected " + script.reason()));
            } else {
                append(log, request.getBatches().asReadOnlyByteBuffer(), answer);
            }
            if (script != null && script.what() == Script.NO_ANSWER) {
                return; // counts as in flight for ever
            }
            if (script != null && script.what() == Script.BREAK_STREAM) {
                breakStream();
                return;
            }
            answer(log, answer.build());
        }

        private void answer(Log log, ProduceStreamResponse response) {
            Runnable send = () -> {
                synchronized (log) {
                    log.unanswered--;
                }
                synchronized (this) {
                    if (!broken) {
                        out.onNext(response);
                    }
                }
            };
            synchronized (StreamingLeader.this) {
                if (holding) {
                    heldAnswers.add(send);
                    return;
                }
            }
            send.run();
        }

        private synchronized void breakStream() {
            broken = true;
            out.onError(Status.UNAVAILABLE.withDescription("connection reset (injected)").asRuntimeException());
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public synchronized void onCompleted() {
            if (!broken) {
                out.onCompleted();
            }
        }
    }

    /** As the leader does: all duplicates (original offsets), or appended when in sequence, or refused. */
    private static void append(Log log, ByteBuffer batches, ProduceStreamResponse.Builder answer) {
        synchronized (log) {
            List<Integer> positions = new ArrayList<>();
            for (int p = batches.position(); p < batches.limit(); p += RecordBatch.sizeInBytes(batches, p)) {
                positions.add(p);
            }
            long producerId = RecordBatch.producerId(batches, positions.getFirst());
            Deque<long[]> window = producerId < 0 ? null : log.producers.computeIfAbsent(producerId, x -> new ArrayDeque<>());
            if (window != null) {
                List<long[]> duplicates = new ArrayList<>();
                for (int p : positions) {
                    int first = RecordBatch.baseSequence(batches, p);
                    int last = RecordBatch.lastSequence(batches, p);
                    window.stream().filter(w -> w[0] == first && w[1] == last).findFirst().ifPresent(duplicates::add);
                }
                if (duplicates.size() == positions.size()) {
                    answer.setResponse(ProduceResponse.newBuilder().setBaseOffset(duplicates.getFirst()[2])
                            .setLastOffset(duplicates.getLast()[3]).setLogAppendTimeMs(-1));
                    return;
                }
                if (!duplicates.isEmpty()) {
                    answer.setError(ProduceError.newBuilder().setCode(ErrorCode.INVALID_REQUEST).setMessage("mixed duplicates"));
                    return;
                }
                int expected = window.isEmpty() ? RecordBatch.baseSequence(batches, positions.getFirst())
                        : RecordBatch.incrementSequence((int) window.getLast()[1], 1);
                for (int p : positions) {
                    if (RecordBatch.baseSequence(batches, p) != expected) {
                        answer.setError(ProduceError.newBuilder().setCode(ErrorCode.OUT_OF_ORDER_SEQUENCE)
                                .setMessage("expected sequence " + expected + ", got " + RecordBatch.baseSequence(batches, p)));
                        return;
                    }
                    expected = RecordBatch.incrementSequence(RecordBatch.lastSequence(batches, p), 1);
                }
            }
            long base = log.next;
            for (int p : positions) {
                int size = RecordBatch.sizeInBytes(batches, p);
                ByteBuffer copy = ByteBuffer.allocate(size);
                copy.put(batches.duplicate().position(p).limit(p + size)).flip();
                RecordBatch.setBaseOffset(copy, 0, log.next);
                long first = log.next;
                log.next += RecordBatch.lastOffsetDelta(copy, 0) + 1;
                log.batches.add(copy);
                if (window != null) {
                    window.addLast(new long[] {RecordBatch.baseSequence(copy, 0), RecordBatch.lastSequence(copy, 0), first,
                            log.next - 1});
                    if (window.size() > WINDOW) {
                        window.removeFirst();
                    }
                }
            }
            answer.setResponse(ProduceResponse.newBuilder().setBaseOffset(base).setLastOffset(log.next - 1)
                    .setLogAppendTimeMs(-1));
        }
    }
}
