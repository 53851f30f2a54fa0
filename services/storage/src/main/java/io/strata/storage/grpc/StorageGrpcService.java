package io.strata.storage.grpc;

import io.strata.storage.log.ScratchBuffers;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.quarkus.runtime.ShutdownEvent;
import io.strata.proto.LeasedMessageMarshaller;
import io.strata.proto.ParseBufferPool;
import io.strata.proto.v1.FetchRequest;
import io.strata.proto.v1.FetchResponse;
import io.strata.proto.v1.ListOffsetsRequest;
import io.strata.proto.v1.ListOffsetsResponse;
import io.strata.proto.v1.OffsetForLeaderEpochRequest;
import io.strata.proto.v1.OffsetForLeaderEpochResponse;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.ProduceStreamRequest;
import io.strata.proto.v1.ProduceStreamResponse;
import io.strata.proto.v1.ReplicaFetchRequest;
import io.strata.proto.v1.ReplicaFetchResponse;
import io.strata.proto.v1.StorageGrpc;
import io.strata.runtime.GrpcServer;
import io.strata.runtime.quota.QuotaTracker;
import io.strata.storage.StorageNode;
import io.strata.storage.log.EpochEndOffset;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.log.TimestampOffset;
import io.strata.storage.partition.HostedPartition;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Storage gRPC API on a partition's leader: produce (unary, and pipelined on a produce
 * stream: {@link ProduceStreamSession}), long-poll fetch, streaming fetch and list-offsets.
 * Both produce RPCs take the same path ({@link ProducePath}). Requests are checked first (fields,
 * partition hosted, leadership, epoch, every batch, then the idempotent producers' sequences
 * under the log's lock) and the log is touched only when all checks pass, so a refused request
 * changes nothing. A retried request
 * of an idempotent producer that was written before is answered with its original offsets
 * and not appended again. With acks=all (the default) a produce is answered once the ISR has its
 * batches, and refused up front when the ISR is smaller than min.insync.replicas. Followers
 * replicate through ReplicaFetch ({@link ReplicaFetchSession}) after truncating to the leader's
 * log with OffsetForLeaderEpoch (docs/REPLICATION.md).
 *
 * <p>Quotas ({@link io.strata.runtime.quota.Quotas}, docs/QUOTAS.md): the bytes of answered
 * produce requests count against the client id's producer quota, the bytes of fetch answers
 * against its consumer quota; answers carry {@code throttle_time_ms}, and a call arriving while
 * its client id is throttled is held until the throttle time has passed. Refused requests count
 * nothing.
 */
@Singleton
public class StorageGrpcService extends StorageGrpc.StorageImplBase {

    /** Fetch size when the request leaves max_bytes at 0. */
    static final int DEFAULT_FETCH_BYTES = 1024 * 1024;
    /** Upper bound for one fetch response (the gRPC message limit is above it). */
    static final int MAX_FETCH_BYTES = 32 * 1024 * 1024;
    static final int MAX_WAIT_MS = 30_000;

    /** ProduceStream messages this large or larger are parsed into pooled arrays (below: an array of their own). */
    static final int POOLED_REQUEST_MIN_BYTES = 1024;
    /**
     * A new pooled array's least size: two default batches (64 KiB) and their framing fit. A
     * larger request (up to a producer's max.request.size per request, 1 MiB by default) gets an
     * array of its size, which is pooled too; any free array at least as large serves a request.
     */
    static final int POOLED_REQUEST_BYTES = 128 * 1024 + 1024;
    /** Free arrays kept: about the requests a node has in flight under load (a few per partition and stream). */
    static final int MAX_FREE_REQUEST_BUFFERS = 32;
    /**
     * Bytes of free arrays kept, at most: requests may be as large as strata.grpc.max.message.bytes
     * (64 MiB by default), and a burst of them must not leave that many large arrays pinned.
     */
    static final long MAX_FREE_REQUEST_BYTES = 16L * 1024 * 1024;

    private final StorageNode node;
    private final ProducePath producePath;
    /**
     * Arrays that ProduceStream messages are parsed into: their batches alias the array until
     * the log has copied them, so a request costs no fresh array (about 1 MiB each: a humongous
     * allocation under G1, and the node's largest source of garbage) and no second copy.
     */
    private final ParseBufferPool produceBuffers = new ParseBufferPool(POOLED_REQUEST_MIN_BYTES, POOLED_REQUEST_BYTES,
            MAX_FREE_REQUEST_BUFFERS, MAX_FREE_REQUEST_BYTES);
    private final ScratchBuffers fetchBuffers = new ScratchBuffers();
    private final Set<ProduceStreamSession> produceStreams = ConcurrentHashMap.newKeySet();
    private volatile boolean shuttingDown;

    public StorageGrpcService(StorageNode node) {
        this.node = node;
        this.producePath = new ProducePath(node.nodeId(), node::partitions, node.quotas().producer());
    }

    @Override
    public void produce(ProduceRequest request, StreamObserver<ProduceResponse> response) {
        node.quotas().admit(node.quotas().producer(), request.getClientId(), response,
                call -> producePath.produce(request, new UnaryReply(call)));
    }

    /** A unary Produce call's end of {@link ProducePath}. */
    private record UnaryReply(StreamObserver<ProduceResponse> call) implements ProducePath.Reply {
        @Override
        public void answer(ProduceResponse response) {
            try {
                call.onNext(response);
                call.onCompleted();
            } catch (RuntimeException cancelled) {
                // the client is gone
            }
        }

        @Override
        public void fail(StatusRuntimeException error) {
            try {
                call.onError(error);
            } catch (RuntimeException cancelled) {
                // the client is gone
            }
        }
    }

    /** The generated definition, with ProduceStream's messages parsed into {@link #produceBuffers}. */
    @Override
    public ServerServiceDefinition bindService() {
        return LeasedMessageMarshaller.withLeasedRequests(super.bindService(), StorageGrpc.getProduceStreamMethod(),
                ProduceStreamRequest.getDefaultInstance(), produceBuffers,
                ServerCalls.asyncBidiStreamingCall(response -> openProduceStream(response).leased()));
    }

    @Override
    public StreamObserver<ProduceStreamRequest> produceStream(StreamObserver<ProduceStreamResponse> response) {
        return openProduceStream(response);
    }

    private ProduceStreamSession openProduceStream(StreamObserver<ProduceStreamResponse> response) {
        ProduceStreamSession session = new ProduceStreamSession(producePath, node.quotas(), node.callExecutor(),
                (ServerCallStreamObserver<ProduceStreamResponse>) response, produceStreams::remove);
        produceStreams.add(session);
        if (shuttingDown) {
            session.shutdown("node " + node.nodeId() + " is shutting down");
        } else {
            session.start();
        }
        return session;
    }

    /**
     * Ends the produce streams with UNAVAILABLE before the gRPC server stops taking calls (and
     * would cut them after its grace period), so their clients resend to the next leader at once.
     */
    void endProduceStreams(@Observes @Priority(GrpcServer.SHUTDOWN_PRIORITY - 5) ShutdownEvent event) {
        shuttingDown = true;
        for (ProduceStreamSession session : List.copyOf(produceStreams)) {
            session.shutdown("node " + node.nodeId() + " is shutting down");
        }
    }

    @Override
    public StreamObserver<ReplicaFetchRequest> replicaFetch(StreamObserver<ReplicaFetchResponse> response) {
        return new ReplicaFetchSession(node, fetchBuffers, (ServerCallStreamObserver<ReplicaFetchResponse>) response);
    }

    @Override
    public void offsetForLeaderEpoch(OffsetForLeaderEpochRequest request, StreamObserver<OffsetForLeaderEpochResponse> response) {
        String where = request.getTopic() + "-" + request.getPartition();
        try {
            requirePartitionFields(request.getTopic(), request.getPartition());
            HostedPartition partition = node.partitions().require(request.getTopic(), request.getPartition(), node.nodeId());
            partition.requireLeader(node.nodeId(), true, request.getCurrentLeaderEpoch());
            EpochEndOffset end = partition.log().endOffsetForEpoch(request.getLeaderEpoch());
            response.onNext(OffsetForLeaderEpochResponse.newBuilder()
                    .setLeaderEpoch(end.epoch())
                    .setEndOffset(end.endOffset())
                    .build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(StorageErrors.toStatus(e, where));
        }
    }

    @Override
    public void fetch(FetchRequest request, StreamObserver<FetchResponse> response) {
        node.quotas().admit(node.quotas().consumer(), request.getClientId(), response, call -> fetchNow(request, call));
    }

    private void fetchNow(FetchRequest request, StreamObserver<FetchResponse> response) {
        String where = request.getTopic() + "-" + request.getPartition();
        try {
            FetchSpec spec = FetchSpec.of(request);
            HostedPartition partition = node.partitions().require(request.getTopic(), request.getPartition(), node.nodeId());
            partition.requireLeader(node.nodeId(), request.hasLeaderEpoch(), request.getLeaderEpoch());
            FetchResponse first = read(partition, spec.offset(), spec.maxBytes());
            if (first.getBatches().size() >= spec.minBytes() || spec.maxWaitMs() == 0) {
                response.onNext(charged(spec, first));
                response.onCompleted();
                return;
            }
            new LongPollFetch(this, partition, spec, (ServerCallStreamObserver<FetchResponse>) response, node).start();
        } catch (RuntimeException e) {
            response.onError(StorageErrors.toStatus(e, where));
        }
    }

    @Override
    public void fetchStream(FetchRequest request, StreamObserver<FetchResponse> response) {
        node.quotas().admit(node.quotas().consumer(), request.getClientId(), response, call -> fetchStreamNow(request, call));
    }

    private void fetchStreamNow(FetchRequest request, StreamObserver<FetchResponse> response) {
        String where = request.getTopic() + "-" + request.getPartition();
        try {
            FetchSpec spec = FetchSpec.of(request);
            HostedPartition partition = node.partitions().require(request.getTopic(), request.getPartition(), node.nodeId());
            int epoch = partition.requireLeader(node.nodeId(), request.hasLeaderEpoch(), request.getLeaderEpoch());
            // Fail fast on a bad start offset before the stream opens.
            read(partition, spec.offset(), spec.maxBytes());
            new FetchStreamPump(this, partition, spec, (ServerCallStreamObserver<FetchResponse>) response, node, epoch).start();
        } catch (RuntimeException e) {
            response.onError(StorageErrors.toStatus(e, where));
        }
    }

    @Override
    public void listOffsets(ListOffsetsRequest request, StreamObserver<ListOffsetsResponse> response) {
        String where = request.getTopic() + "-" + request.getPartition();
        try {
            requirePartitionFields(request.getTopic(), request.getPartition());
            HostedPartition partition = node.partitions().require(request.getTopic(), request.getPartition(), node.nodeId());
            int epoch = partition.requireLeader(node.nodeId(), request.hasLeaderEpoch(), request.getLeaderEpoch());
            ListOffsetsResponse.Builder answer = ListOffsetsResponse.newBuilder().setLeaderEpoch(epoch).setTimestampMs(-1);
            switch (request.getSpec()) {
                case EARLIEST -> answer.setOffset(partition.log().logStartOffset());
                case LATEST -> answer.setOffset(partition.highWatermark());
                case TIMESTAMP -> {
                    long hw = partition.highWatermark();
                    Optional<TimestampOffset> found = partition.log().offsetForTimestamp(request.getTimestampMs())
                            .filter(f -> f.offset() < hw); // uncommitted records are not there yet for clients
                    answer.setOffset(found.map(TimestampOffset::offset).orElse(hw));
                    found.ifPresent(f -> answer.setTimestampMs(f.timestamp()));
                }
                case MAX_TIMESTAMP -> {
                    Optional<TimestampOffset> max = partition.log().maxTimestampOffset();
                    answer.setOffset(max.map(TimestampOffset::offset).orElse(-1L));
                    max.ifPresent(m -> answer.setTimestampMs(m.timestamp()));
                }
                default -> throw StorageErrors.invalidRequest(
                        "list offsets for " + where + " needs spec EARLIEST, LATEST, TIMESTAMP or MAX_TIMESTAMP");
            }
            response.onNext(answer.build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(StorageErrors.toStatus(e, where));
        }
    }

    /**
     * Reads up to the high watermark. The response's bytes wrap this thread's scratch buffer
     * without a copy: send it (onNext) before this thread reads again.
     */
    FetchResponse read(HostedPartition partition, long offset, int maxBytes) {
        long highWatermark = partition.highWatermark();
        // Consumers see only committed batches: those below the high watermark.
        LogReadResult result = partition.log().read(offset, maxBytes, fetchBuffers::take, highWatermark);
        return FetchResponse.newBuilder()
                .setBatches(UnsafeByteOperations.unsafeWrap(result.batches()))
                .setHighWatermark(highWatermark)
                .setLogStartOffset(result.logStartOffset())
                .setNextOffset(result.nextOffset())
                .build();
    }

    /**
     * A fetch answer with its bytes counted against the client id's consumer quota and the
     * resulting throttle time in it (the batches are not copied).
     */
    FetchResponse charged(FetchSpec spec, FetchResponse answer) {
        int throttle = throttleMs(node.quotas().consumer(), spec.clientId(), answer.getBatches().size());
        return throttle == 0 ? answer : answer.toBuilder().setThrottleTimeMs(throttle).build();
    }

    /** Counts {@code bytes} against {@code clientId}'s quota; the throttle time for the answer. */
    static int throttleMs(QuotaTracker quota, String clientId, long bytes) {
        return (int) Math.min(Integer.MAX_VALUE, quota.record(clientId, bytes));
    }

    static void requirePartitionFields(String topic, int partition) {
        if (topic.isEmpty()) {
            throw StorageErrors.invalidRequest("topic must not be empty");
        }
        if (partition < 0) {
            throw StorageErrors.invalidRequest("partition must be >= 0, got " + partition);
        }
    }

    /** A fetch request's checked and defaulted parameters. */
    record FetchSpec(long offset, int maxBytes, int minBytes, int maxWaitMs, String clientId) {
        static FetchSpec of(FetchRequest request) {
            requirePartitionFields(request.getTopic(), request.getPartition());
            if (request.getOffset() < 0) {
                throw StorageErrors.invalidRequest("fetch offset must be >= 0, got " + request.getOffset());
            }
            if (request.getMaxBytes() < 0 || request.getMinBytes() < 0 || request.getMaxWaitMs() < 0) {
                throw StorageErrors.invalidRequest("max_bytes, min_bytes and max_wait_ms must be >= 0");
            }
            int maxBytes = request.getMaxBytes() == 0 ? DEFAULT_FETCH_BYTES : Math.min(request.getMaxBytes(), MAX_FETCH_BYTES);
            return new FetchSpec(request.getOffset(), maxBytes, Math.max(1, request.getMinBytes()),
                    Math.min(request.getMaxWaitMs(), MAX_WAIT_MS), request.getClientId());
        }
    }
}
