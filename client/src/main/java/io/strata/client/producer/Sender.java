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
import io.strata.client.internal.MetadataCache;
import io.strata.client.internal.NodeThrottle;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The producer's I/O loop, run by one thread: expires batches past {@code delivery.timeout.ms}
 * and requests past {@code request.timeout.ms}, sends the ready partitions' batches to their
 * leaders, and handles the answers (on gRPC threads).
 *
 * <p><b>Pipelining.</b> Requests go on one ordered {@link ProduceStreams stream} per leader node,
 * which appends them in the order sent, so a partition may have up to
 * {@code max.in.flight.requests.per.connection} requests in flight (one to a node without
 * streams), each of up to {@code max.request.size} bytes (one batch always goes, however large).
 * With idempotence the batches in flight per partition stay within
 * {@link #MAX_IDEMPOTENT_BATCHES_IN_FLIGHT}, the leader's duplicate window, and a partition
 * pipelines only once the leader has acknowledged a request under its current producer id
 * ({@link PartitionInFlight#confirmed}): a leader takes the first batch of a producer it does not
 * know at any sequence, so a gap behind a failed first request would not be refused.
 *
 * <p><b>Retries keep the order</b> ({@link PartitionInFlight}): a failed request's batches are
 * held back, nothing new of the partition is sent until every request in flight has answered,
 * then the held batches go back to the front of the partition's queue in their send order and
 * are resent one request at a time (Kafka does the same: a resend goes alone), each exactly as the
 * request it first went in ({@link RecordAccumulator#drain}). So batches of a partition reach the
 * log in send order. Retried, after a metadata refresh and a backoff, until {@code retries} or
 * the batch's delivery deadline runs out: every reason {@link io.strata.proto.StrataError#retriable}
 * names, timeouts, broken streams, and {@code UNKNOWN_TOPIC_OR_PARTITION} from a storage node (it
 * may not have opened a new partition yet). A topic that coordination no longer knows fails its
 * queued batches at once. A request refused as {@code RECORD_TOO_LARGE} with more than one
 * record is split into one request per record, so only the record that is too large fails.
 * Without idempotence a request that timed out may have been written while the next one
 * succeeded, so a resend can land after later records (Kafka's documented behaviour with more than
 * one request in flight) or twice (at-least-once).
 *
 * <p><b>Idempotence</b> ({@code enable.idempotence}, the default; {@link IdempotenceManager}):
 * each batch gets its partition's next sequence when it is drained, in order, and keeps it for
 * every resend, so a leader that already wrote it answers with the original offsets.
 * {@code DUPLICATE_SEQUENCE} counts as success (offset -1, as in Kafka). An
 * {@code OUT_OF_ORDER_SEQUENCE} answer is Kafka's {@code TransactionManager} rule: a consequence of
 * an earlier batch that is still unresolved (in flight or held) — the batch is held and resent
 * after it; the echo of an earlier batch that failed for good, whose id the partition therefore
 * retired — the leader never wrote it, so it is renumbered under the partition's next id; else
 * (everything before it succeeded) a real gap: the batch fails. {@code UNKNOWN_PRODUCER_ID} and
 * {@code INVALID_PRODUCER_EPOCH} fail the batch too, naming its id and sequences. A batch that
 * fails for good after it carried a sequence retires its partition's id (no sequence is skipped
 * silently: later batches go out under another id, from 0).
 *
 * <p>Threading: the loop drains, seals and sends on its own thread; answers arrive on gRPC threads.
 * {@link #lock} guards the partitions' in-flight state and every decision taken on an answer;
 * records are completed (user callbacks run) after it is released.
 */
final class Sender implements Runnable {

    private static final System.Logger LOG = System.getLogger(Sender.class.getName());
    /** Longest sleep of the loop when nothing is due, so stale metadata gets noticed. */
    private static final long MAX_IDLE_MS = 1_000;
    /**
     * With idempotence, how far (in batches) the newest batch drained of a partition may be ahead
     * of its oldest batch in flight: the leader remembers a producer's last 64 batches per
     * partition, so a resend of any batch in flight is recognised as a duplicate (the reason Kafka
     * bounds max.in.flight.requests.per.connection by 5).
     */
    static final int MAX_IDEMPOTENT_BATCHES_IN_FLIGHT = 64;
    /**
     * A partition whose request has been unanswered this long, or whose batches wait for a
     * resend, is not moving: while one is, the producer's queue may use the whole buffer
     * ({@link QueueDelayLimiter}), so that the batches piling up for it do not block sends to
     * partitions whose leaders answer.
     */
    static final long STALLED_AFTER_MS = 1_000;
    /**
     * Keepalive pings of the producer's channels (grpc-java's shortest time): a request to a node
     * that froze fails after about 15 s of silence instead of at its {@code request.timeout.ms}.
     */
    static final ChannelPool.KeepAlive KEEP_ALIVE = ChannelPool.KeepAlive.SHORTEST;

    private final RecordAccumulator accumulator;
    private final MetadataCache metadata;
    private final ProducerConfig config;
    private final Clock clock;
    private final Backoff backoff;
    /** Quotas: a node that answered with a throttle time gets no request until it has passed (KIP-219). */
    private final NodeThrottle nodeThrottle;
    /** Null when the producer is not idempotent. */
    private final IdempotenceManager idempotence;
    private final RecordAccumulator.Sealer sealer;
    private final ProduceStreams streams;
    private final Object lock = new Object();
    private final Map<TopicPartition, PartitionInFlight> partitions = new HashMap<>(); // guarded by lock
    private final Map<TopicPartition, Long> backoffUntil = new HashMap<>(); // guarded by lock
    private final Map<TopicPartition, Integer> consecutiveFailures = new HashMap<>(); // guarded by lock
    private long nextRequestId; // guarded by lock
    private final Object signal = new Object();
    /**
     * A wake-up is pending: set under {@code signal}, cleared by the sender under it before it drains.
     * Volatile so that {@link #wakeup()} can skip the monitor while one is pending: every
     * application thread that finishes a batch calls it, and on a busy ingestion instance the
     * contended monitor was 16 % of the CPU samples (JFR). Skipping is safe: the pending wake-up
     * is consumed after the caller's append, so the drain that follows sees the append.
     */
    private volatile boolean woken;
    private volatile boolean running = true;
    private volatile boolean forceClose;
    private volatile StrataException fatal;
    private long lastMetadataRequestMs = Long.MIN_VALUE / 2;

    Sender(RecordAccumulator accumulator, MetadataCache metadata, ChannelPool channels, ProducerConfig config,
           Clock clock) {
        this.accumulator = accumulator;
        this.metadata = metadata;
        this.config = config;
        this.clock = clock;
        this.nodeThrottle = new NodeThrottle(clock);
        this.backoff = config.backoff();
        this.idempotence = config.idempotence() ? new IdempotenceManager(
                new CoordinationCalls(config.bootstrapServers(), channels, config.requestTimeoutMs()), backoff, clock,
                this::wakeup) : null;
        this.sealer = idempotence != null ? idempotence::seal : RecordAccumulator.NOTHING_TO_STAMP;
        this.streams = new ProduceStreams(channels, clock, config.requestTimeoutMs());
        metadata.addListener(this::wakeup);
    }

    @Override
    public void run() {
        try {
            while (running) {
                runOnce();
            }
            while (!forceClose && (accumulator.hasQueued() || busy())) {
                runOnce();
            }
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "producer sender thread failed", e);
            fatal = new StrataException(ErrorCode.INTERNAL_ERROR, "INTERNAL_ERROR", false, null,
                    "the producer's sender thread failed: " + e, e);
            forceClose = true; // answers still to come fail their batches instead of queueing them again
            accumulator.beginClose();
            failEverything(fatal);
            throw e;
        }
        if (forceClose) {
            failEverything(new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "PRODUCER_CLOSED", false, null,
                    "the producer was closed before the record was sent", null));
        } else {
            streams.close();
        }
    }

    /** The failure that stopped the sender thread, or {@code null} while it runs. */
    StrataException fatal() {
        return fatal;
    }

    /** Wakes the loop (new or full batch, answer, metadata, flush, close). */
    void wakeup() {
        if (woken) {
            return;
        }
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

    /** Stops now: queued batches fail, requests in flight are cancelled. */
    void forceClose() {
        forceClose = true;
        running = false;
        wakeup();
    }

    void runOnce() {
        long now = clock.millis();
        for (ProducerBatch b : accumulator.expire(now, Set.of())) {
            failNow(b, expired(b));
        }
        failUnknownTopics();
        failWaitingForProducerId();
        long nextDelay = Math.min(MAX_IDLE_MS, streams.expire(now));

        Set<TopicPartition> muted = new HashSet<>();
        boolean stalled = false; // a partition is not moving: the queue limit is suspended
        synchronized (lock) {
            for (var e : partitions.entrySet()) {
                PartitionInFlight p = e.getValue();
                if (!p.mayStart(config.maxInFlightRequestsPerConnection(), maxBatchesInFlight())) {
                    muted.add(e.getKey());
                }
                stalled |= p.stalled(now, STALLED_AFTER_MS);
            }
            for (var e : backoffUntil.entrySet()) {
                if (e.getValue() > now) {
                    muted.add(e.getKey());
                    nextDelay = Math.min(nextDelay, e.getValue() - now);
                    stalled = true;
                }
            }
        }
        RecordAccumulator.ReadyCheck check = accumulator.ready(now, muted);
        nextDelay = Math.min(nextDelay, check.nextCheckDelayMs());
        ClusterSnapshot snapshot = metadata.snapshot();
        boolean needMetadata = false;
        for (TopicPartition tp : check.ready()) {
            Optional<ClusterSnapshot.Leader> leader = snapshot.leader(tp);
            if (leader.isEmpty()) {
                needMetadata = true;
                stalled = true;
                continue;
            }
            long throttled = nodeThrottle.delayMs(leader.get().address());
            if (throttled > 0) {
                nextDelay = Math.min(nextDelay, throttled);
                continue;
            }
            sendReady(tp, leader.get(), now);
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
        nextDelay = Math.min(nextDelay, accumulator.tickQueueLimit(now, stalled));
        if (forceClose) {
            return;
        }
        awaitWakeup(nextDelay);
    }

    private int maxBatchesInFlight() {
        return idempotence != null ? MAX_IDEMPOTENT_BATCHES_IN_FLIGHT : Integer.MAX_VALUE;
    }

    /** Sends requests of a ready partition while it may have more in flight and has sendable batches. */
    private void sendReady(TopicPartition tp, ClusterSnapshot.Leader leader, long now) {
        int pipeline = streams.pipelines(leader.address()) ? config.maxInFlightRequestsPerConnection() : 1;
        while (true) {
            PartitionInFlight.Request request;
            synchronized (lock) {
                PartitionInFlight p = partitions.computeIfAbsent(tp, PartitionInFlight::new);
                int maxRequests = idempotence == null || p.confirmed(idempotence.boundId(tp), now) ? pipeline : 1;
                if (!p.mayStart(maxRequests, maxBatchesInFlight()) || backoffUntil.getOrDefault(tp, 0L) > now) {
                    return;
                }
                // Drained, sealed and registered under the lock: an answer arriving meanwhile sees
                // this request in flight, and its sequences follow those of every request before it.
                List<ProducerBatch> batches = accumulator.drain(tp, now, config.maxRequestSize(),
                        p.batchAllowance(maxBatchesInFlight()), p.nothingInFlight(), sealer);
                if (batches.isEmpty()) {
                    return;
                }
                request = p.start(nextRequestId++, batches, now);
            }
            send(tp, leader, request);
            if (request.resend()) {
                return;
            }
        }
    }

    private boolean busy() {
        synchronized (lock) {
            return partitions.values().stream().anyMatch(p -> !p.idle());
        }
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
        List<ProducerBatch> gone;
        synchronized (lock) {
            gone = accumulator.removeAll(tp -> unknown.contains(tp.topic())
                    && (!partitions.containsKey(tp) || partitions.get(tp).idle()));
        }
        for (ProducerBatch b : gone) {
            failNow(b, new StrataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
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
                failNow(b, failure);
            }
        }
    }

    /** Fails a batch for good, from the loop's thread. */
    private void failNow(ProducerBatch batch, StrataException error) {
        List<Runnable> after = new ArrayList<>();
        synchronized (lock) {
            failForGood(batch, error, after);
        }
        after.forEach(Runnable::run);
    }

    /**
     * Under the lock: fails a batch for good — an idempotent partition then retires the id the
     * batch was numbered under (see {@link IdempotenceManager}); its records fail in {@code after}.
     */
    private void failForGood(ProducerBatch batch, StrataException error, List<Runnable> after) {
        if (idempotence != null) {
            idempotence.onBatchFailed(batch);
        }
        after.add(() -> accumulator.fail(batch, error));
    }

    private void send(TopicPartition tp, ClusterSnapshot.Leader leader, PartitionInFlight.Request request) {
        ByteString payload = ByteString.EMPTY;
        for (ProducerBatch b : request.batches()) {
            payload = payload.concat(UnsafeByteOperations.unsafeWrap(b.close()));
            b.recordAttempt();
        }
        ProduceRequest produce = ProduceRequest.newBuilder()
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .setAcks(config.acks())
                .setTimeoutMs(config.requestTimeoutMs())
                .setLeaderEpoch(leader.epoch())
                .setBatches(payload)
                .setClientId(config.clientId())
                .build();
        CompletableFuture<ProduceResponse> call;
        try {
            call = streams.send(leader.address(), produce);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        if (config.acks() == Acks.ACKS_NONE) {
            request.batches().forEach(b -> b.complete(-1, -1));
        }
        call.whenComplete((answer, failure) -> onAnswer(tp, leader, request, answer, failure));
    }

    private void onAnswer(TopicPartition tp, ClusterSnapshot.Leader leader, PartitionInFlight.Request request,
                          ProduceResponse answer, Throwable failure) {
        if (answer != null) {
            nodeThrottle.throttle(leader.address(), answer.getThrottleTimeMs());
        }
        List<Runnable> after = new ArrayList<>();
        try {
            synchronized (lock) {
                PartitionInFlight p = partitions.get(tp);
                p.finish(request);
                try {
                    if (config.acks() == Acks.ACKS_NONE) {
                        if (failure != null) {
                            LOG.log(System.Logger.Level.DEBUG, "acks=0 produce to " + tp + " failed: " + failure);
                        }
                        after.add(() -> request.batches().forEach(accumulator::deallocate));
                    } else if (failure == null) {
                        onSuccess(tp, request.batches(), answer, after);
                    } else {
                        onFailure(tp, p, request, Errors.toStrataException(failure, leader.address().toString()), after);
                    }
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "handling the answer for " + tp + " failed", e);
                    StrataException error = new StrataException(ErrorCode.INTERNAL_ERROR, "INTERNAL_ERROR", false, null,
                            "handling the answer failed: " + e, e);
                    request.batches().forEach(b -> failForGood(b, error, after));
                }
                resendHeld(tp, p, after);
            }
        } finally {
            after.forEach(Runnable::run);
            wakeup();
        }
    }

    /** Under the lock. */
    private void onSuccess(TopicPartition tp, List<ProducerBatch> batches, ProduceResponse answer, List<Runnable> after) {
        consecutiveFailures.remove(tp);
        partitions.get(tp).confirm(batches.getFirst().producerIdAndEpoch(), clock.millis());
        after.add(() -> {
            long offset = answer.getBaseOffset();
            for (ProducerBatch b : batches) {
                accumulator.complete(b, offset, answer.getLogAppendTimeMs());
                if (offset >= 0) {
                    offset += b.recordCount();
                }
            }
        });
    }

    /** Under the lock: holds the request's batches for a resend, or fails them. */
    private void onFailure(TopicPartition tp, PartitionInFlight p, PartitionInFlight.Request request,
                           StrataException error, List<Runnable> after) {
        List<ProducerBatch> batches = request.batches();
        ErrorCode reason = error.reason();
        if (reason == ErrorCode.DUPLICATE_SEQUENCE && idempotence != null) {
            // Written before, and the leader no longer knows where: a success without an offset (Kafka's rule).
            onSuccess(tp, batches, ProduceResponse.newBuilder().setBaseOffset(-1).setLogAppendTimeMs(-1).build(), after);
            return;
        }
        int records = batches.stream().mapToInt(ProducerBatch::recordCount).sum();
        if (reason == ErrorCode.RECORD_TOO_LARGE && records > 1) {
            for (ProducerBatch b : batches) {
                List<ProducerBatch> split = b.splitPerRecord();
                accumulator.replaced(b, split);
                if (idempotence != null) {
                    idempotence.onBatchFailed(b); // its sequences are abandoned; the parts get new ones
                }
                p.hold(split);
            }
            return;
        }
        boolean retriable = error.retriable() || reason == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        if (reason == ErrorCode.OUT_OF_ORDER_SEQUENCE && idempotence != null) {
            ProducerIdAndEpoch stamp = batches.getFirst().producerIdAndEpoch();
            if (stamp != null && !idempotence.isCurrent(tp, stamp)) {
                // Behind a batch that failed for good, so never written (the leader's window covers
                // everything in flight): numbered again under the partition's next id, in order.
                for (ProducerBatch b : batches) {
                    b.lastError(error);
                    b.resetProducerState();
                }
                p.hold(batches);
                return;
            }
            retriable = p.hasEarlierUnresolved(request); // it follows a batch that is being retried
        }
        if (!retriable) {
            for (ProducerBatch b : batches) {
                b.lastError(error);
                failForGood(b, IdempotenceManager.refused(b, error), after);
            }
            return;
        }
        if (reason != ErrorCode.OUT_OF_ORDER_SEQUENCE) {
            metadata.refresh(Set.of(tp.topic()));
        }
        for (ProducerBatch b : batches) {
            b.lastError(error);
        }
        p.hold(batches);
        LOG.log(System.Logger.Level.DEBUG, "resending " + batches.size() + " batches of " + tp + " after "
                + error.reasonName() + ": " + error.getMessage());
    }

    /**
     * Under the lock: once nothing of the partition is in flight, puts its held batches back at
     * the front of its queue in send order — or fails those out of retries or past their
     * delivery deadline — and backs the partition off.
     */
    private void resendHeld(TopicPartition tp, PartitionInFlight p, List<Runnable> after) {
        List<ProducerBatch> held = p.takeHeld();
        if (held.isEmpty()) {
            return;
        }
        long now = clock.millis();
        List<ProducerBatch> retry = new ArrayList<>();
        for (ProducerBatch b : held) {
            if (b.attempts() <= config.retries() && now < b.deadlineMs() && !forceClose) {
                retry.add(b);
            } else {
                StrataException last = b.lastError() != null ? b.lastError() : expired(b);
                failForGood(b, IdempotenceManager.refused(b, last), after);
            }
        }
        if (!retry.isEmpty()) {
            int failures = consecutiveFailures.merge(tp, 1, Integer::sum);
            backoffUntil.put(tp, now + backoff.delayMs(failures));
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

    /** Fails every queued batch and cancels what is in flight (its answers then fail it: {@link #forceClose} is set). */
    private void failEverything(StrataException error) {
        for (ProducerBatch b : accumulator.removeAll(tp -> true)) {
            failNow(b, error);
        }
        streams.cancel();
    }
}
