package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.records.Compression;
import io.strata.records.Record;
import io.strata.records.RecordBatch;
import io.strata.records.RecordBatchBuilder;
import io.strata.records.RecordBatches;
import io.strata.records.RecordHeader;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * One record batch of one partition on its way to the leader, with the callbacks that complete its records.
 *
 * <p>Threading: records are appended under the lock of the partition's queue (see
 * {@link RecordAccumulator}), and the append that finds the batch full closes its records there,
 * which compresses them (see {@link #tryAppend}); once {@link #close() closed} and drained, only
 * the sender touches it, and then the gRPC thread that completes it.
 */
final class ProducerBatch {

    /** Bytes a record's framing adds to key, value and headers, at most (varints, attributes). */
    static final int RECORD_OVERHEAD_BYTES = 5 + 1 + 10 + 5 + 5 + 5 + 5;
    /**
     * Heap a record takes besides its bytes in the batch, until it is answered: at most about this
     * much for a record sent with a future (the future, the callback completing it, a dependent
     * stage of the application's; measured 130–170 bytes), less with a callback (the
     * application's callback and the record's slots here). Counted against {@code buffer.memory},
     * so the producer's memory follows that setting.
     */
    static final int RECORD_OBJECTS_BYTES = 160;

    /**
     * The callback that completes {@code future}: a record sent with {@link StrataProducer#send(ProducerRecord)}
     * is completed through it, so a batch keeps one callback per record whichever form sent it.
     */
    static Callback completing(CompletableFuture<RecordMetadata> future) {
        return (metadata, error) -> {
            if (error == null) {
                future.complete(metadata);
            } else {
                future.completeExceptionally(error);
            }
        };
    }

    private static final Callback[] NO_CALLBACKS = new Callback[0];
    private static final long[] NO_TIMESTAMPS = new long[0];

    private static final System.Logger LOG = System.getLogger(ProducerBatch.class.getName());

    /** Runs an application's callback; what it throws is logged, as Kafka's producer does, and must not stop the sender. */
    static void call(Callback callback, RecordMetadata metadata, Exception error) {
        try {
            callback.onCompletion(metadata, error);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "a send callback for " + metadata.topic() + "-" + metadata.partition()
                    + " threw; the producer goes on", e);
        }
    }

    private final TopicPartition tp;
    private final long createdMs;
    private final long deadlineMs;
    /** When a batch was queued behind this one (no record joins it after that); MAX_VALUE before. */
    private long followedAtMs = Long.MAX_VALUE;
    private final int batchSize;
    private final long reservedBytes;
    private long recordObjectsBytes;
    private final Compression compression;
    /**
     * Each record's callback and create time, in append order: two arrays rather than an object
     * per record, since every queued record's objects are copied by each young collection while
     * the queue runs deep.
     */
    private Callback[] callbacks = NO_CALLBACKS;
    private long[] timestamps = NO_TIMESTAMPS;
    private int recordCount;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    /** The buffer the batch was started in (see {@link #reusableBuffer()}). */
    private final ByteBuffer buffer;
    private RecordBatchBuilder builder;
    private ByteBuffer built;
    private boolean full;
    private boolean sendAlone;
    private int attempts;
    private StrataException lastError;
    private ProducerIdAndEpoch producerIdAndEpoch;
    private int baseSequence = RecordBatch.NO_SEQUENCE;
    private long drainOrder = -1;
    private long sendGroup = -1;

    /**
     * @param batchSize     {@code batch.size}: no record is added once the batch reached it
     * @param reservedBytes the buffer memory held for the batch (its buffer's size), released when it completes
     */
    ProducerBatch(TopicPartition tp, Compression compression, int batchSize, long reservedBytes, long createdMs,
                  long deadlineMs) {
        this(tp, compression, batchSize, reservedBytes, createdMs, deadlineMs, null);
    }

    /**
     * @param buffer a reused buffer to build the batch in (its old contents are overwritten), or
     *               null to allocate one
     */
    ProducerBatch(TopicPartition tp, Compression compression, int batchSize, long reservedBytes, long createdMs,
                  long deadlineMs, ByteBuffer buffer) {
        this.tp = tp;
        this.compression = compression;
        this.batchSize = batchSize;
        this.reservedBytes = reservedBytes;
        this.createdMs = createdMs;
        this.deadlineMs = deadlineMs;
        this.buffer = buffer != null ? buffer : ByteBuffer.allocate((int) Math.max(256, Math.min(reservedBytes, 1 << 20)));
        this.builder = new RecordBatchBuilder(compression, this.buffer);
    }

    /**
     * The buffer to reuse once the batch is done: the one it was built in, when that buffer still
     * holds its bytes (the batch did not outgrow it, compress out of it or get restamped into a
     * copy) and is exactly the memory the batch reserved for it; else null. Requests wrap a
     * batch's bytes, so only a completed batch's buffer may be reused: gRPC serialized every
     * request carrying it before the answer that completed it.
     */
    ByteBuffer reusableBuffer() {
        return built == buffer && buffer.capacity() == reservedBytes ? buffer : null;
    }

    /** The buffer memory a new batch holds for a first record of {@code recordEstimate} bytes. */
    static int bytesToReserve(int batchSize, int recordEstimate, long bufferMemory) {
        long forRecord = (long) recordEstimate + RecordBatch.HEADER_SIZE;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(Math.min(batchSize, bufferMemory), forRecord));
    }

    /** An upper bound of the bytes a record takes in a batch (before compression). */
    static int estimateSize(byte[] key, byte[] value, List<RecordHeader> headers) {
        long size = RECORD_OVERHEAD_BYTES + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        for (RecordHeader h : headers) {
            size += 10 + (long) h.key().length() * 3 + (h.value() == null ? 0 : h.value().length);
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }

    /**
     * Appends a record unless the batch is closed or the record would take it past
     * {@code batch.size} (an empty batch takes any record). The append that fills the batch, or
     * finds it full, closes its records: see {@link #markFull()}.
     *
     * @param callback  how the record is completed (see {@link #completing} for a future)
     * @param timestamp the create time the record is sent with
     * @return whether the record was appended; when not, nothing of it was kept
     */
    boolean tryAppend(Callback callback, long timestamp, byte[] key, byte[] value, List<RecordHeader> headers,
                      int estimatedBytes) {
        if (full || builder == null) {
            return false;
        }
        if (recordCount > 0 && (long) builder.estimatedSizeInBytes() + estimatedBytes > batchSize) {
            markFull();
            return false;
        }
        builder.append(timestamp, key, value, headers);
        add(callback, timestamp, estimatedBytes);
        recordObjectsBytes += RECORD_OBJECTS_BYTES;
        if (builder.estimatedSizeInBytes() >= batchSize) {
            markFull();
        }
        return true;
    }

    private void add(Callback callback, long timestamp, int estimatedBytes) {
        if (recordCount == callbacks.length) {
            // First room for as many records like the first as fill the batch (~550 of 100 bytes in
            // 64 KiB), where small arrays would grow through a dozen copies.
            int capacity = recordCount == 0 ? Math.clamp(batchSize / Math.max(1, estimatedBytes) + 1, 1, 4096)
                    : recordCount + (recordCount >> 1) + 1;
            callbacks = Arrays.copyOf(callbacks, capacity);
            timestamps = Arrays.copyOf(timestamps, capacity);
        }
        callbacks[recordCount] = Objects.requireNonNull(callback, "callback");
        timestamps[recordCount] = timestamp;
        recordCount++;
    }

    /**
     * Under the queue's lock, on the appending thread: ends the batch's records and compresses
     * them (when compressed), so that sealing it on the sender only writes the header fields and
     * the CRC. As in Kafka's producer, compression runs on the threads that send records (as many
     * as the application uses) instead of on the one sender thread, where every batch of every
     * partition waited behind the compression of the batches before it. Holding the lock
     * meanwhile (one {@code batch.size} of LZ4: about 0.15 ms for 64 KiB) delays only this
     * partition's other appends and the sender's look at this queue; the sender could not send
     * the batch before its bytes exist anyway, and compressing outside the lock would need a
     * second hand-over of the builder between the appending thread and a draining sender. A batch
     * sent before it filled (linger, flush, close) is compressed by the sender in {@link #close()}.
     *
     * <p>Memory: the compressed buffer replaces the uncompressed one (the builder drops it), as it
     * did when the sender compressed; the batch's reservation stays as it is until it completes.
     */
    private void markFull() {
        full = true;
        builder.closeRecords();
    }

    /**
     * The batch's size in a request: its bytes once built or compressed, else its uncompressed
     * size (which LZ4 output exceeds by a few bytes at most, for incompressible records).
     */
    int sizeUpperBound() {
        return built != null ? built.remaining() : builder.expectedSizeInBytes();
    }

    /** Whether no further record fits (or may be added). */
    boolean isFull() {
        return full || builder == null;
    }

    /**
     * Stamps the idempotent producer's id and epoch and the batch's first sequence into the
     * header: into the builder before {@link #close()}, or, for a batch whose stamp was
     * {@linkplain #resetProducerState() reset}, into a copy of its bytes with a new CRC.
     */
    void setProducerState(ProducerIdAndEpoch id, int firstSequence) {
        if (producerIdAndEpoch != null) {
            throw new IllegalStateException("the batch already carries " + producerIdAndEpoch);
        }
        if (builder != null) {
            builder.producer(id.producerId(), id.epoch(), firstSequence);
        } else {
            restamp(id.producerId(), id.epoch(), firstSequence);
        }
        this.producerIdAndEpoch = id;
        this.baseSequence = firstSequence;
    }

    /**
     * Takes the idempotent producer's stamp off a sent batch that the leader refused as out of
     * order after its producer id was retired (so it was never written): it is sent again under
     * its partition's next id, as a new batch of no request ({@link #sendGroup()} -1). The bytes
     * are rewritten in a copy, since an earlier request may still wrap the old ones.
     */
    void resetProducerState() {
        if (producerIdAndEpoch == null) {
            return;
        }
        if (built != null) {
            restamp(RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE);
        }
        producerIdAndEpoch = null;
        baseSequence = RecordBatch.NO_SEQUENCE;
        sendGroup = -1;
    }

    private void restamp(long producerId, short epoch, int firstSequence) {
        ByteBuffer copy = ByteBuffer.allocate(built.remaining());
        copy.put(built.duplicate()).flip();
        copy.putLong(RecordBatch.PRODUCER_ID_OFFSET, producerId);
        copy.putShort(RecordBatch.PRODUCER_EPOCH_OFFSET, epoch);
        copy.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, firstSequence);
        RecordBatch.writeCrc(copy, 0);
        built = copy;
    }

    /** The idempotent producer's id the batch carries; null when it carries none (yet). */
    ProducerIdAndEpoch producerIdAndEpoch() {
        return producerIdAndEpoch;
    }

    /** The sequence of the batch's first record; -1 when it carries none. */
    int baseSequence() {
        return baseSequence;
    }

    /**
     * Closes the batch for appends and returns its bytes (a read-only view, position 0): writes
     * the header and the CRC, after compressing the records of a batch that did not fill.
     */
    ByteBuffer close() {
        if (built == null) {
            built = builder.build();
            builder = null;
            full = true;
        }
        return built.asReadOnlyBuffer();
    }

    /**
     * Splits a closed batch into one batch per record, for a resend after the server refused
     * the whole request as too large; each new batch is sent in a request of its own. The new
     * batches carry no producer state: an idempotent producer numbers them when they are sealed.
     * They hold no buffer memory of their own: this batch's stays held until all of them are done.
     */
    List<ProducerBatch> splitPerRecord() {
        List<Record> decoded = RecordBatches.decode(close());
        List<ProducerBatch> out = new ArrayList<>(decoded.size());
        for (int i = 0; i < decoded.size(); i++) {
            Record r = decoded.get(i);
            int size = estimateSize(r.key(), r.value(), r.headers());
            ProducerBatch single = new ProducerBatch(tp, compression, size + 128, 0, createdMs, deadlineMs);
            single.builder.append(r.timestamp(), r.key(), r.value(), r.headers());
            single.add(callbacks[i], timestamps[i], size);
            single.full = true;
            single.sendAlone = true;
            single.attempts = attempts;
            single.lastError = lastError;
            single.drainOrder = drainOrder;
            out.add(single);
        }
        CompletableFuture.allOf(out.stream().map(ProducerBatch::done).toArray(CompletableFuture[]::new))
                .whenComplete((ignored, failure) -> done.complete(null));
        return out;
    }

    /** Completes every record: offsets count up from {@code baseOffset} (-1 stays -1, acks=0). */
    void complete(long baseOffset, long logAppendTimeMs) {
        for (int i = 0; i < recordCount; i++) {
            long offset = baseOffset < 0 ? -1 : baseOffset + i;
            long timestamp = logAppendTimeMs >= 0 ? logAppendTimeMs : timestamps[i];
            call(callbacks[i], new RecordMetadata(tp.topic(), tp.partition(), offset, timestamp), null);
        }
        done.complete(null);
    }

    /** Fails every record with {@code error}. */
    void fail(StrataException error) {
        for (int i = 0; i < recordCount; i++) {
            call(callbacks[i], new RecordMetadata(tp.topic(), tp.partition(), -1, -1), error);
        }
        done.complete(null);
    }

    TopicPartition topicPartition() {
        return tp;
    }

    long createdMs() {
        return createdMs;
    }

    /** Under the queue's lock: a batch was queued behind this one at {@code nowMs}. */
    void followedAt(long nowMs) {
        followedAtMs = Math.min(followedAtMs, nowMs);
    }

    /**
     * When the batch could first be sent: once a batch was queued behind it (the record that did
     * not fit opened that one), or once it had lingered {@code lingerMs}, whichever came first.
     * From then on a wait is queueing, not batching.
     */
    long sendableSinceMs(long lingerMs) {
        long lingered = createdMs + lingerMs;
        return Math.min(followedAtMs, lingered < createdMs ? Long.MAX_VALUE : lingered);
    }

    long deadlineMs() {
        return deadlineMs;
    }

    int recordCount() {
        return recordCount;
    }

    /** The buffer memory the batch holds: its buffer and its records' objects (split parts: none). */
    long reservedBytes() {
        return reservedBytes + recordObjectsBytes;
    }

    boolean sendAlone() {
        return sendAlone;
    }

    int attempts() {
        return attempts;
    }

    void recordAttempt() {
        attempts++;
    }

    StrataException lastError() {
        return lastError;
    }

    /**
     * The batch's place in its partition's send order, given when it is first drained (the
     * parts of a split batch share the original's); -1 before. Failed batches go back in this order.
     */
    long drainOrder() {
        return drainOrder;
    }

    void drainOrder(long order) {
        this.drainOrder = order;
    }

    /**
     * The request the batch was first sent in under its current producer stamp; -1 before its
     * first send. A retry resends exactly the batches of one such request together, so a leader
     * that wrote them recognises the whole request as a duplicate.
     */
    long sendGroup() {
        return sendGroup;
    }

    void sendGroup(long group) {
        this.sendGroup = group;
    }

    void lastError(StrataException error) {
        this.lastError = error;
    }

    /** Completes (normally) once every record of the batch is completed. */
    CompletableFuture<Void> done() {
        return done;
    }

    @Override
    public String toString() {
        return "ProducerBatch[" + tp + ", " + recordCount + " records, attempts=" + attempts + ", sequence "
                + baseSequence + "]";
    }
}
