package io.strata.ingestion.publish;

import io.strata.client.CommonClientConfigs;
import io.strata.client.StrataException;
import io.strata.client.producer.ProducerConfig;
import io.strata.client.producer.ProducerRecord;
import io.strata.client.producer.StrataProducer;
import io.strata.client.serialization.ByteArraySerializer;
import io.strata.ingestion.config.IngestionConfig;
import io.strata.proto.StrataError;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishResult;
import io.strata.records.RecordHeader;
import org.jboss.logging.Logger;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Forwards records to their partition leaders with the smart client's producer: one producer
 * per acks level, shared by every request, so records of all thin clients are batched and
 * compressed together per partition. Each record's future completes with where it landed or
 * why it did not.
 *
 * <p>Backpressure: the producers' buffer memory is bounded ({@code strata.ingestion.buffer.memory});
 * a record that finds it full within {@code max.block.ms} is refused with BUFFER_EXHAUSTED
 * instead of queueing without bound. When that happens to the first record of a request the
 * whole request is refused (gRPC RESOURCE_EXHAUSTED, with a retry-after trailer) and nothing of
 * it was sent; later records of the request report it in their own result. Thread-safe.
 */
public final class Publisher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Publisher.class);
    /** Suggested back-off for a client refused for lack of buffer memory. */
    public static final long RETRY_AFTER_MS = 100;

    private final String bootstrap;
    private final IngestionConfig config;
    private final Map<Acks, StrataProducer<byte[], byte[]>> producers = new EnumMap<>(Acks.class);
    private final AtomicLong pending = new AtomicLong();
    private boolean closed;

    public Publisher(String bootstrap, IngestionConfig config) {
        this.bootstrap = bootstrap;
        this.config = config;
    }

    /**
     * Sends the records (already validated by {@link PublishValidation}) in order.
     *
     * @return the records' results, in request order, once every record has completed
     * @throws io.grpc.StatusRuntimeException RESOURCE_EXHAUSTED when the first record finds no buffer memory
     */
    public CompletableFuture<PublishResults> publish(List<PublishRecord> records, Acks acks) {
        StrataProducer<byte[], byte[]> producer = producer(acks);
        // One slot per record and a countdown, filled by the producer's callbacks: no future per record.
        PublishResults results = new PublishResults(records.size());
        AtomicInteger outstanding = new AtomicInteger(records.size());
        CompletableFuture<PublishResults> all = new CompletableFuture<>();
        AtomicBoolean firstRefused = new AtomicBoolean(); // no buffer memory: the callback runs inside send
        String topic = null;
        for (int i = 0; i < records.size(); i++) {
            PublishRecord record = records.get(i);
            // Parsing gives every record its own topic String; one instance per run of equal topics
            // keeps its hash computed once and makes the producer's map lookups compare references.
            topic = record.getTopic().equals(topic) ? topic : record.getTopic();
            int slot = i;
            pending.incrementAndGet();
            producer.send(toProducerRecord(record, topic), (metadata, failure) -> {
                pending.decrementAndGet();
                if (slot == 0 && failure instanceof StrataException e && e.reason() == ErrorCode.BUFFER_EXHAUSTED) {
                    firstRefused.set(true);
                }
                if (failure == null) {
                    results.succeeded(slot, metadata.partition(), metadata.offset(), metadata.timestamp());
                } else {
                    results.failed(slot, failed(failure));
                }
                if (outstanding.decrementAndGet() == 0) {
                    all.complete(results); // the decrement publishes every slot's write
                }
            });
            if (i == 0 && firstRefused.get()) {
                io.grpc.Metadata trailers = new io.grpc.Metadata();
                trailers.put(StrataError.RETRY_AFTER_KEY, Long.toString(RETRY_AFTER_MS));
                throw StrataError.exception(ErrorCode.BUFFER_EXHAUSTED, "ingestion " + config.instanceId()
                        + " has no buffer memory left (strata.ingestion.buffer.memory=" + config.bufferMemory()
                        + "); nothing of this request was sent: retry after " + RETRY_AFTER_MS + " ms", trailers);
            }
        }
        if (records.isEmpty()) {
            all.complete(results);
        }
        return all;
    }

    /** Records handed to the producers and not yet acknowledged or failed: this instance's backlog. */
    public long pendingRecords() {
        return pending.get();
    }

    private static PublishResult failed(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        ErrorCode reason = cause instanceof StrataException se ? se.reason() : ErrorCode.ERROR_CODE_UNSPECIFIED;
        return PublishResult.newBuilder().setPartition(-1).setOffset(-1).setError(reason)
                .setErrorMessage(cause.getMessage() != null ? cause.getMessage() : cause.toString()).build();
    }

    private static ProducerRecord<byte[], byte[]> toProducerRecord(PublishRecord r, String topic) {
        List<RecordHeader> headers = r.getHeadersCount() == 0 ? List.of() : r.getHeadersList().stream()
                .map(h -> new RecordHeader(h.getKey(), h.getValue().toByteArray())).toList();
        return new ProducerRecord<>(topic, r.hasPartition() ? r.getPartition() : null,
                r.getTimestampMs() > 0 ? r.getTimestampMs() : null,
                r.hasKey() ? r.getKey().toByteArray() : null, r.getValue().toByteArray(), headers);
    }

    private synchronized StrataProducer<byte[], byte[]> producer(Acks acks) {
        if (closed) {
            throw io.grpc.Status.UNAVAILABLE.withDescription("ingestion " + config.instanceId()
                    + " is shutting down; retry on another instance").asRuntimeException();
        }
        Acks level = acks == Acks.ACKS_UNSPECIFIED || acks == Acks.UNRECOGNIZED ? Acks.ACKS_ALL : acks;
        return producers.computeIfAbsent(level, this::newProducer);
    }

    private StrataProducer<byte[], byte[]> newProducer(Acks acks) {
        Map<String, Object> c = new HashMap<>();
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS, bootstrap);
        c.put(CommonClientConfigs.CLIENT_ID, config.instanceId() + "-" + acks.name().toLowerCase());
        c.put(ProducerConfig.ACKS, switch (acks) {
            case ACKS_NONE -> "0";
            case ACKS_LEADER -> "1";
            default -> "all";
        });
        c.put(ProducerConfig.BUFFER_MEMORY, config.bufferMemory());
        c.put(ProducerConfig.BATCH_SIZE, config.batchSize());
        c.put(ProducerConfig.LINGER_MS, config.lingerMs());
        c.put(ProducerConfig.COMPRESSION_TYPE, config.compressionType());
        c.put(ProducerConfig.DELIVERY_TIMEOUT_MS, config.deliveryTimeoutMs());
        c.put(ProducerConfig.MAX_BLOCK_MS, config.maxBlockMs());
        c.put(ProducerConfig.QUEUE_MAX_DELAY_MS, config.queueMaxDelayMs());
        LOG.infof("ingestion %s: producer for %s to %s", config.instanceId(), acks, bootstrap);
        return new StrataProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends what is buffered and waits for it, then closes the producers. */
    @Override
    public void close() {
        List<StrataProducer<byte[], byte[]>> all;
        synchronized (this) {
            closed = true;
            all = List.copyOf(producers.values());
        }
        all.forEach(StrataProducer::close);
    }
}
