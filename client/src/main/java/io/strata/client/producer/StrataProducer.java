package io.strata.client.producer;

import io.strata.client.PartitionInfo;
import io.strata.client.StrataException;
import io.strata.client.internal.ChannelPool;
import io.strata.client.internal.ClientConfig;
import io.strata.client.internal.ClusterSnapshot;
import io.strata.client.internal.MetadataCache;
import io.strata.client.internal.NetworkThread;
import io.strata.client.serialization.Serializer;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.TopicMetadata;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sends records to Strata topics, batching them per partition and talking straight to each
 * partition's leader. Thread-safe: share one producer between threads.
 *
 * <pre>{@code
 * try (var producer = new StrataProducer<>(Map.of("bootstrap.servers", "127.0.0.1:9092"),
 *         new StringSerializer(), new StringSerializer())) {
 *     producer.send(new ProducerRecord<>("events", "key", "value"))
 *             .thenAccept(md -> System.out.println("offset " + md.offset()));
 * }
 * }</pre>
 *
 * <p>{@link #send} returns at once (unless it must wait for metadata or buffer memory, up to
 * {@code max.block.ms}); its future completes when the leader acknowledged the record
 * ({@code acks}) or with a {@link StrataException} once the record failed for good. Futures
 * complete, and callbacks run, on the producer's network thread (as in Kafka's producer): keep
 * dependent actions short and never block in them — while one runs, no answer is read. From
 * there {@link #flush()} is refused and {@link #close()} does not wait (both would wait for
 * answers only that thread can deliver).
 * {@link #send(ProducerRecord, Callback)} is the same with Kafka's callback instead of a future,
 * which spares a future and its dependent stage per record (the form to use at high rates).
 * Records of one partition are written in send order, and with {@code enable.idempotence} (the
 * default) each exactly once however often a request is retried; see {@link ProducerConfig} for
 * the knobs.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class StrataProducer<K, V> implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(StrataProducer.class.getName());

    private final ProducerConfig config;
    private final Serializer<K> keySerializer;
    private final Serializer<V> valueSerializer;
    private final Partitioner partitioner;
    private final Clock clock;
    private final ChannelPool channels;
    /** Reads and writes the producer's connections and completes its records. */
    private final NetworkThread network;
    private final MetadataCache metadata;
    private final RecordAccumulator accumulator;
    private final TopicPartitions topicPartitions = new TopicPartitions();
    private final Sender sender;
    private final Thread ioThread;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * @param configs         the config (see {@link ProducerConfig}); {@code bootstrap.servers} is required
     * @param keySerializer   serializes keys
     * @param valueSerializer serializes values
     * @throws IllegalArgumentException for an invalid config value
     */
    public StrataProducer(Map<String, ?> configs, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        this(new ProducerConfig(configs), keySerializer, valueSerializer, Clock.systemUTC());
    }

    /** As {@link #StrataProducer(Map, Serializer, Serializer)}, from {@link Properties}. */
    public StrataProducer(Properties configs, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        this(ClientConfig.toMap(configs), keySerializer, valueSerializer);
    }

    StrataProducer(ProducerConfig config, Serializer<K> keySerializer, Serializer<V> valueSerializer, Clock clock) {
        this.config = config;
        this.keySerializer = Objects.requireNonNull(keySerializer, "keySerializer");
        this.valueSerializer = Objects.requireNonNull(valueSerializer, "valueSerializer");
        this.partitioner = newPartitioner(config.partitionerClass());
        this.clock = clock;
        String suffix = config.clientId().isEmpty() ? "" : "-" + config.clientId();
        this.network = new NetworkThread("strata-producer-network" + suffix);
        this.channels = new ChannelPool(config.clientId(), Sender.KEEP_ALIVE, network);
        this.metadata = new MetadataCache(config.bootstrapServers(), channels, config.requestTimeoutMs(),
                config.backoff(), clock);
        BufferPool pool = new BufferPool(config.bufferMemory(), config.batchSize());
        this.accumulator = new RecordAccumulator(config.batchSize(), config.compression(), config.lingerMs(),
                config.deliveryTimeoutMs(), pool, config.queueMaxDelayMs(), clock);
        this.sender = new Sender(accumulator, metadata, channels, config, clock);
        this.ioThread = new Thread(sender, "strata-producer-io" + suffix);
        ioThread.setDaemon(true);
        ioThread.start();
    }

    private static Partitioner newPartitioner(String className) {
        if (className.equals(DefaultPartitioner.class.getName())) {
            return new DefaultPartitioner();
        }
        try {
            Class<?> c = Class.forName(className, true, Thread.currentThread().getContextClassLoader() != null
                    ? Thread.currentThread().getContextClassLoader() : StrataProducer.class.getClassLoader());
            if (!Partitioner.class.isAssignableFrom(c)) {
                throw new IllegalArgumentException("invalid " + ProducerConfig.PARTITIONER_CLASS + ": " + className
                        + " does not implement " + Partitioner.class.getName());
            }
            return (Partitioner) c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("invalid " + ProducerConfig.PARTITIONER_CLASS + ": cannot instantiate "
                    + className + ": " + e, e);
        }
    }

    /**
     * Sends a record asynchronously.
     *
     * <p>Failures come back through the future as a {@link StrataException}: an unknown topic or
     * partition ({@code UNKNOWN_TOPIC_OR_PARTITION}, at once), no metadata or no buffer memory
     * within {@code max.block.ms}, a record too large, or a send that failed for good.
     *
     * @return completes with where the record landed (offset -1 with {@code acks=0})
     * @throws IllegalStateException after {@link #close()}
     */
    public CompletableFuture<RecordMetadata> send(ProducerRecord<K, V> record) {
        CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
        send(record, future, null);
        return future;
    }

    /**
     * Sends a record asynchronously and calls {@code callback} once it is acknowledged or failed
     * for good (Kafka's {@code send(record, callback)}); the failures are those of
     * {@link #send(ProducerRecord)}, given to the callback. The callback runs on one of the
     * producer's I/O threads, or on the caller's before this returns when the record fails at once
     * (an unknown topic, no buffer memory within {@code max.block.ms}).
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public void send(ProducerRecord<K, V> record, Callback callback) {
        send(record, null, Objects.requireNonNull(callback, "callback"));
    }

    /** Sends a record completed by exactly one of {@code future} and {@code callback}. */
    private void send(ProducerRecord<K, V> record, CompletableFuture<RecordMetadata> future, Callback callback) {
        Objects.requireNonNull(record, "record");
        if (closed) {
            throw new IllegalStateException("cannot send after the producer is closed");
        }
        int partition = record.partition() != null ? record.partition() : -1;
        try {
            if (sender.fatal() != null) {
                throw sender.fatal();
            }
            partition = append(record, future, callback);
        } catch (StrataException e) {
            if (future != null) {
                future.completeExceptionally(e);
            } else {
                ProducerBatch.call(callback, new RecordMetadata(record.topic(), partition, -1, -1), e);
            }
        }
    }

    /** Appends the record to its partition's batch; returns the partition. */
    private int append(ProducerRecord<K, V> record, CompletableFuture<RecordMetadata> future, Callback callback) {
        // One clock read per record on the common path (known topic): time and deadline follow from it.
        long now = clock.millis();
        long deadline = saturatedAdd(now, config.maxBlockMs());
        TopicMetadata topic = metadata.knownTopic(record.topic());
        if (topic == null) {
            topic = metadata.awaitTopic(record.topic(), deadline);
            now = clock.millis();
        }
        int numPartitions = topic.getPartitionsCount();
        byte[] key = keySerializer.serialize(record.topic(), record.key());
        byte[] value = valueSerializer.serialize(record.topic(), record.value());
        int partition;
        if (record.partition() != null) {
            partition = record.partition();
            if (partition >= numPartitions) {
                throw new StrataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition " + partition
                        + " of topic '" + record.topic() + "' does not exist (it has " + numPartitions + ")");
            }
        } else {
            partition = choosePartition(record.topic(), key, numPartitions);
        }
        long timestamp = record.timestamp() != null ? record.timestamp() : now;
        Callback completion = callback != null ? callback : ProducerBatch.completing(future);
        RecordAccumulator.AppendResult result = accumulator.append(
                topicPartitions.of(record.topic(), partition, numPartitions), completion, timestamp, key, value,
                record.headers(), record.partition() == null, Math.max(0, deadline - now));
        if (result.aborted()) {
            partitioner.onNewBatch(record.topic(), numPartitions, partition);
            partition = choosePartition(record.topic(), key, numPartitions);
            result = accumulator.append(topicPartitions.of(record.topic(), partition, numPartitions), completion,
                    timestamp, key, value, record.headers(), false, remaining(deadline));
        }
        if (result.newBatch() || result.batchFull()) {
            sender.wakeup();
        }
        return partition;
    }

    private long remaining(long deadline) {
        return Math.max(0, deadline - clock.millis());
    }

    private int choosePartition(String topic, byte[] key, int numPartitions) {
        int p = partitioner.partition(topic, key, numPartitions);
        if (p < 0 || p >= numPartitions) {
            throw new IllegalStateException("partitioner " + partitioner.getClass().getName() + " returned partition "
                    + p + " for a topic with " + numPartitions + " partitions");
        }
        return p;
    }

    /**
     * Sends every buffered record at once and blocks until all records sent before the call have
     * completed (successfully or not).
     *
     * @throws IllegalStateException when called from a callback (or a dependent action of a
     *                               send's future): it would wait for answers that only the
     *                               thread running it can deliver (Kafka's producer refuses it too)
     */
    public void flush() {
        if (network.isCurrent()) {
            throw new IllegalStateException("flush() from a send callback is refused: it would wait for answers that"
                    + " only the producer's network thread, which runs the callback, can deliver");
        }
        accumulator.beginFlush();
        try {
            sender.wakeup();
            accumulator.awaitIncomplete();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "INTERRUPTED", false, null,
                    "interrupted while flushing", e);
        } finally {
            accumulator.endFlush();
        }
    }

    /**
     * The partitions of a topic, waiting for its metadata up to {@code max.block.ms}.
     *
     * @throws StrataException {@code UNKNOWN_TOPIC_OR_PARTITION} for a topic that does not exist
     */
    public List<PartitionInfo> partitionsFor(String topic) {
        TopicMetadata t = metadata.awaitTopic(topic, saturatedAdd(clock.millis(), config.maxBlockMs()));
        return ClusterSnapshot.partitionInfos(topic, t.getPartitionsList());
    }

    /** Sends everything buffered, waits for it without a time limit, and releases all resources. */
    @Override
    public void close() {
        close(Duration.ofMillis(Long.MAX_VALUE));
    }

    /**
     * Stops accepting records, waits up to {@code timeout} for buffered and in-flight records,
     * then fails whatever is left and releases all resources. Idempotent. From a callback it does
     * not wait (as Kafka's producer): what is buffered or in flight fails.
     */
    public void close(Duration timeout) {
        if (network.isCurrent() && !timeout.isZero()) {
            LOG.log(System.Logger.Level.WARNING, "close() called from a send callback: closing without waiting"
                    + " (the callback's thread delivers the answers a wait would need)");
            timeout = Duration.ZERO;
        }
        closed = true;
        accumulator.beginClose();
        sender.initiateClose();
        try {
            long ms = timeout.toMillis();
            if (Thread.currentThread() != ioThread) {
                ioThread.join(Math.max(1, ms));
                if (ioThread.isAlive()) {
                    sender.forceClose();
                    ioThread.join(TimeUnit.SECONDS.toMillis(10));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sender.forceClose();
        } catch (ArithmeticException overflow) {
            // Duration too long for millis: wait without a limit
            try {
                ioThread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                sender.forceClose();
            }
        } finally {
            if (!released.getAndSet(true)) {
                partitioner.close();
                channels.close();
                network.close();
            }
        }
    }

    /** The limiter of the producer's queue; null with {@code queue.max.delay.ms=0} (for tests). */
    QueueDelayLimiter queueDelayLimiter() {
        return accumulator.queueDelayLimiter();
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
