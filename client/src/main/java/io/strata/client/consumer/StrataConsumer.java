package io.strata.client.consumer;

import io.strata.client.PartitionInfo;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
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
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;

/**
 * Reads records from assigned partitions, long-polling each partition's leader. Consumer
 * groups come later: the application {@link #assign assigns} partitions and positions itself
 * ({@link #seek}, {@link #seekToBeginning}, {@link #seekToEnd}, {@link #offsetsForTimes}); a
 * partition without a position starts where {@code auto.offset.reset} says.
 *
 * <pre>{@code
 * try (var consumer = new StrataConsumer<>(Map.of("bootstrap.servers", "127.0.0.1:9092"),
 *         new StringDeserializer(), new StringDeserializer())) {
 *     consumer.assign(List.of(new TopicPartition("events", 0)));
 *     consumer.seekToBeginning(consumer.assignment());
 *     for (var r : consumer.poll(Duration.ofSeconds(1))) {
 *         System.out.println(r.offset() + ": " + r.value());
 *     }
 * }
 * }</pre>
 *
 * <p>Within a partition, records come in offset order; partitions interleave. Not thread-safe
 * (as Kafka's consumer): use it from one thread; only {@link #wakeup()} may be called from
 * another. Failures are thrown as {@link StrataException}.
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
        this.channels = new ChannelPool(config.clientId());
        this.metadata = new MetadataCache(config.bootstrapServers(), channels, config.requestTimeoutMs(),
                config.backoff(), clock);
        this.leaders = new LeaderCalls(metadata, channels, config.requestTimeoutMs(), config.backoff(), clock);
        this.fetcher = new Fetcher(config, metadata, leaders, clock);
        this.offsets = new OffsetLookup(leaders, config);
    }

    /**
     * Reads exactly these partitions from now on (replacing the previous assignment; an empty
     * collection unassigns everything). Partitions that stay assigned keep their position.
     */
    public void assign(Collection<TopicPartition> partitions) {
        ensureOpen();
        partitions.forEach(tp -> Objects.requireNonNull(tp, "partition"));
        fetcher.assign(partitions);
    }

    /** The assigned partitions, in assignment order. */
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
        if (s.position == null) {
            resetPositions(deadline(timeout));
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
     * called.
     *
     * @throws StrataException when a partition cannot be read (unknown topic, offset out of range
     *                         with {@code auto.offset.reset=none}, a non-retriable failure)
     */
    public List<ConsumerRecord<K, V>> poll(Duration timeout) {
        ensureOpen();
        if (fetcher.assignment().isEmpty()) {
            throw new IllegalStateException("no partitions are assigned to this consumer");
        }
        long deadline = deadline(timeout);
        resetPositions(Math.max(deadline, clock.millis() + config.defaultApiTimeoutMs()));
        while (true) {
            if (fetcher.hasBuffered()) {
                List<ConsumerRecord<K, V>> out = fetcher.drain(config.maxPollRecords(), this::toConsumerRecord);
                fetcher.sendFetches();
                return out;
            }
            fetcher.sendFetches();
            long now = clock.millis();
            long wait = Math.min(Math.max(0, deadline - now), fetcher.maxWaitMs(now));
            boolean notWoken = fetcher.awaitAnswers(wait);
            resetPositions(Math.max(deadline, clock.millis() + config.defaultApiTimeoutMs()));
            if (fetcher.hasBuffered()) {
                continue;
            }
            if (!notWoken || clock.millis() >= deadline) {
                return List.of();
            }
        }
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
            if (s.position == null) {
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

    /** Cancels fetches in flight and releases all resources. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        fetcher.close();
        channels.close();
    }
}
