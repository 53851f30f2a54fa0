package io.strata.storage.grpc;

import io.strata.storage.log.ScratchBuffers;
import io.grpc.StatusRuntimeException;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.records.BatchValidator;
import io.strata.runtime.quota.QuotaTracker;
import io.strata.storage.log.LogAppendInfo;
import io.strata.storage.partition.HostedPartition;
import io.strata.storage.partition.PartitionRegistry;

import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * A partition leader's produce path, shared by the unary {@code Produce} and by
 * {@code ProduceStream} ({@link ProduceStreamSession}): the request's fields, the partition
 * (hosted, led here, the caller's epoch), the ISR for acks=all, every batch, then the
 * idempotent producers' sequences under the log's lock — and only when all pass, the append.
 * A refused request changes nothing. The bytes of an appended request count against its client
 * id's producer quota and the answer carries the resulting throttle time (holding a throttled
 * caller is the caller's business: {@link io.strata.runtime.quota.Quotas}).
 *
 * <p>{@link #produce} appends on the calling thread before it returns (so calls made one after
 * another are appended in that order) and answers either at once or, for acks=all, once the high
 * watermark passes the request (on the thread that moves it). Thread-safe.
 */
final class ProducePath {

    /** How long an acks=all produce waits for the ISR when the request leaves timeout_ms at 0. */
    static final int DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;

    /** Where one request's outcome goes: exactly one method is called, once, on any thread; neither may block or throw. */
    interface Reply {
        void answer(ProduceResponse response);

        /** @param error carries the reason trailer ({@link io.strata.proto.StrataError}) */
        void fail(StatusRuntimeException error);
    }

    private final int nodeId;
    private final Supplier<PartitionRegistry> partitions;
    private final QuotaTracker producerQuota;
    private final ScratchBuffers buffers = new ScratchBuffers();

    /**
     * @param partitions    the node's hosted partitions (throws STORAGE_ERROR while the node recovers)
     * @param producerQuota counts appended bytes per client id
     */
    ProducePath(int nodeId, Supplier<PartitionRegistry> partitions, QuotaTracker producerQuota) {
        this.nodeId = nodeId;
        this.partitions = partitions;
        this.producerQuota = producerQuota;
    }

    /** Checks and appends {@code request}; its outcome goes to {@code reply}. */
    void produce(ProduceRequest request, Reply reply) {
        String where = request.getTopic() + "-" + request.getPartition();
        try {
            StorageGrpcService.requirePartitionFields(request.getTopic(), request.getPartition());
            if (request.getBatches().isEmpty()) {
                throw StorageErrors.invalidRequest("produce to " + where + " carries no batches");
            }
            if (request.getTimeoutMs() < 0) {
                throw StorageErrors.invalidRequest("timeout_ms must be >= 0, got " + request.getTimeoutMs());
            }
            HostedPartition partition = partitions.get().require(request.getTopic(), request.getPartition(), nodeId);
            int epoch = partition.requireLeader(nodeId, request.hasLeaderEpoch(), request.getLeaderEpoch());
            boolean acksAll = request.getAcks() == Acks.ACKS_ALL || request.getAcks() == Acks.ACKS_UNSPECIFIED;
            if (acksAll) {
                partition.requireEnoughReplicas();
            }
            // The leader stamps offsets and its epoch into the headers, so it needs its own copy.
            ByteBuffer batches = buffers.take(request.getBatches().size());
            request.getBatches().copyTo(batches);
            batches.flip();
            BatchValidator.validate(batches, partition.config().maxMessageBytes());
            LogAppendInfo info = partition.log().append(batches, epoch);
            if (!info.duplicate()) {
                partition.onAppended();
            }
            ProduceResponse answer = ProduceResponse.newBuilder()
                    .setBaseOffset(info.firstOffset())
                    .setLastOffset(info.lastOffset())
                    .setLogStartOffset(info.logStartOffset())
                    .setLogAppendTimeMs(-1)
                    .setThrottleTimeMs(StorageGrpcService.throttleMs(producerQuota, request.getClientId(),
                            request.getBatches().size()))
                    .build();
            if (!acksAll) {
                reply.answer(answer);
                return;
            }
            // acks=all: answered once the ISR has the batches (the high watermark passes them). A
            // retried duplicate waits too: its first answer may have been lost before it was committed.
            long timeoutMs = request.getTimeoutMs() == 0 ? DEFAULT_PRODUCE_TIMEOUT_MS : request.getTimeoutMs();
            partition.awaitCommitted(info.lastOffset() + 1, timeoutMs, () -> reply.answer(answer), reply::fail);
        } catch (RuntimeException e) {
            reply.fail(StorageErrors.toStatus(e, where));
        }
    }
}
