package io.strata.client.producer;

/**
 * Picks the partition of a record that names none. Set a custom one with
 * {@link ProducerConfig#PARTITIONER_CLASS} (a public class with a no-arg constructor).
 * Implementations must be thread-safe: every sending thread calls them.
 */
public interface Partitioner extends AutoCloseable {

    /**
     * @param topic         the record's topic
     * @param keyBytes      the serialized key, {@code null} when the record has none
     * @param numPartitions the topic's partition count, at least 1
     * @return a partition in {@code [0, numPartitions)}
     */
    int partition(String topic, byte[] keyBytes, int numPartitions);

    /**
     * Called when a record of {@code topic} would start a new batch on {@code previousPartition}
     * (the partition's open batch was filled or sent): a sticky partitioner moves on here. The
     * producer then asks {@link #partition} again. The default does nothing.
     */
    default void onNewBatch(String topic, int numPartitions, int previousPartition) {
    }

    /** Releases resources when the producer closes. The default does nothing. */
    @Override
    default void close() {
    }
}
