/**
 * The producer: {@link io.strata.client.producer.StrataProducer} batches records per partition
 * and sends them straight to the partition leaders.
 *
 * <p>How a record travels: {@code send} serializes the key and value, waits (up to
 * {@code max.block.ms}) for the topic's metadata, picks the partition with the
 * {@link io.strata.client.producer.Partitioner}, reserves buffer memory (blocking up to
 * {@code max.block.ms} when {@code buffer.memory} is used up) and appends the record to the
 * partition's open batch. One sender thread sends a partition's batches once the first is full,
 * has waited {@code linger.ms}, or a flush or close asks for it, in requests of up to
 * {@code max.request.size} on one ordered produce stream per leader node: up to
 * {@code max.in.flight.requests.per.connection} requests per partition are in flight, the node
 * appends them in the order sent, and retries go in order, so records of a partition are not
 * reordered (see {@code Sender} for the rules).
 */
package io.strata.client.producer;
