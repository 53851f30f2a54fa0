package io.strata.client.consumer;

import io.strata.client.PartitionInfo;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.ActiveInstance;
import io.strata.client.internal.ChannelPool;
import io.strata.client.internal.ClientConfig;
import io.strata.client.internal.ClusterSnapshot;
import io.strata.client.internal.LeaderCalls;
import io.strata.client.internal.MetadataCache;
import io.strata.client.serialization.Deserializer;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.OffsetSpec;
import io.strata.proto.v1.TopicMetadata;
import io.strata.records.Record;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads records from partitions, long-polling each partition's leader. Two modes, as in Kafka,
 * which may not be mixed:
 *
 * <ul>
 *   <li><b>Group mode</b> ({@link #subscribe}, needs {@code group.id}): the consumer joins the
 *       group, the groups coordinator spreads the subscribed topics' partitions over the members,
 *       and positions start at the group's committed offsets (else {@code auto.offset.reset}).
 *       A background heartbeat thread keeps the membership; partition moves, the
 *       {@link ConsumerRebalanceListener} and commit callbacks happen on the application's thread
 *       inside {@link #poll}. Commits are manual by default ({@code enable.auto.commit=false}).</li>
 *   <li><b>Assign mode</b> ({@link #assign}): the application names the partitions and positions
 *       itself ({@link #seek}, {@link #seekToBeginning}, {@link #seekToEnd}, {@link #offsetsForTimes});
 *       with a {@code group.id} it may still commit and start from committed offsets (as long as
 *       the group has no live members).</li>
 * </ul>
 *
 * <pre>{@code
 * Map<String, Object> config = Map.of("bootstrap.servers", "127.0.0.1:9092", "group.id", "billing",
 *         "auto.offset.reset", "earliest");
 * try (var consumer = new StrataConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
 *     consumer.subscribe(List.of("orders"), new ConsumerRebalanceListener() {
 *         public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
 *             consumer.commitSync(); // hand over what was processed
 *         }
 *         public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
 *         }
 *     });
 *     while (running) {
 *         for (var r : consumer.poll(Duration.ofSeconds(1))) {
 *             process(r);
 *         }
 *         consumer.commitSync(); // at least once: commit after processing
 *     }
 * }
 * }</pre>
 *
 * <p>Delivery is at least once: records processed after the last commit are delivered again to
 * the next owner of their partition; {@link ProcessedOffsets} helps drop those duplicates.
 * Within a partition, records come in offset order; partitions interleave. Not thread-safe (as
 * Kafka's consumer): use it from one thread; only {@link #wakeup()} may be called from another.
 * Failures are thrown as {@link StrataException}.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class StrataConsumer<K, V> implements AutoCloseable {

    private final ConsumerConfig config;
    private final Deserializer<K> keyDeserializer;
    private final Deserializer<V> valueDeserializer;
    private final Clock clock;
    private final ChannelPool channels;
    private final MetadataCache metadata;
    private final LeaderCalls leaders;
    private final Fetcher fetcher;
    private final OffsetLookup offsets;
    /** Group membership and commits; {@code null} without {@code group.id}. */
    private final ConsumerCoordinator coordinator;
    private volatile boolean closed;

    /**
     * @param configs           the config (see {@link ConsumerConfig}); {@code bootstrap.servers} is required
     * @param keyDeserializer   deserializes keys
     * @param valueDeserializer deserializes values
     * @throws IllegalArgumentException for an invalid config value
     */
    public StrataConsumer(Map<String, ?> configs, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        this(new ConsumerConfig(configs), keyDeserializer, valueDeserializer, Clock.systemUTC());
    }

    /** As {@link #StrataConsumer(Map, Deserializer, Deserializer)}, from {@link Properties}. */
    public StrataConsumer(Properties configs, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        this(ClientConfig.toMap(configs), keyDeserializer, valueDeserializer);
    }

    StrataConsumer(ConsumerConfig config, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer,
                   Clock clock) {
        this.config = config;
        this.keyDeserializer = Objects.requireNonNull(keyDeserializer, "keyDeserializer");
        this.valueDeserializer = Objects.requireNonNull(valueDeserializer, "valueDeserializer");
        this.clock = clock;
        // Fetch streams have no deadline: keepalive pings notice a leader that froze.
        this.channels = new ChannelPool(config.clientId(), ChannelPool.KeepAlive.SHORTEST);
        this.metadata = new MetadataCache(config.bootstrapServers(), channels, config.requestTimeoutMs(),
                config.backoff(), clock);
        this.leaders = new LeaderCalls(metadata, channels, config.requestTimeoutMs(), config.backoff(), clock);
        this.fetcher = new Fetcher(config, metadata, leaders, clock);
        this.offsets = new OffsetLookup(leaders, config);
        this.coordinator = config.groupId().isEmpty() ? null : new ConsumerCoordinator(config, fetcher,
                new GrpcGroupTransport(new ActiveInstance(GrpcGroupTransport.ELECTION, ErrorCode.NOT_COORDINATOR,
                        config.bootstrapServers(), channels, config.requestTimeoutMs())), clock);
    }

    // ---- group mode ----

    /**
     * Joins the group ({@code group.id}) for these topics, or changes the subscription; an empty
     * collection is {@link #unsubscribe()}. Partitions arrive in later {@link #poll}s.
     *
     * @param listener told of partitions moving, on this thread inside {@code poll}; may be {@code null}
     * @throws IllegalStateException without {@code group.id}, or when partitions were {@link #assign assigned}
     */
    public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
        ensureOpen();
        for (String t : topics) {
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("topic names must not be empty or null");
            }
        }
        if (topics.isEmpty()) {
            unsubscribe();
            return;
        }
        groupForSubscribe().subscribe(MembershipManager.Subscription.of(topics), listener);
    }

    /** As {@link #subscribe(Collection, ConsumerRebalanceListener)} without a listener. */
    public void subscribe(Collection<String> topics) {
        subscribe(topics, null);
    }

    /**
     * Subscribes to every topic whose name matches {@code pattern} (a Java regular expression,
     * matched by the groups coordinator against whole topic names, now and as topics come and go).
     *
     * @throws IllegalStateException without {@code group.id}, or when partitions were {@link #assign assigned}
     */
    public void subscribe(Pattern pattern, ConsumerRebalanceListener listener) {
        ensureOpen();
        Objects.requireNonNull(pattern, "pattern");
        groupForSubscribe().subscribe(MembershipManager.Subscription.of(pattern), listener);
    }

    /** As {@link #subscribe(Pattern, ConsumerRebalanceListener)} without a listener. */
    public void subscribe(Pattern pattern) {
        subscribe(pattern, null);
    }

    private ConsumerCoordinator groupForSubscribe() {
        if (coordinator == null) {
            throw new IllegalStateException("subscribe needs " + ConsumerConfig.GROUP_ID);
        }
        if (!coordinator.subscribed() && !fetcher.assignment().isEmpty()) {
            throw new IllegalStateException("subscribe and assign are mutually exclusive: this consumer has assigned partitions");
        }
        return coordinator;
    }

    /**
     * Gives up the subscription: the owned partitions are revoked (the listener is told; lost
     * when the member was fenced), then the consumer leaves the group (epoch -1), waiting up to
     * {@code default.api.timeout.ms} for the coordinator's answer. Also clears an {@link #assign}ment.
     */
    public void unsubscribe() {
        ensureOpen();
        if (coordinator != null && coordinator.subscribed()) {
            coordinator.unsubscribe(deadline(Duration.ofMillis(config.defaultApiTimeoutMs())));
        } else {
            fetcher.assign(List.of(), false);
        }
    }

    /** The subscribed topics (for a pattern: the topics of the partitions owned now); empty when not subscribed. */
    public Set<String> subscription() {
        return coordinator == null ? Set.of() : coordinator.subscription();
    }

    /**
     * This consumer's identity in its group (member id and epoch), for logs and for sinks that
     * fence on it.
     *
     * @throws IllegalStateException without {@code group.id}
     */
    public ConsumerGroupMetadata groupMetadata() {
        return group("groupMetadata").groupMetadata();
    }

    private ConsumerCoordinator group(String operation) {
        if (coordinator == null) {
            throw new IllegalStateException(operation + " needs " + ConsumerConfig.GROUP_ID);
        }
        return coordinator;
    }

    // ---- commits ----

    /**
     * Commits the position of every assigned partition (the offset after the last record
     * {@link #poll} returned), waiting up to {@code default.api.timeout.ms}; then runs the callbacks
     * of completed {@link #commitAsync} calls.
     *
     * @throws CommitFailedException the member was fenced (or is not in the group): the partitions may belong to another member
     * @throws StrataException       another failure, or {@code REQUEST_TIMED_OUT}
     * @throws IllegalStateException without {@code group.id}
     */
    public void commitSync() {
        commitSync(Duration.ofMillis(config.defaultApiTimeoutMs()));
    }

    /** As {@link #commitSync()}, within {@code timeout}. */
    public void commitSync(Duration timeout) {
        ensureOpen();
        ConsumerCoordinator g = group("commitSync");
        g.commitSync(g.allPositions(), deadline(timeout));
    }

    /**
     * Commits these offsets (each the next offset to consume), waiting up to
     * {@code default.api.timeout.ms}. A stale member epoch (the assignment moved on) is refreshed
     * through a heartbeat and the commit repeated; a fenced member gets {@link CommitFailedException}.
     */
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        commitSync(offsets, Duration.ofMillis(config.defaultApiTimeoutMs()));
    }

    /** As {@link #commitSync(Map)}, within {@code timeout}. */
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
        ensureOpen();
        group("commitSync").commitSync(offsets, deadline(timeout));
    }

    /** Commits the positions of all assigned partitions without waiting; a failure is logged. */
    public void commitAsync() {
        commitAsync(null);
    }

    /**
     * Commits the positions of all assigned partitions without waiting; {@code callback} runs on
     * this thread in a later {@code poll}, {@code commitSync} or {@code close}, in commit order.
     */
    public void commitAsync(OffsetCommitCallback callback) {
        ensureOpen();
        ConsumerCoordinator g = group("commitAsync");
        g.commitAsync(g.allPositions(), callback);
    }

    /** As {@link #commitAsync(OffsetCommitCallback)} for the given offsets. */
    public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
        ensureOpen();
        group("commitAsync").commitAsync(offsets, callback);
    }

    /**
     * The group's committed offsets of these partitions; a partition without one maps to {@code null}.
     *
     * @throws IllegalStateException without {@code group.id}
     */
    public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
        return committed(partitions, Duration.ofMillis(config.defaultApiTimeoutMs()));
    }

    /** As {@link #committed(Set)}, within {@code timeout}. */
    public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions, Duration timeout) {
        ensureOpen();
        return group("committed").committed(partitions, deadline(timeout));
    }

    // ---- flow control ----

    /**
     * Stops fetching these partitions: they stay assigned, and {@link #poll} returns none of
     * their records (those already fetched are kept) until {@link #resume resumed}. A revoked
     * partition forgets it was paused.
     *
     * @throws IllegalStateException for a partition not assigned to this consumer
     */
    public void pause(Collection<TopicPartition> partitions) {
        ensureOpen();
        partitions.forEach(tp -> fetcher.state(tp));
        partitions.forEach(tp -> fetcher.state(tp).pause());
    }

    /** Fetches these paused partitions again. @throws IllegalStateException for a partition not assigned */
    public void resume(Collection<TopicPartition> partitions) {
        ensureOpen();
        partitions.forEach(tp -> fetcher.state(tp));
        partitions.forEach(tp -> fetcher.state(tp).paused = false);
    }

    /** The paused partitions. */
    public Set<TopicPartition> paused() {
        Set<TopicPartition> out = new LinkedHashSet<>();
        fetcher.states().forEach(s -> {
            if (s.paused) {
                out.add(s.tp);
            }
        });
        return Collections.unmodifiableSet(out);
    }

    // ---- assign mode ----

    /**
     * Reads exactly these partitions from now on (replacing the previous assignment; an empty
     * collection unassigns everything). Partitions that stay assigned keep their position; with a
     * {@code group.id}, new ones start at the group's committed offset when there is one.
     *
     * @throws IllegalStateException when the consumer is {@link #subscribe subscribed}
     */
    public void assign(Collection<TopicPartition> partitions) {
        ensureOpen();
        partitions.forEach(tp -> Objects.requireNonNull(tp, "partition"));
        if (coordinator != null && coordinator.subscribed()) {
            throw new IllegalStateException("subscribe and assign are mutually exclusive: this consumer is subscribed");
        }
        fetcher.assign(partitions, coordinator != null);
    }

    /** The partitions assigned now (in group mode: owned now), in assignment order. */
    public Set<TopicPartition> assignment() {
        return fetcher.assignment();
    }

    /** The next {@link #poll} of {@code tp} returns records from {@code offset} on. */
    public void seek(TopicPartition tp, long offset) {
        ensureOpen();
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
        fetcher.state(tp).seek(offset);
    }

    /** Moves to the log start of each partition (all assigned ones when empty), resolved lazily. */
    public void seekToBeginning(Collection<TopicPartition> partitions) {
        requestReset(partitions, OffsetResetStrategy.EARLIEST);
    }

    /** Moves to the log end of each partition (all assigned ones when empty), resolved lazily. */
    public void seekToEnd(Collection<TopicPartition> partitions) {
        requestReset(partitions, OffsetResetStrategy.LATEST);
    }

    private void requestReset(Collection<TopicPartition> partitions, OffsetResetStrategy strategy) {
        ensureOpen();
        Collection<TopicPartition> targets = partitions.isEmpty() ? fetcher.assignment() : partitions;
        for (TopicPartition tp : targets) {
            fetcher.state(tp).requestReset(strategy);
        }
    }

    /** The offset of the next record {@link #poll} returns for {@code tp}, resolving a pending reset. */
    public long position(TopicPartition tp) {
        return position(tp, Duration.ofMillis(config.defaultApiTimeoutMs()));
    }

    /** As {@link #position(TopicPartition)}, within {@code timeout}. */
    public long position(TopicPartition tp, Duration timeout) {
        ensureOpen();
        PartitionFetchState s = fetcher.state(tp);
        long deadlineMs = deadline(timeout);
        if (s.position == null && s.awaitingCommitted) {
            coordinator.awaitCommittedPositions(deadlineMs);
        }
        if (s.position == null) {
            resetPositions(deadlineMs);
        }
        return s.position;
    }

    /**
     * For each partition, the first record whose timestamp is at or after the given time (epoch
     * ms); the value is {@code null} when the partition has no such record. The answer is exact
     * per record, not per batch.
     */
    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> timestamps) {
        return offsetsForTimes(timestamps, Duration.ofMillis(config.defaultApiTimeoutMs()));
    }

    /** As {@link #offsetsForTimes(Map)}, within {@code timeout}. */
    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> timestamps,
                                                                   Duration timeout) {
        ensureOpen();
        timestamps.forEach((tp, ts) -> {
            if (ts == null || ts < 0) {
                throw new IllegalArgumentException("timestamp for " + tp + " must be >= 0, got " + ts);
            }
        });
        if (timestamps.isEmpty()) {
            return Map.of();
        }
        return offsets.forTimes(timestamps, deadline(timeout));
    }

    /** The log start offset of each partition. */
    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
        return beginningOffsets(partitions, Duration.ofMillis(config.defaultApiTimeoutMs()));
    }

    /** As {@link #beginningOffsets(Collection)}, within {@code timeout}. */
    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions, Duration timeout) {
        ensureOpen();
        return partitions.isEmpty() ? Map.of() : offsets.list(partitions, OffsetSpec.EARLIEST, deadline(timeout));
    }

    /** The log end offset of each partition (the offset the next record will get). */
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
        return endOffsets(partitions, Duration.ofMillis(config.defaultApiTimeoutMs()));
    }

    /** As {@link #endOffsets(Collection)}, within {@code timeout}. */
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
        ensureOpen();
        return partitions.isEmpty() ? Map.of() : offsets.list(partitions, OffsetSpec.LATEST, deadline(timeout));
    }

    /**
     * The partitions of a topic as coordination reports them.
     *
     * @throws StrataException {@code UNKNOWN_TOPIC_OR_PARTITION} when the topic does not exist
     */
    public List<PartitionInfo> partitionsFor(String topic) {
        ensureOpen();
        TopicMetadata t = metadata.awaitTopic(topic, deadline(Duration.ofMillis(config.defaultApiTimeoutMs())));
        return ClusterSnapshot.partitionInfos(topic, t.getPartitionsList());
    }

    /**
     * Returns fetched records (at most {@code max.poll.records}), waiting up to {@code timeout}
     * for some to arrive. Fetches to all assigned partitions' leaders run in parallel and stay in
     * flight between calls. Returns an empty list when the time ran out or {@link #wakeup()} was
     * called. In group mode, this is where partitions move (the {@link ConsumerRebalanceListener}
     * runs here), completed {@link #commitAsync} callbacks run, and auto-commits are made; a
     * poll that has no partitions yet waits for them up to {@code timeout}.
     *
     * @throws StrataException       when a partition cannot be read (unknown topic, offset out of
     *                               range with {@code auto.offset.reset=none}, a non-retriable
     *                               failure), or the group membership failed for good (e.g.
     *                               {@code FENCED_INSTANCE_ID}: another process uses this
     *                               consumer's {@code group.instance.id})
     * @throws IllegalStateException when the consumer is neither subscribed nor assigned partitions
     */
    public List<ConsumerRecord<K, V>> poll(Duration timeout) {
        ensureOpen();
        boolean groupMode = coordinator != null && coordinator.subscribed();
        if (!groupMode && fetcher.assignment().isEmpty()) {
            throw new IllegalStateException("the consumer is not subscribed to any topic and no partitions are assigned");
        }
        long deadline = deadline(timeout);
        if (coordinator != null) {
            coordinator.pollStarted();
        }
        try {
            prepareFetches(deadline);
            while (true) {
                if (fetcher.hasBuffered()) {
                    List<ConsumerRecord<K, V>> out = fetcher.drain(config.maxPollRecords(), this::toConsumerRecord);
                    fetcher.sendFetches();
                    return out;
                }
                fetcher.sendFetches();
                long now = clock.millis();
                long wait = Math.min(Math.max(0, deadline - now), fetcher.maxWaitMs(now));
                if (coordinator != null) {
                    wait = Math.min(wait, coordinator.maxWaitMs(now));
                }
                boolean notWoken = fetcher.awaitAnswers(wait);
                prepareFetches(deadline);
                if (fetcher.hasBuffered()) {
                    continue;
                }
                if (!notWoken || clock.millis() >= deadline) {
                    return List.of();
                }
            }
        } finally {
            if (coordinator != null) {
                coordinator.pollEnded();
            }
        }
    }

    /** Group work (reconcile, callbacks, auto-commit, committed positions), then pending position resets. */
    private void prepareFetches(long deadline) {
        if (coordinator != null) {
            coordinator.onPoll();
        }
        resetPositions(Math.max(deadline, clock.millis() + config.defaultApiTimeoutMs()));
    }

    /** Makes a {@link #poll} blocked in another thread return early. Thread-safe. */
    public void wakeup() {
        fetcher.wakeup();
    }

    private ConsumerRecord<K, V> toConsumerRecord(TopicPartition tp, Record r) {
        return new ConsumerRecord<>(tp.topic(), tp.partition(), r.offset(), r.timestamp(),
                keyDeserializer.deserialize(tp.topic(), r.key()),
                valueDeserializer.deserialize(tp.topic(), r.value()), r.headers());
    }

    /** Resolves every partition without a position, by its pending reset or auto.offset.reset. */
    private void resetPositions(long deadlineMs) {
        Map<OffsetResetStrategy, List<TopicPartition>> byStrategy = new EnumMap<>(OffsetResetStrategy.class);
        for (PartitionFetchState s : fetcher.states()) {
            if (s.position == null && !s.awaitingCommitted) {
                OffsetResetStrategy strategy = s.pendingReset != null ? s.pendingReset : config.autoOffsetReset();
                byStrategy.computeIfAbsent(strategy, k -> new ArrayList<>()).add(s.tp);
            }
        }
        List<TopicPartition> none = byStrategy.remove(OffsetResetStrategy.NONE);
        if (none != null) {
            throw new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "NO_OFFSET_FOR_PARTITION", false, null,
                    "no position for " + none + " and " + ConsumerConfig.AUTO_OFFSET_RESET + " is none", null);
        }
        byStrategy.forEach((strategy, partitions) -> {
            OffsetSpec spec = strategy == OffsetResetStrategy.EARLIEST ? OffsetSpec.EARLIEST : OffsetSpec.LATEST;
            offsets.list(partitions, spec, deadlineMs).forEach((tp, offset) -> {
                PartitionFetchState s = fetcher.state(tp);
                if (s.position == null) {
                    s.seek(offset);
                }
            });
        });
    }

    private long deadline(Duration timeout) {
        long now = clock.millis();
        long ms;
        try {
            ms = Math.max(0, timeout.toMillis());
        } catch (ArithmeticException e) {
            ms = Long.MAX_VALUE;
        }
        long r = now + ms;
        return r < now ? Long.MAX_VALUE : r;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the consumer is closed");
        }
    }

    /**
     * Closes the consumer, within 30 seconds: see {@link #close(Duration)}.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /**
     * Closes the consumer. It commits nothing by itself unless {@code enable.auto.commit} is set
     * (then it commits the positions first). A group member revokes its partitions (the listener
     * runs here) and leaves the group: epoch -1, or -2 for a static member ({@code group.instance.id},
     * whose partitions wait for it until its session timeout). Completed commit callbacks run, fetches
     * in flight are cancelled and all resources released, all within {@code timeout}. Idempotent.
     *
     * @throws RuntimeException the first failure of a listener or commit callback, after everything was closed
     */
    public void close(Duration timeout) {
        if (closed) {
            return;
        }
        long deadlineMs = deadline(timeout);
        try {
            if (coordinator != null) {
                coordinator.close(deadlineMs);
            }
        } finally {
            closed = true;
            fetcher.close();
            channels.close();
        }
    }
}
