package io.strata.client.consumer;

import io.strata.client.TopicPartition;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Remembers, per partition, the offset of the last record processed, to drop the duplicates that
 * at-least-once delivery brings: after a rebalance or a restart, a partition is read again from
 * its committed offset, which may be behind what was already processed (the records between the
 * last commit and the handover). {@link #firstTime} tells a redelivered record from a new one.
 *
 * <p>The reliable source of "last processed" is the application's own sink, when it stores each
 * partition's offset together with the data (in the same transaction or the same upsert): seed
 * from it when partitions are assigned. Seeding from the group's committed offsets
 * ({@link #seedFromCommitted}) only protects against re-reads within this process (a seek back, a
 * poll retried after a failure).
 *
 * <pre>{@code
 * ProcessedOffsets processed = new ProcessedOffsets();
 * consumer.subscribe(List.of("orders"), new ConsumerRebalanceListener() {
 *     public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
 *         consumer.commitSync(processed.offsetsToCommit(partitions));
 *         processed.forget(partitions);
 *     }
 *     public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
 *         sink.lastOffsets(partitions).forEach(processed::markProcessed); // stored with the data
 *     }
 *     public void onPartitionsLost(Collection<TopicPartition> partitions) {
 *         processed.forget(partitions); // another member owns them now: nothing can be committed
 *     }
 * });
 * while (running) {
 *     for (var r : consumer.poll(Duration.ofSeconds(1))) {
 *         if (processed.firstTime(r)) {
 *             sink.upsert(r.key(), r.value(), r.partition(), r.offset()); // idempotent, keeps the offset
 *             processed.markProcessed(r);
 *         }
 *     }
 *     consumer.commitSync(processed.offsetsToCommit(consumer.assignment()));
 * }
 * }</pre>
 *
 * <p>Not thread-safe: use it from the consumer's thread (the listener runs there too).
 */
public final class ProcessedOffsets {

    private final Map<TopicPartition, Long> lastProcessed = new TreeMap<>();

    /**
     * Whether {@code record} comes after the last processed record of its partition (a partition
     * with none remembered: always). Does not remember it: call {@link #markProcessed} once it is
     * processed, so that a record whose processing failed is not taken for a duplicate.
     */
    public boolean firstTime(ConsumerRecord<?, ?> record) {
        Long last = lastProcessed.get(new TopicPartition(record.topic(), record.partition()));
        return last == null || record.offset() > last;
    }

    /** Remembers {@code record} as processed (an older offset than the one remembered changes nothing). */
    public void markProcessed(ConsumerRecord<?, ?> record) {
        markProcessed(new TopicPartition(record.topic(), record.partition()), record.offset());
    }

    /**
     * Remembers that the records of {@code partition} up to {@code offset} are processed (an older
     * offset than the one remembered changes nothing), e.g. as loaded from the sink.
     */
    public void markProcessed(TopicPartition partition, long offset) {
        Objects.requireNonNull(partition, "partition");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
        lastProcessed.merge(partition, offset, Math::max);
    }

    /**
     * Seeds from committed offsets (as {@link StrataConsumer#committed} answers them): everything
     * below a committed offset counts as processed. {@code null} values (nothing committed) are skipped.
     */
    public void seedFromCommitted(Map<TopicPartition, OffsetAndMetadata> committed) {
        committed.forEach((tp, om) -> {
            if (om != null && om.offset() > 0) {
                markProcessed(tp, om.offset() - 1);
            }
        });
    }

    /** The offset of the last processed record of {@code partition}, if one is remembered. */
    public OptionalLong lastProcessed(TopicPartition partition) {
        Long last = lastProcessed.get(partition);
        return last == null ? OptionalLong.empty() : OptionalLong.of(last);
    }

    /**
     * The offsets to commit for {@code partitions} so that exactly the processed records count as
     * consumed: the last processed offset + 1 of each partition that has one.
     */
    public Map<TopicPartition, OffsetAndMetadata> offsetsToCommit(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            Long last = lastProcessed.get(tp);
            if (last != null) {
                out.put(tp, new OffsetAndMetadata(last + 1));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** Forgets these partitions (revoked or lost: their next owner keeps track of them). */
    public void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(lastProcessed::remove);
    }
}
