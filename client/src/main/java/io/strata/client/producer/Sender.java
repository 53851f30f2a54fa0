package io.strata.client.producer;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Backoff;
import io.strata.client.internal.ChannelPool;
import io.strata.client.internal.ClusterSnapshot;
import io.strata.client.internal.CoordinationCalls;
import io.strata.client.internal.Errors;
import io.strata.client.internal.GrpcCalls;
import io.strata.client.internal.MetadataCache;
import io.strata.client.internal.NodeThrottle;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.StorageGrpc;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The producer's I/O loop, run by one thread: expires batches past {@code delivery.timeout.ms},
 * sends the ready partitions' batches to their leaders, and handles the answers (on gRPC
 * threads).
 *
 * <p>Ordering rule: a partition has at most one Produce in flight. A retriable failure puts the
 * request's batches back at the front of the partition's queue before the partition may be sent
 * again, so records of a partition reach the log in send order. To keep as much data moving as
 * Kafka's pipelined requests do, that one request may carry up to
 * {@code max.in.flight.requests.per.connection × max.request.size} bytes ({@link #requestBytes}).
 *
 * <p>Retried: every reason {@link io.strata.proto.StrataError#retriable} names, unreachable
 * nodes, and {@code UNKNOWN_TOPIC_OR_PARTITION} from a storage node (it may not have opened a new
 * partition yet) — each after a metadata refresh and a backoff, until {@code retries} or the
 * batch's delivery deadline runs out. A topic that coordination no longer knows fails its
 * batches at once. A request refused as {@code RECORD_TOO_LARGE} with more than one record is
 * split into one request per record, so only the record that is too large fails.
 *
 * <p>Idempotence ({@code enable.idempotence}, the default; {@link IdempotenceManager}): a
 * request carries up to {@link #MAX_IDEMPOTENT_BATCHES_PER_REQUEST} consecutive batches of its
 * partition (where Kafka keeps up to 5 one-batch requests in flight), each stamped with the
 * producer id and its partition's sequence when it is sealed for its first send; a retry resends
 * the same batches with the same bytes (never mixed with new ones), so a leader that already
 * wrote them, which it does in one append, answers with the original offsets instead of
 * writing them again. {@code DUPLICATE_SEQUENCE} counts as
 * success (offset unknown: -1, as in Kafka). {@code OUT_OF_ORDER_SEQUENCE},
 * {@code UNKNOWN_PRODUCER_ID} and {@code INVALID_PRODUCER_EPOCH} fail the batch, naming its id and
 * sequences. Any batch with a sequence that fails for good makes its partition continue under
 * another producer id.
 *
 * <p>Without idempotence a retry after a timeout or a lost connection may write a batch twice
 * (at-least-once, as Kafka's producer without idempotence).
 */
final class Sender implements Runnable {

    private static final System.Logger LOG = System.getLogger(Sender.class.getName());
    /** Longest sleep of the loop when nothing is due, so stale metadata gets noticed. */
    private static final long MAX_IDLE_MS = 1_000;
    /**
     * Batches in one idempotent request: the leader remembers a producer's last 64 batches per
     * partition, so a retry of a request of at most 64 is always recognised as a duplicate (the
     * reason Kafka bounds max.in.flight.requests.per.connection by its 5).
     */
    static final int MAX_IDEMPOTENT_BATCHES_PER_REQUEST = 64;

    private final RecordAccumulator accumulator;
    private final MetadataCache metadata;
    private final ChannelPool channels;
    private final ProducerConfig config;
    private final Clock clock;
    private final Backoff backoff;
    /** Quotas: a node that answered with a throttle time gets no request until it has passed (KIP-219). */
    private final NodeThrottle nodeThrottle;
    /** Null when the producer is not idempotent. */
    private final IdempotenceManager idempotence;
    private final RecordAccumulator.Sealer sealer;
    private final int maxBatchesPerRequest;
    private final int maxRequestBytes;
    private final Set<TopicPartition> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<TopicPartition, CompletableFuture<ProduceResponse>> inFlightCalls = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Long> backoffUntil = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Integer> consecutiveFailures = new ConcurrentHashMap<>();
    private final Object signal = new Object();
    private boolean woken; // guarded by signal
    private volatile boolean running = true;
    private volatile boolean forceClose;
    private volatile StrataException fatal;
    private long lastMetadataRequestMs = Long.MIN_VALUE / 2;

    Sender(RecordAccumulator accumulator, MetadataCache metadata, ChannelPool channels, ProducerConfig config,
           Clock clock) {
        this.accumulator = accumulator;
        this.metadata = metadata;
        this.channels = channels;
        this.config = config;
        this.clock = clock;
        this.nodeThrottle = new NodeThrottle(clock);
        this.backoff = config.backoff();
        this.idempotence = config.idempotence() ? new IdempotenceManager(
                new CoordinationCalls(config.bootstrapServers(), channels, config.requestTimeoutMs()), backoff, clock,
                this::wakeup) : null;
        this.sealer = idempotence != null ? idempotence::seal : RecordAccumulator.NOTHING_TO_STAMP;
        this.maxBatchesPerRequest = idempotence != null ? MAX_IDEMPOTENT_BATCHES_PER_REQUEST : Integer.MAX_VALUE;
        this.maxRequestBytes = requestBytes(config);
        metadata.addListener(this::wakeup);
    }

    @Override
    public void run() {
        try {
            while (running) {
                runOnce();
            }
            while (!forceClose && (accumulator.hasQueued() || !inFlight.isEmpty())) {
                runOnce();
            }
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "producer sender thread failed", e);
            fatal = new StrataException(ErrorCode.INTERNAL_ERROR, "INTERNAL_ERROR", false, null,
                    "the producer's sender thread failed: " + e, e);
            accumulator.beginClose();
            failEverything(fatal);
            throw e;
        }
        if (forceClose) {
            failEverything(new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "PRODUCER_CLOSED", false, null,
                    "the producer was closed before the record was sent", null));
        }
    }

    /** The failure that stopped the sender thread, or {@code null} while it runs. */
    StrataException fatal() {
        return fatal;
    }

    /** Wakes the loop (new or full batch, answer, metadata, flush, close). */
    void wakeup() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    /** Stops after everything queued and in flight is done. */
    void initiateClose() {
        running = false;
        wakeup();
    }

    /** Stops now: queued batches fail, calls in flight are cancelled. */
    void forceClose() {
        forceClose = true;
        running = false;
        wakeup();
    }

    void runOnce() {
        long now = clock.millis();
        Set<TopicPartition> muted = mutedPartitions(now);
        for (ProducerBatch b : accumulator.expire(now, inFlight)) {
            fail(b, expired(b));
        }
        failUnknownTopics();
        failWaitingForProducerId();

        RecordAccumulator.ReadyCheck check = accumulator.ready(now, muted);
        long nextDelay = Math.min(check.nextCheckDelayMs(), MAX_IDLE_MS);
        for (Long until : backoffUntil.values()) {
            nextDelay = Math.min(nextDelay, Math.max(0, until - now));
        }
        ClusterSnapshot snapshot = metadata.snapshot();
        boolean needMetadata = false;
        for (TopicPartition tp : check.ready()) {
            Optional<ClusterSnapshot.Leader> leader = snapshot.leader(tp);
            if (leader.isEmpty()) {
                needMetadata = true;
                continue;
            }
            long throttled = nodeThrottle.delayMs(leader.get().address());
            if (throttled > 0) {
                nextDelay = Math.min(nextDelay, throttled);
                continue;
            }
            List<ProducerBatch> batches = accumulator.drain(tp, maxRequestBytes, maxBatchesPerRequest, sealer);
            if (!batches.isEmpty()) {
                send(tp, leader.get(), batches);
            }
        }
        boolean stale = metadata.hasInterest() && now - snapshot.updatedAtMs() >= config.metadataMaxAgeMs();
        if (needMetadata || stale) {
            long earliest = lastMetadataRequestMs + Math.max(1, backoff.initialMs());
            if (now >= earliest) {
                lastMetadataRequestMs = now;
                metadata.refresh(Set.of());
            }
            nextDelay = Math.min(nextDelay, Math.max(1, earliest - now));
        }
        if (idempotence != null) {
            nextDelay = Math.min(nextDelay, idempotence.maybeRequestProducerId(now));
        }
        if (forceClose) {
            return;
        }
        awaitWakeup(nextDelay);
    }

    /**
     * How many bytes one request of a partition may carry: what Kafka would have in flight for it,
     * {@code max.in.flight.requests.per.connection} requests of {@code max.request.size}, since a
     * partition here has one request in flight that carries it all (ordered without a stream).
     */
    static int requestBytes(ProducerConfig config) {
        return (int) Math.min(Integer.MAX_VALUE / 2, (long) config.maxRequestSize() * config.maxInFlightRequestsPerConnection());
    }

    private Set<TopicPartition> mutedPartitions(long now) {
        Set<TopicPartition> muted = new HashSet<>(inFlight);
        backoffUntil.forEach((tp, until) -> {
            if (until > now) {
                muted.add(tp);
            }
        });
        return muted;
    }

    private void awaitWakeup(long delayMs) {
        if (delayMs <= 0) {
            return;
        }
        synchronized (signal) {
            if (!woken) {
                try {
                    signal.wait(delayMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    forceClose();
                }
            }
            woken = false;
        }
    }

    private void failUnknownTopics() {
        Set<String> unknown = metadata.snapshot().unknownTopics();
        if (unknown.isEmpty()) {
            return;
        }
        for (ProducerBatch b : accumulator.removeAll(tp -> unknown.contains(tp.topic()) && !inFlight.contains(tp))) {
            fail(b, new StrataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "topic '" + b.topicPartition().topic() + "' does not exist"));
        }
    }

    /**
     * Fails the queued batches still without a producer id when coordination refused one for a
     * reason retrying will not cure (batches that have theirs go on).
     */
    private void failWaitingForProducerId() {
        StrataException failure = idempotence == null ? null : idempotence.takeRequestFailure();
        if (failure != null) {
            for (ProducerBatch b : accumulator.remove(tp -> true, b -> b.producerIdAndEpoch() == null)) {
                fail(b, failure);
            }
        }
    }

    /** Fails a batch for good; an idempotent partition then leaves the sequence hole behind (see {@link IdempotenceManager}). */
    private void fail(ProducerBatch batch, StrataException error) {
        accumulator.fail(batch, error);
        if (idempotence != null) {
            idempotence.onBatchFailed(batch);
        }
    }

    private void send(TopicPartition tp, ClusterSnapshot.Leader leader, List<ProducerBatch> batches) {
        ByteString payload = ByteString.EMPTY;
        for (ProducerBatch b : batches) {
            payload = payload.concat(UnsafeByteOperations.unsafeWrap(b.close()));
            b.recordAttempt();
        }
        ProduceRequest request = ProduceRequest.newBuilder()
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .setAcks(config.acks())
                .setTimeoutMs(config.requestTimeoutMs())
                .setLeaderEpoch(leader.epoch())
                .setBatches(payload)
                .setClientId(config.clientId())
                .build();
        String target = leader.address().toString();
        inFlight.add(tp);
        CompletableFuture<ProduceResponse> call;
        try {
            call = GrpcCalls.unary(request, StorageGrpc.newStub(channels.channel(leader.address()))
                    .withDeadlineAfter(config.requestTimeoutMs() + 5_000L, TimeUnit.MILLISECONDS)::produce);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        inFlightCalls.put(tp, call);
        if (config.acks() == Acks.ACKS_NONE) {
            batches.forEach(b -> b.complete(-1, -1));
        }
        call.whenComplete((answer, failure) -> {
            if (answer != null) {
                nodeThrottle.throttle(leader.address(), answer.getThrottleTimeMs());
            }
            try {
                if (config.acks() == Acks.ACKS_NONE) {
                    if (failure != null) {
                        LOG.log(System.Logger.Level.DEBUG, "acks=0 produce to " + tp + " failed: " + failure);
                    }
                    batches.forEach(accumulator::deallocate);
                } else if (failure == null) {
                    onSuccess(tp, batches, answer);
                } else {
                    onFailure(tp, batches, Errors.toStrataException(failure, target));
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "handling the answer for " + tp + " failed", e);
                StrataException error = new StrataException(ErrorCode.INTERNAL_ERROR, "INTERNAL_ERROR", false, null,
                        "handling the answer failed: " + e, e);
                batches.forEach(b -> fail(b, error));
            } finally {
                inFlightCalls.remove(tp);
                inFlight.remove(tp);
                wakeup();
            }
        });
    }

    private void onSuccess(TopicPartition tp, List<ProducerBatch> batches, ProduceResponse answer) {
        consecutiveFailures.remove(tp);
        backoffUntil.remove(tp);
        long offset = answer.getBaseOffset();
        for (ProducerBatch b : batches) {
            accumulator.complete(b, offset, answer.getLogAppendTimeMs());
            if (offset >= 0) {
                offset += b.recordCount();
            }
        }
    }

    private void onFailure(TopicPartition tp, List<ProducerBatch> batches, StrataException error) {
        ErrorCode reason = error.reason();
        if (reason == ErrorCode.DUPLICATE_SEQUENCE && idempotence != null) {
            // Written before, and the leader no longer knows where: a success without an offset (Kafka's rule).
            onSuccess(tp, batches, ProduceResponse.newBuilder().setBaseOffset(-1).setLogAppendTimeMs(-1).build());
            return;
        }
        int records = batches.stream().mapToInt(ProducerBatch::recordCount).sum();
        if (reason == ErrorCode.RECORD_TOO_LARGE && records > 1) {
            List<ProducerBatch> parts = new ArrayList<>();
            for (ProducerBatch b : batches) {
                List<ProducerBatch> split = b.splitPerRecord();
                accumulator.replaced(b, split);
                if (idempotence != null) {
                    idempotence.onBatchFailed(b); // its sequences are abandoned; the parts get new ones
                }
                parts.addAll(split);
            }
            accumulator.reenqueue(parts);
            return;
        }
        boolean retriable = error.retriable() || reason == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        if (retriable) {
            metadata.refresh(Set.of(tp.topic()));
        }
        long now = clock.millis();
        List<ProducerBatch> retry = new ArrayList<>();
        for (ProducerBatch b : batches) {
            b.lastError(error);
            if (retriable && b.attempts() <= config.retries() && now < b.deadlineMs() && !forceClose) {
                retry.add(b);
            } else {
                fail(b, IdempotenceManager.refused(b, error));
            }
        }
        if (!retry.isEmpty()) {
            int failures = consecutiveFailures.merge(tp, 1, Integer::sum);
            backoffUntil.put(tp, now + backoff.delayMs(failures));
            LOG.log(System.Logger.Level.DEBUG, "retrying " + retry.size() + " batches of " + tp + " after " + error.reasonName()
                    + ": " + error.getMessage());
            accumulator.reenqueue(retry);
        }
    }

    private StrataException expired(ProducerBatch b) {
        String msg = b.recordCount() + " record(s) for " + b.topicPartition() + " expired: "
                + ProducerConfig.DELIVERY_TIMEOUT_MS + "=" + config.deliveryTimeoutMs() + " ms passed since the batch was created";
        StrataException last = b.lastError();
        if (last != null) {
            return new StrataException(last.reason(), last.reasonName(), last.retriable(), last.statusCode().orElse(null),
                    msg + " (last error: " + last.getMessage() + ")", last);
        }
        return new StrataException(ErrorCode.REQUEST_TIMED_OUT, msg);
    }

    private void failEverything(StrataException error) {
        for (ProducerBatch b : accumulator.removeAll(tp -> true)) {
            fail(b, error);
        }
        inFlightCalls.values().forEach(call -> call.cancel(false));
    }
}
