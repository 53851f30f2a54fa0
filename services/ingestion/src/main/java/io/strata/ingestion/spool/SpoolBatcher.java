package io.strata.ingestion.spool;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.producer.Partitioner;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishResult;
import io.strata.records.Compression;
import io.strata.records.RecordBatch;
import io.strata.records.RecordBatchBuilder;
import io.strata.records.RecordHeader;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one request's records into sealed record batches for the spool: picks each record's
 * partition as the Java producer does (the explicit one; murmur2 of the key; sticky for keyless
 * records — the same {@link Partitioner}), checks its size against the topic's
 * {@code max.message.bytes}, and builds per partition one batch (more when they pass
 * {@code batch.size}), compressed, stamped with the spool's producer id, epoch and the
 * partition's next sequence numbers. A record that cannot be spooled (unknown topic or
 * partition, too large) gets its error in its result and takes no sequence.
 *
 * <p>Two steps, so that a request refused for lack of room leaves no trace: {@link #batch}
 * computes, {@link #commit} makes its sequence numbers and sticky-partition moves count.
 * Not thread-safe: the spool's writer thread owns it.
 */
final class SpoolBatcher {

    /** What the request's topics look like, resolved before the request reaches the writer. */
    sealed interface TopicLookup {
        /** @param partitions the topic's partition count; @param maxMessageBytes its {@code max.message.bytes} */
        record Known(int partitions, int maxMessageBytes) implements TopicLookup {
        }

        /** @param error why the topic's records cannot be spooled */
        record Failed(StrataException error) implements TopicLookup {
        }
    }

    /**
     * A request's batches, not yet counted.
     *
     * @param entries       the sealed batches in spool order (per partition, in sequence order)
     * @param results       one per record, in request order: the partition and offset -1, or an error
     * @param nextSequences the partitions' next sequences once the entries are spooled
     * @param keyless       per topic that had keyless records, the sticky partition to move away from
     * @param bytes         the bytes the entries take in the spool, frames included
     */
    record Batched(List<SpoolEntry> entries, List<PublishResult> results, Map<TopicPartition, Integer> nextSequences,
                   Map<String, StickyMove> keyless, long bytes) {
    }

    /** The sticky partition a topic's keyless records last went to, and the topic's partition count. */
    record StickyMove(String topic, int partitions, int partition) {
    }

    /** A partition's batch being built. */
    private static final class Open {
        final RecordBatchBuilder builder;
        final long baseTimestamp;

        Open(RecordBatchBuilder builder, long baseTimestamp) {
            this.builder = builder;
            this.baseTimestamp = baseTimestamp;
        }
    }

    private final Partitioner partitioner;
    private final Compression compression;
    private final int batchSize;
    private final Clock clock;
    private final Map<TopicPartition, Integer> nextSequences;

    /** @param nextSequences each partition's next sequence as the spool left it (recovered); absent = 0 */
    SpoolBatcher(Partitioner partitioner, Compression compression, int batchSize, Clock clock,
                 Map<TopicPartition, Integer> nextSequences) {
        this.partitioner = partitioner;
        this.compression = compression;
        this.batchSize = batchSize;
        this.clock = clock;
        this.nextSequences = new HashMap<>(nextSequences);
    }

    Batched batch(List<PublishRecord> records, Map<String, TopicLookup> topics, SpoolIdentity id) {
        List<PublishResult> results = new ArrayList<>(records.size());
        Map<TopicPartition, Open> open = new LinkedHashMap<>();
        Map<TopicPartition, Integer> sequences = new HashMap<>();
        Map<String, StickyMove> keyless = new HashMap<>();
        List<SpoolEntry> entries = new ArrayList<>();
        long now = clock.millis();
        for (PublishRecord r : records) {
            TopicLookup lookup = topics.get(r.getTopic());
            if (lookup instanceof TopicLookup.Failed failed) {
                results.add(error(failed.error().reason(), failed.error().getMessage()));
                continue;
            }
            TopicLookup.Known topic = (TopicLookup.Known) lookup;
            byte[] key = r.hasKey() ? r.getKey().toByteArray() : null;
            byte[] value = r.getValue().toByteArray();
            List<RecordHeader> headers = r.getHeadersList().stream()
                    .map(h -> new RecordHeader(h.getKey(), h.getValue().toByteArray())).toList();
            long timestamp = r.getTimestampMs() > 0 ? r.getTimestampMs() : now;
            int partition;
            if (r.hasPartition()) {
                partition = r.getPartition();
                if (partition >= topic.partitions()) {
                    results.add(error(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition " + partition + " of topic '"
                            + r.getTopic() + "' does not exist (it has " + topic.partitions() + ")"));
                    continue;
                }
            } else {
                partition = partitioner.partition(r.getTopic(), key, topic.partitions());
            }
            TopicPartition tp = new TopicPartition(r.getTopic(), partition);
            Open batch = open.get(tp);
            if (batch != null && batch.builder.estimatedSizeInBytes() + sizeIn(batch, timestamp, key, value, headers) > batchSize) {
                seal(tp, batch, id, sequences, entries);
                open.remove(tp);
                if (!r.hasPartition() && key == null) {
                    // The sticky partition's batch is full: move on, as the producer does.
                    partitioner.onNewBatch(r.getTopic(), topic.partitions(), partition);
                    partition = partitioner.partition(r.getTopic(), null, topic.partitions());
                    tp = new TopicPartition(r.getTopic(), partition);
                }
                batch = open.get(tp);
                if (batch != null && batch.builder.estimatedSizeInBytes() + sizeIn(batch, timestamp, key, value, headers) > batchSize) {
                    seal(tp, batch, id, sequences, entries);
                    open.remove(tp);
                    batch = null;
                }
            }
            long size = sizeIn(batch, timestamp, key, value, headers);
            if (size > topic.maxMessageBytes()) {
                results.add(error(ErrorCode.RECORD_TOO_LARGE, "record of " + size + " bytes is larger than max.message.bytes="
                        + topic.maxMessageBytes() + " of topic '" + r.getTopic() + "'"));
                continue;
            }
            if (batch == null) {
                batch = new Open(new RecordBatchBuilder(compression, (int) Math.min(batchSize, Math.max(256, size + 128))),
                        timestamp);
                open.put(tp, batch);
            }
            batch.builder.append(timestamp, key, value, headers);
            if (!r.hasPartition() && key == null) {
                keyless.put(r.getTopic(), new StickyMove(r.getTopic(), topic.partitions(), partition));
            }
            results.add(PublishResult.newBuilder().setPartition(partition).setOffset(-1).setTimestampMs(timestamp).build());
        }
        open.forEach((tp, batch) -> seal(tp, batch, id, sequences, entries));
        long bytes = 0;
        for (SpoolEntry e : entries) {
            bytes += SpoolSegment.FRAME_OVERHEAD + e.payloadSize();
        }
        return new Batched(entries, results, sequences, keyless, bytes);
    }

    /** Counts a batched request as spooled: its sequences are taken, its sticky partitions move on. */
    void commit(Batched batched) {
        nextSequences.putAll(batched.nextSequences());
        // Each request's keyless records close their batch, so the next request starts a new one elsewhere.
        batched.keyless().values().forEach(m -> partitioner.onNewBatch(m.topic(), m.partitions(), m.partition()));
    }

    /** The record's size in {@code batch} (or as the first record of a new one). */
    private static long sizeIn(Open batch, long timestamp, byte[] key, byte[] value, List<RecordHeader> headers) {
        return batch == null ? RecordBatchBuilder.recordSizeInBytes(0, 0, key, value, headers)
                : RecordBatchBuilder.recordSizeInBytes(timestamp - batch.baseTimestamp, batch.builder.recordCount(), key,
                value, headers);
    }

    private void seal(TopicPartition tp, Open batch, SpoolIdentity id, Map<TopicPartition, Integer> sequences,
                      List<SpoolEntry> entries) {
        int first = sequences.getOrDefault(tp, nextSequences.getOrDefault(tp, 0));
        batch.builder.producer(id.producerId(), id.producerEpoch(), first);
        int count = batch.builder.recordCount();
        sequences.put(tp, RecordBatch.incrementSequence(first, count));
        entries.add(new SpoolEntry(tp, batch.builder.build()));
    }

    private static PublishResult error(ErrorCode reason, String message) {
        return PublishResult.newBuilder().setPartition(-1).setOffset(-1).setError(reason).setErrorMessage(message).build();
    }
}
