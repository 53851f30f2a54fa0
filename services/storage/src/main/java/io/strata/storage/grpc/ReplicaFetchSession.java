package io.strata.storage.grpc;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ReplicaFetchRequest;
import io.strata.proto.v1.ReplicaFetchResponse;
import io.strata.storage.StorageNode;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.log.ScratchBuffers;
import io.strata.storage.partition.HostedPartition;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The leader's end of one follower's ReplicaFetch stream. Each request names one partition and
 * the follower's log end offset; it is answered once, with the batches past that offset as the
 * leader stores them, as soon as there are any or after {@code max_wait_ms} (parked on the
 * partition's data waiters meanwhile, holding no thread). The fetch offset is the follower's
 * progress: it moves the high watermark and the follower's ISR standing
 * ({@link HostedPartition#onFollowerFetch}). A refused request is answered with its error in the
 * response, so the follower's other partitions on the stream go on.
 */
final class ReplicaFetchSession implements StreamObserver<ReplicaFetchRequest> {

    private final StorageNode node;
    private final ScratchBuffers buffers;
    private final ServerCallStreamObserver<ReplicaFetchResponse> out;
    private final Set<ParkedFetch> parked = new HashSet<>();
    private boolean closed;

    ReplicaFetchSession(StorageNode node, ScratchBuffers buffers, ServerCallStreamObserver<ReplicaFetchResponse> out) {
        this.node = node;
        this.buffers = buffers;
        this.out = out;
        out.setOnCancelHandler(this::close);
    }

    @Override
    public void onNext(ReplicaFetchRequest request) {
        String where = request.getTopic() + "-" + request.getPartition();
        if (request.getReplicaId() < 0 || request.getFetchOffset() < 0 || request.getMaxBytes() < 0
                || request.getMaxWaitMs() < 0 || request.getTopic().isEmpty() || request.getPartition() < 0) {
            fail(StorageErrors.invalidRequest("replica fetch for " + where + " needs replica_id, partition, fetch_offset,"
                    + " max_bytes and max_wait_ms >= 0 and a topic; got " + request));
            return;
        }
        try {
            HostedPartition partition = node.partitions().require(request.getTopic(), request.getPartition(), node.nodeId());
            partition.requireLeader(node.nodeId(), true, request.getLeaderEpoch());
            if (!partition.state().getReplicasList().contains(request.getReplicaId())) {
                throw StrataError.exception(ErrorCode.INELIGIBLE_REPLICA, "node " + request.getReplicaId()
                        + " is not a replica of " + where + " (replicas " + partition.state().getReplicasList() + ")");
            }
            long end = partition.log().logEndOffset();
            if (request.getFetchOffset() > end || request.getFetchOffset() < partition.log().logStartOffset()) {
                throw StrataError.exception(ErrorCode.OFFSET_OUT_OF_RANGE, "replica fetch offset " + request.getFetchOffset()
                        + " of " + where + " is outside the leader's log [" + partition.log().logStartOffset() + ", " + end
                        + "]");
            }
            partition.onFollowerFetch(request.getReplicaId(), request.getFetchOffset());
            ReplicaFetchResponse answer = read(partition, request);
            if (!answer.getBatches().isEmpty() || request.getMaxWaitMs() == 0) {
                send(answer);
            } else {
                park(partition, request);
            }
        } catch (RuntimeException e) {
            send(errorAnswer(request, partition(request), StorageErrors.toStatus(e, where)));
        }
    }

    private HostedPartition partition(ReplicaFetchRequest request) {
        try {
            return node.partitions().get(request.getTopic(), request.getPartition()).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Reads the batches past the follower's offset into this thread's scratch buffer, which the
     * answer wraps without a copy: send it (or drop it) before this thread reads again.
     */
    private ReplicaFetchResponse read(HostedPartition partition, ReplicaFetchRequest request) {
        int maxBytes = request.getMaxBytes() == 0 ? StorageGrpcService.DEFAULT_FETCH_BYTES
                : Math.min(request.getMaxBytes(), StorageGrpcService.MAX_FETCH_BYTES);
        long hw = partition.highWatermark();
        LogReadResult r = partition.log().read(request.getFetchOffset(), maxBytes, buffers::take);
        return ReplicaFetchResponse.newBuilder()
                .setTopic(request.getTopic())
                .setPartition(request.getPartition())
                .setCorrelationId(request.getCorrelationId())
                .setBatches(UnsafeByteOperations.unsafeWrap(r.batches()))
                .setHighWatermark(hw)
                .setLogStartOffset(r.logStartOffset())
                .setNextOffset(r.nextOffset())
                .setLeaderEpoch(partition.state().getLeaderEpoch())
                .build();
    }

    private static ReplicaFetchResponse errorAnswer(ReplicaFetchRequest request, HostedPartition partition,
                                                    StatusRuntimeException e) {
        ReplicaFetchResponse.Builder b = ReplicaFetchResponse.newBuilder()
                .setTopic(request.getTopic())
                .setPartition(request.getPartition())
                .setCorrelationId(request.getCorrelationId())
                .setError(StrataError.reasonOf(e).orElse(ErrorCode.INTERNAL_ERROR))
                .setErrorMessage(String.valueOf(e.getStatus().getDescription()));
        if (partition != null) {
            b.setLogStartOffset(partition.log().logStartOffset()).setLeaderEpoch(partition.state().getLeaderEpoch());
        }
        return b.build();
    }

    /** A request waiting for the partition's log to grow, answered once. */
    private final class ParkedFetch {
        final HostedPartition partition;
        final ReplicaFetchRequest request;
        final AtomicBoolean done = new AtomicBoolean();
        volatile Runnable deregister = () -> { };
        volatile ScheduledFuture<?> timeout;

        ParkedFetch(HostedPartition partition, ReplicaFetchRequest request) {
            this.partition = partition;
            this.request = request;
        }

        void start() {
            timeout = node.scheduler().schedule(() -> node.fetchExecutor().execute(() -> answer(true)),
                    Math.min(request.getMaxWaitMs(), StorageGrpcService.MAX_WAIT_MS), TimeUnit.MILLISECONDS);
            // Read again before waiting: an append may have landed since the first read.
            node.fetchExecutor().execute(() -> answer(false));
        }

        void answer(boolean timedOut) {
            if (done.get()) {
                return;
            }
            long seen = partition.waiters().signals();
            ReplicaFetchResponse r;
            try {
                partition.requireLeader(node.nodeId(), true, request.getLeaderEpoch());
                r = read(partition, request);
            } catch (RuntimeException e) {
                r = errorAnswer(request, partition, StorageErrors.toStatus(e, partition.topicPartition().dirName()));
            }
            if (r.getBatches().isEmpty() && r.getError() == ErrorCode.ERROR_CODE_UNSPECIFIED && !timedOut) {
                deregister = partition.waiters().register(() -> node.fetchExecutor().execute(() -> answer(false)), seen);
                return;
            }
            if (done.compareAndSet(false, true)) {
                cancel();
                unpark(this);
                send(r);
            }
        }

        void cancel() {
            deregister.run();
            ScheduledFuture<?> t = timeout;
            if (t != null) {
                t.cancel(false);
            }
        }
    }

    private void park(HostedPartition partition, ReplicaFetchRequest request) {
        ParkedFetch p = new ParkedFetch(partition, request);
        synchronized (this) {
            if (closed) {
                return;
            }
            parked.add(p);
        }
        p.start();
    }

    private synchronized void unpark(ParkedFetch p) {
        parked.remove(p);
    }

    private synchronized void send(ReplicaFetchResponse response) {
        if (closed) {
            return;
        }
        try {
            out.onNext(response);
        } catch (RuntimeException e) {
            close(); // the stream was cancelled under us
        }
    }

    private synchronized void fail(StatusRuntimeException e) {
        if (!closed) {
            closed = true;
            out.onError(e);
        }
        cancelParked();
    }

    @Override
    public void onError(Throwable t) {
        close();
    }

    @Override
    public void onCompleted() {
        synchronized (this) {
            if (!closed) {
                closed = true;
                out.onCompleted();
            }
        }
        cancelParked();
    }

    private void close() {
        synchronized (this) {
            closed = true;
        }
        cancelParked();
    }

    private void cancelParked() {
        Set<ParkedFetch> all;
        synchronized (this) {
            all = Set.copyOf(parked);
            parked.clear();
        }
        for (ParkedFetch p : all) {
            p.done.set(true);
            p.cancel();
        }
    }
}
