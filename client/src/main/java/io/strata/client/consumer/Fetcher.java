package io.strata.client.consumer;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Address;
import io.strata.client.internal.ClusterSnapshot;
import io.strata.client.internal.Errors;
import io.strata.client.internal.GrpcCalls;
import io.strata.client.internal.LeaderCalls;
import io.strata.client.internal.MetadataCache;
import io.strata.client.internal.NodeThrottle;
import io.strata.proto.ByteStringViews;
import io.strata.proto.LeasedMessage;
import io.strata.proto.LeasedMessageMarshaller;
import io.strata.proto.ParseBufferPool;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchRequest;
import io.strata.proto.v1.FetchResponse;
import io.strata.proto.v1.StorageGrpc;
import io.strata.records.CorruptBatchException;
import io.strata.records.InvalidBatchException;
import io.strata.records.Record;
import io.strata.records.RecordBatches;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

/**
 * The consumer's fetch machinery: a FetchStream per assigned partition, opened at the partition's
 * position on its leader, which pushes the partition's batches as they come; the consumer asks
 * for the next answer when the partition's buffer is empty (one at a time: memory stays bounded,
 * and the next answer is usually in the transport already). Answers are queued by gRPC threads and
 * applied by the consumer's thread in {@link #awaitAnswers}. The records of an answer below the
 * position (the first batch may start before it) are skipped. A seek, reset, pause or revocation
 * closes the stream; so does a leader change in the metadata (the leader also ends it, with
 * NOT_LEADER, FENCED_LEADER_EPOCH or UNKNOWN_TOPIC_OR_PARTITION, once it no longer leads the
 * partition at the stream's epoch or no longer hosts it). A node that does not serve
 * FetchStream (an older version) gets one long-poll unary Fetch per partition at a time instead.
 *
 * <p>Why streams: a unary fetch per answer cost each side a call's set-up (HTTP/2 stream,
 * headers, executor hand-offs) per MiB and waited a round trip between answers; over one stream
 * the same reads took about a third less server CPU (docs/BENCHMARKS.md).
 *
 * <p>Failures: {@code OFFSET_OUT_OF_RANGE} resets the position by {@code auto.offset.reset} (or
 * fails {@code poll} when it is {@code none}); retriable reasons, unreachable leaders and
 * {@code UNKNOWN_TOPIC_OR_PARTITION} from a storage node refresh metadata and retry the partition
 * after a backoff; other failures fail {@code poll}.
 *
 * <p>Quotas: an answer with {@code throttle_time_ms} T stops fetches to its node until T has
 * passed ({@link NodeThrottle}, Kafka's KIP-219); the other nodes are fetched from as before.
 *
 * <p>Memory: large answers are parsed into reused arrays ({@link ParseBufferPool}) that their
 * batches alias; an answer's array goes back once its records are decoded (they copy their keys
 * and values), or when the answer is dropped.
 */
final class Fetcher {

    /**
     * A fetch answer (or failure), tagged with the partition generation it was sent for and the
     * stream it came from (null for a unary fetch). From a stream, no response and no failure
     * means the stream ended without an error.
     */
    private record Answer(TopicPartition tp, int generation, PartitionStream stream, LeasedMessage<FetchResponse> response,
                          Throwable failure) {

        /** Gives the answer's parse buffer back; its response must not be read afterwards. */
        void release() {
            if (response != null) {
                response.close();
            }
        }
    }

    /** Wakes a blocked {@link #awaitAnswers} without an answer. */
    private static final Answer WAKEUP = new Answer(null, -1, null, null, null);
    /** Makes a blocked {@link #awaitAnswers} return normally: the consumer has other work (a new assignment). */
    private static final Answer NUDGE = new Answer(null, -2, null, null, null);

    /**
     * A fetched record and its partition.
     *
     * @param tp     the partition
     * @param record the decoded record
     */
    record Fetched(TopicPartition tp, Record record) {
    }

    /** Answers from this size on are parsed into pooled arrays; a quarter of G1's smallest humongous size. */
    private static final int POOLED_ANSWER_MIN_BYTES = 128 * 1024;
    /** Room for an answer's fields besides its batches, and a first batch above the byte limit. */
    private static final int ANSWER_OVERHEAD_BYTES = 64 * 1024;
    private static final int MAX_FREE_PARSE_BUFFERS = 8;

    private final ConsumerConfig config;
    private final MetadataCache metadata;
    private final LeaderCalls leaders;
    private final Clock clock;
    private final NodeThrottle throttle;
    /** Fetch with answers parsed into reused arrays (no copy of the batches out of the received bytes). */
    private final MethodDescriptor<FetchRequest, LeasedMessage<FetchResponse>> fetchMethod;
    /** FetchStream, answers parsed the same way. */
    private final MethodDescriptor<FetchRequest, LeasedMessage<FetchResponse>> fetchStreamMethod;
    /** Nodes that answered FetchStream with UNIMPLEMENTED (older versions): fetched from with unary calls. */
    private final Set<Address> unaryOnly = ConcurrentHashMap.newKeySet();
    private final Map<TopicPartition, PartitionFetchState> states = new LinkedHashMap<>();
    private final LinkedBlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
    private final AtomicBoolean nudged = new AtomicBoolean();
    private int nextDrainIndex;
    private long lastMetadataRequestMs = Long.MIN_VALUE / 2;
    /** When the earliest throttle that held back a fetch in {@link #sendFetches} ends; MAX_VALUE = none. */
    private long throttleEndsMs = Long.MAX_VALUE;

    Fetcher(ConsumerConfig config, MetadataCache metadata, LeaderCalls leaders, Clock clock) {
        this.config = config;
        this.metadata = metadata;
        this.leaders = leaders;
        this.clock = clock;
        this.throttle = new NodeThrottle(clock);
        // An array is held per answer in flight or queued (at most one per partition); a few free ones are kept.
        int answerBytes = config.maxPartitionFetchBytes() + ANSWER_OVERHEAD_BYTES;
        ParseBufferPool parseBuffers = new ParseBufferPool(POOLED_ANSWER_MIN_BYTES, answerBytes, MAX_FREE_PARSE_BUFFERS);
        this.fetchMethod = LeasedMessageMarshaller.forMethod(StorageGrpc.getFetchMethod(),
                FetchResponse.getDefaultInstance(), parseBuffers);
        this.fetchStreamMethod = LeasedMessageMarshaller.forMethod(StorageGrpc.getFetchStreamMethod(),
                FetchResponse.getDefaultInstance(), parseBuffers);
    }

    /**
     * Replaces the assignment; partitions kept keep their position and buffer.
     *
     * @param awaitCommitted whether new partitions start from the group's committed offsets
     */
    void assign(Collection<TopicPartition> partitions, boolean awaitCommitted) {
        Set<TopicPartition> wanted = new LinkedHashSet<>(partitions);
        List<TopicPartition> gone = new ArrayList<>();
        for (TopicPartition tp : states.keySet()) {
            if (!wanted.contains(tp)) {
                gone.add(tp);
            }
        }
        remove(gone);
        add(wanted, awaitCommitted);
    }

    /** Adds partitions (those already assigned are left as they are). */
    void add(Collection<TopicPartition> partitions, boolean awaitCommitted) {
        for (TopicPartition tp : partitions) {
            states.computeIfAbsent(tp, p -> {
                PartitionFetchState s = new PartitionFetchState(p);
                s.awaitingCommitted = awaitCommitted;
                return s;
            });
        }
    }

    /** Drops partitions: their buffered records and fetches in flight are discarded. */
    void remove(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            PartitionFetchState s = states.remove(tp);
            if (s != null) {
                s.discard();
            }
        }
    }

    /** The partition's state, or {@code null} when it is not assigned. */
    PartitionFetchState stateOrNull(TopicPartition tp) {
        return states.get(tp);
    }

    Set<TopicPartition> assignment() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(states.keySet()));
    }

    /** @throws IllegalStateException when {@code tp} is not assigned */
    PartitionFetchState state(TopicPartition tp) {
        PartitionFetchState s = states.get(tp);
        if (s == null) {
            throw new IllegalStateException("partition " + tp + " is not assigned to this consumer");
        }
        return s;
    }

    Collection<PartitionFetchState> states() {
        return states.values();
    }

    /** Sends a fetch for every assigned partition that has a position, no buffered records and none in flight. */
    void sendFetches() {
        long now = clock.millis();
        ClusterSnapshot snapshot = metadata.snapshot();
        boolean needMetadata = false;
        throttleEndsMs = Long.MAX_VALUE;
        for (PartitionFetchState s : states.values()) {
            if (s.stream != null) {
                // Also while an answer is awaited: a leader cut off from the cluster may never send it.
                Optional<ClusterSnapshot.Leader> current = snapshot.leader(s.tp);
                if (current.isPresent() && !s.stream.readsFrom(current.get())) {
                    s.closeStream("the partition's leader changed");
                }
            }
            if (!s.fetchable(now)) {
                continue;
            }
            if (snapshot.unknownTopics().contains(s.tp.topic())) {
                throw new StrataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                        "topic '" + s.tp.topic() + "' does not exist");
            }
            Optional<ClusterSnapshot.Leader> leader = snapshot.leader(s.tp);
            if (leader.isEmpty()) {
                needMetadata = true;
                continue;
            }
            long throttled = throttle.delayMs(leader.get().address());
            if (throttled > 0) {
                throttleEndsMs = Math.min(throttleEndsMs, now + throttled);
                continue;
            }
            send(s, leader.get());
        }
        boolean stale = now - snapshot.updatedAtMs() >= config.metadataMaxAgeMs();
        if ((needMetadata || stale) && now - lastMetadataRequestMs >= config.backoff().initialMs()) {
            lastMetadataRequestMs = now;
            Set<String> topics = new LinkedHashSet<>();
            states.keySet().forEach(tp -> topics.add(tp.topic()));
            metadata.refresh(topics);
        }
    }

    /** Asks the partition's stream for its next answer, opening the stream first; unary to older nodes. */
    private void send(PartitionFetchState s, ClusterSnapshot.Leader leader) {
        if (s.stream == null && !unaryOnly.contains(leader.address())) {
            s.stream = open(s, leader);
        }
        if (s.stream != null) {
            s.awaitingStream = true;
            s.stream.requestNext();
        } else {
            sendUnary(s, leader);
        }
    }

    private PartitionStream open(PartitionFetchState s, ClusterSnapshot.Leader leader) {
        Address node = leader.address();
        // No deadline: the stream lives as long as the assignment; a silent node is noticed by keepalive pings.
        ClientCall<FetchRequest, LeasedMessage<FetchResponse>> call = leaders.channel(leader)
                .newCall(fetchStreamMethod, CallOptions.DEFAULT);
        PartitionStream stream = new PartitionStream(call, node, leader.epoch());
        TopicPartition tp = s.tp;
        int generation = s.generation;
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(LeasedMessage<FetchResponse> message) {
                throttle.throttle(node, message.message().getThrottleTimeMs());
                answers.add(new Answer(tp, generation, stream, message, null));
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                StrataException failure = null;
                if (status.getCode() == Status.Code.UNIMPLEMENTED) {
                    unaryOnly.add(node);
                } else if (!status.isOk() && status.getCode() != Status.Code.CANCELLED) {
                    failure = Errors.toStrataException(status.asRuntimeException(trailers), node.toString());
                }
                answers.add(new Answer(tp, generation, stream, null, failure));
            }
        }, new Metadata());
        call.sendMessage(request(s, leader));
        call.halfClose();
        return stream;
    }

    private FetchRequest request(PartitionFetchState s, ClusterSnapshot.Leader leader) {
        return FetchRequest.newBuilder()
                .setTopic(s.tp.topic())
                .setPartition(s.tp.partition())
                .setOffset(s.position)
                .setMaxBytes(config.maxPartitionFetchBytes())
                .setMinBytes(config.fetchMinBytes())
                .setMaxWaitMs(config.fetchMaxWaitMs())
                .setLeaderEpoch(leader.epoch())
                .setClientId(config.clientId())
                .build();
    }

    private void sendUnary(PartitionFetchState s, ClusterSnapshot.Leader leader) {
        FetchRequest request = request(s, leader);
        int generation = s.generation;
        TopicPartition tp = s.tp;
        Address node = leader.address();
        StorageGrpc.StorageStub stub = leaders.stub(leader, (long) config.fetchMaxWaitMs() + config.requestTimeoutMs());
        s.inFlight = GrpcCalls.unary(request, (q, observer) -> ClientCalls.asyncUnaryCall(
                stub.getChannel().newCall(fetchMethod, stub.getCallOptions()), q, observer));
        s.inFlight.whenComplete((response, failure) -> {
            if (response != null) {
                // at arrival, not when the consumer gets to it
                throttle.throttle(node, response.message().getThrottleTimeMs());
            }
            answers.add(new Answer(tp, generation, null, response,
                    failure == null ? null : Errors.toStrataException(failure, node.toString())));
        });
    }

    /**
     * How long the consumer may wait for answers before it must look again: partitions without a
     * fetch in flight (backing off, throttled, or waiting for a leader) need a new attempt soon.
     */
    long maxWaitMs(long nowMs) {
        long wait = throttleEndsMs == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(1, throttleEndsMs - nowMs);
        for (PartitionFetchState s : states.values()) {
            if (s.position != null && !s.paused && s.buffered.isEmpty() && !s.awaitingAnswer()) {
                long until = s.backoffUntilMs > nowMs ? s.backoffUntilMs - nowMs : config.backoff().initialMs();
                wait = Math.min(wait, Math.max(1, until));
            }
        }
        return wait;
    }

    /** Makes a blocked {@link #awaitAnswers} return; callable from any thread. */
    void wakeup() {
        answers.add(WAKEUP);
    }

    /**
     * Makes a blocked {@link #awaitAnswers} return as if an answer had come (not a wakeup), so the
     * consumer looks at other work; callable from any thread. Coalesced until the next wait.
     */
    void nudge() {
        if (nudged.compareAndSet(false, true)) {
            answers.add(NUDGE);
        }
    }

    /**
     * Waits up to {@code timeoutMs} for an answer, then applies every queued answer.
     *
     * @return false when woken by {@link #wakeup()}
     * @throws StrataException for a failure that must reach the application
     */
    boolean awaitAnswers(long timeoutMs) {
        List<Answer> batch = new ArrayList<>();
        try {
            Answer first = timeoutMs <= 0 ? answers.poll() : answers.poll(timeoutMs, TimeUnit.MILLISECONDS);
            if (first != null) {
                batch.add(first);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "INTERRUPTED", false, null, "interrupted", e);
        }
        answers.drainTo(batch);
        boolean woken = false;
        StrataException fatal = null;
        for (Answer a : batch) {
            if (a == WAKEUP) {
                woken = true;
                continue;
            }
            if (a == NUDGE) {
                nudged.set(false);
                continue;
            }
            try {
                apply(a);
            } catch (StrataException e) {
                if (fatal == null) {
                    fatal = e;
                }
            } finally {
                a.release();
            }
        }
        if (fatal != null) {
            throw fatal;
        }
        return !woken;
    }

    private void apply(Answer a) {
        PartitionFetchState s = states.get(a.tp());
        if (s == null || s.generation != a.generation()) {
            return; // unassigned or sought since the fetch was sent
        }
        if (a.stream() != null) {
            if (s.stream != a.stream()) {
                return; // a stream closed since (its leader changed)
            }
            if (a.response() == null) { // the stream ended: reopened by the next sendFetches (after a backoff on failure)
                s.stream = null;
                s.awaitingStream = false;
                if (a.failure() != null) {
                    onFailure(s, (StrataException) a.failure());
                }
                return;
            }
            s.awaitingStream = false;
        } else {
            s.inFlight = null;
            if (a.failure() != null) {
                onFailure(s, (StrataException) a.failure());
                return;
            }
        }
        FetchResponse response = a.response().message();
        s.highWatermark = response.getHighWatermark();
        long position = s.position;
        int before = s.buffered.size();
        try {
            // Straight into the partition's buffer; a batch that fails its check takes back the whole answer.
            RecordBatches.forEachRecord(ByteStringViews.view(response.getBatches()), r -> {
                if (r.offset() >= position) {
                    s.buffered.add(r);
                }
            });
        } catch (CorruptBatchException e) {
            dropNewest(s, before);
            onFailure(s, new StrataException(ErrorCode.CORRUPT_BATCH, "fetched a corrupt batch of " + s.tp + ": "
                    + e.getMessage(), e));
            return;
        } catch (InvalidBatchException e) {
            dropNewest(s, before);
            throw new StrataException(ErrorCode.INVALID_BATCH, "fetched an invalid batch of " + s.tp + ": "
                    + e.getMessage(), e);
        }
        s.bufferedNextOffset = response.getNextOffset();
        if (s.buffered.isEmpty() && response.getNextOffset() > position) {
            s.position = response.getNextOffset();
        }
        s.failures = 0;
    }

    private static void dropNewest(PartitionFetchState s, int keep) {
        while (s.buffered.size() > keep) {
            s.buffered.pollLast();
        }
    }

    private void onFailure(PartitionFetchState s, StrataException error) {
        ErrorCode reason = error.reason();
        if (reason == ErrorCode.OFFSET_OUT_OF_RANGE) {
            if (config.autoOffsetReset() == OffsetResetStrategy.NONE) {
                throw error;
            }
            s.requestReset(config.autoOffsetReset());
            return;
        }
        if (error.retriable() || reason == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
            s.failures++;
            s.backoffUntilMs = clock.millis() + config.backoff().delayMs(s.failures);
            metadata.refresh(Set.of(s.tp.topic()));
            return;
        }
        throw error;
    }

    /**
     * Returns up to {@code max} buffered records, converted by {@code convert}; positions move past
     * the returned records. Partitions are taken in turn, each until its buffer is empty (Kafka's
     * "next in line" fetch): the partition the last call stopped in comes first. Emptying one
     * buffer at a time staggers the partitions' next fetches, so they are in flight while the
     * others are still read; taking a few records of each in turn would empty every buffer at
     * once and leave the consumer waiting for all the fetches together.
     *
     * <p>When {@code convert} fails, the records converted so far are returned and the failing
     * one stays first in line (the failure is thrown when it is the first record of a call).
     */
    <T> List<T> drain(int max, BiFunction<TopicPartition, Record, T> convert) {
        if (states.isEmpty()) {
            return new ArrayList<>();
        }
        List<PartitionFetchState> all = new ArrayList<>(states.values());
        int available = 0;
        for (PartitionFetchState s : all) {
            available += s.paused ? 0 : s.buffered.size();
        }
        List<T> out = new ArrayList<>(Math.min(max, available)); // sized once: a poll of 500 grew it 11 times
        int start = Math.floorMod(nextDrainIndex, all.size());
        for (int i = 0; i < all.size() && out.size() < max; i++) {
            int index = (start + i) % all.size();
            nextDrainIndex = index; // the next call starts here while this buffer lasts
            PartitionFetchState s = all.get(index);
            while (!s.paused && !s.buffered.isEmpty() && out.size() < max) {
                Record r = s.buffered.peekFirst();
                T converted;
                try {
                    converted = convert.apply(s.tp, r);
                } catch (RuntimeException e) {
                    if (out.isEmpty()) {
                        throw e;
                    }
                    return out;
                }
                s.buffered.pollFirst();
                s.advanceAfter(r);
                out.add(converted);
            }
            if (s.buffered.isEmpty() || s.paused) {
                nextDrainIndex = index + 1;
            }
        }
        return out;
    }

    /** Whether any partition that is not paused has buffered records. */
    boolean hasBuffered() {
        for (PartitionFetchState s : states.values()) {
            if (!s.paused && !s.buffered.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** Cancels every fetch in flight. */
    void close() {
        states.values().forEach(PartitionFetchState::discard);
    }
}
