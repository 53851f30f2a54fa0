/**
 * The producer: {@link io.strata.client.producer.StrataProducer} batches records per partition
 * and sends them straight to the partition leaders.
 *
 * <p>How a record travels: {@code send} serializes the key and value, waits (up to
 * {@code max.block.ms}) for the topic's metadata, picks the partition with the
 * {@link io.strata.client.producer.Partitioner}, reserves buffer memory (blocking up to
 * {@code max.block.ms} when {@code buffer.memory} is used up) and appends the record to the
 * partition's open batch. One sender thread sends a partition's batches once the first is full,
 * has waited {@code linger.ms}, or a flush or close asks for it; all ready batches of a partition
 * go in one Produce request and each partition has at most one request in flight, so retries
 * never reorder records within a partition, while many partitions are in flight at once.
 */
package io.strata.client.producer;
