package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Backoff;
import io.strata.client.internal.CoordinationCalls;
import io.strata.client.internal.Errors;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.InitProducerIdRequest;
import io.strata.proto.v1.InitProducerIdResponse;
import io.strata.records.RecordBatch;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * The producer ids and per-partition sequence numbers of an idempotent producer (KIP-98, as
 * Kafka's producer keeps them in its {@code TransactionManager}).
 *
 * <p>The first batch ready to go asks coordination's {@code InitProducerId} for an id (once;
 * retriable failures are retried with backoff while the batches wait within their delivery
 * timeout). A partition binds to the current id and numbers its records from 0: a batch gets its
 * base sequence when it is sealed for its first send, and keeps it for every retry, so the
 * leader recognises a retry of a batch it already wrote and answers it without writing it
 * again. A sequence is never given to other records.
 *
 * <p>A batch that carried a sequence and then failed for good (refused, expired, out of
 * retries) leaves a hole in its partition's numbering that no later batch may fill, so the
 * partition retires its id: its next batch waits for an id the partition never used (a new
 * {@code InitProducerId} when the current one is the retired one) and starts again at sequence
 * 0. The failed batch itself is reported, never resent under the new id. Batches of the partition
 * that were in flight behind it under the retired id come back refused as out of order (the
 * leader never wrote them); the sender then {@linkplain ProducerBatch#resetProducerState() resets}
 * them, and they are numbered again under the new id, in their order, before any later batch.
 * Kafka 2.5+ bumps the epoch of the same id instead (KIP-360), which also fences a late copy of
 * the old request; coordination hands out epochs only with a transactional id, so a fresh id it is.
 *
 * <p>Thread-safe: the sender thread seals and asks for ids, gRPC threads report failures.
 */
final class IdempotenceManager {

    private static final System.Logger LOG = System.getLogger(IdempotenceManager.class.getName());

    /** A partition's id and the sequence of its next record. */
    private record Binding(ProducerIdAndEpoch id, int nextSequence) {
    }

    private final CoordinationCalls coordination;
    private final Backoff backoff;
    private final Clock clock;
    private final Runnable wakeup;
    // guarded by this
    private ProducerIdAndEpoch current;
    private final Map<TopicPartition, Binding> bindings = new HashMap<>();
    private final Map<TopicPartition, ProducerIdAndEpoch> retired = new HashMap<>();
    private boolean idWanted;
    private boolean requestInFlight;
    private int failedRequests;
    private long nextRequestMs;
    private StrataException requestFailure;

    /** @param wakeup wakes the sender when an id arrived or a request failed */
    IdempotenceManager(CoordinationCalls coordination, Backoff backoff, Clock clock, Runnable wakeup) {
        this.coordination = coordination;
        this.backoff = backoff;
        this.clock = clock;
        this.wakeup = wakeup;
    }

    /**
     * Stamps a batch that is being sealed for its first send with its partition's id and next
     * sequence (a retried batch keeps its stamp). Returns false, and asks for an id, when the
     * partition has none it may use yet; the batch then stays queued.
     */
    synchronized boolean seal(ProducerBatch batch) {
        if (batch.producerIdAndEpoch() != null) {
            return true;
        }
        TopicPartition tp = batch.topicPartition();
        Binding binding = bindings.get(tp);
        if (binding == null) {
            if (current == null || current.equals(retired.get(tp))) {
                idWanted = true;
                return false;
            }
            binding = new Binding(current, 0);
        }
        batch.setProducerState(binding.id(), binding.nextSequence());
        bindings.put(tp, new Binding(binding.id(),
                RecordBatch.incrementSequence(binding.nextSequence(), batch.recordCount())));
        return true;
    }

    /** The id {@code tp}'s batches are numbered under now; null before its first batch and after it retired one. */
    synchronized ProducerIdAndEpoch boundId(TopicPartition tp) {
        Binding binding = bindings.get(tp);
        return binding == null ? null : binding.id();
    }

    /**
     * Whether {@code id} is the one {@code tp}'s batches are numbered under now: false once the
     * partition retired it after a batch failed for good.
     */
    synchronized boolean isCurrent(TopicPartition tp, ProducerIdAndEpoch id) {
        Binding binding = bindings.get(tp);
        return binding != null && binding.id().equals(id);
    }

    /**
     * A batch failed for good (or was split into new batches): if it carried its partition's
     * current sequence numbers, the partition retires its id and starts again at 0 under another.
     */
    synchronized void onBatchFailed(ProducerBatch batch) {
        ProducerIdAndEpoch id = batch.producerIdAndEpoch();
        TopicPartition tp = batch.topicPartition();
        Binding binding = bindings.get(tp);
        if (id == null || binding == null || !binding.id().equals(id)) {
            return;
        }
        bindings.remove(tp);
        retired.put(tp, id);
        LOG.log(System.Logger.Level.WARNING, "a batch of " + tp + " with sequences " + batch.baseSequence() + ".."
                + RecordBatch.incrementSequence(batch.baseSequence(), batch.recordCount() - 1) + " of " + id
                + " failed; the partition's next records go out under another producer id, from sequence 0");
    }

    /**
     * Sender thread: asks coordination for a producer id when a partition waits for one, no
     * request is in flight and the backoff after a failure has passed.
     *
     * @return ms until this should be called again; {@link Long#MAX_VALUE} when nothing waits
     */
    synchronized long maybeRequestProducerId(long nowMs) {
        if (!idWanted || requestInFlight) {
            return Long.MAX_VALUE;
        }
        if (nowMs < nextRequestMs) {
            return nextRequestMs - nowMs;
        }
        requestInFlight = true;
        coordination.<InitProducerIdRequest, InitProducerIdResponse>call(InitProducerIdRequest.getDefaultInstance(),
                        stub -> stub::initProducerId)
                .whenComplete((answer, failure) -> {
                    synchronized (this) {
                        requestInFlight = false;
                        if (failure == null) {
                            current = new ProducerIdAndEpoch(answer.getProducerId(), (short) answer.getProducerEpoch());
                            idWanted = false;
                            failedRequests = 0;
                        } else {
                            StrataException error = Errors.toStrataException(failure);
                            nextRequestMs = clock.millis() + backoff.delayMs(++failedRequests);
                            if (!error.retriable()) {
                                requestFailure = new StrataException(error.reason(), error.reasonName(), false,
                                        error.statusCode().orElse(null), ProducerConfig.ENABLE_IDEMPOTENCE + "=true needs"
                                        + " a producer id from coordination, and InitProducerId failed: " + error.getMessage()
                                        + " (set " + ProducerConfig.ENABLE_IDEMPOTENCE + "=false to produce without one)",
                                        error);
                            }
                        }
                    }
                    wakeup.run();
                });
        return Long.MAX_VALUE;
    }

    /**
     * The last {@code InitProducerId} failure that retrying will not cure, once (the sender fails
     * the waiting batches with it); null when there is none.
     */
    synchronized StrataException takeRequestFailure() {
        StrataException f = requestFailure;
        requestFailure = null;
        return f;
    }

    /**
     * The error a batch fails with when the leader refused its producer state: the server's
     * reason and message, plus which id and sequences were refused and what happens next.
     */
    static StrataException refused(ProducerBatch batch, StrataException error) {
        ErrorCode reason = error.reason();
        if (batch.producerIdAndEpoch() == null || (reason != ErrorCode.OUT_OF_ORDER_SEQUENCE
                && reason != ErrorCode.UNKNOWN_PRODUCER_ID && reason != ErrorCode.INVALID_PRODUCER_EPOCH)) {
            return error;
        }
        String message = "the leader of " + batch.topicPartition() + " refused " + batch.recordCount() + " record(s) of "
                + batch.producerIdAndEpoch() + ", sequences " + batch.baseSequence() + ".."
                + RecordBatch.incrementSequence(batch.baseSequence(), batch.recordCount() - 1) + ": " + error.getMessage()
                + "; the partition's later records go out under another producer id";
        return new StrataException(reason, error.reasonName(), false, error.statusCode().orElse(null), message, error);
    }
}
