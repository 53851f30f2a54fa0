package io.strata.client.producer;

/**
 * An idempotent producer's identity as coordination's {@code InitProducerId} handed it out;
 * every batch it sends carries both (Kafka's {@code ProducerIdAndEpoch}).
 *
 * @param producerId the producer id, >= 0
 * @param epoch      the epoch of that id, >= 0
 */
record ProducerIdAndEpoch(long producerId, short epoch) {

    @Override
    public String toString() {
        return "producer id " + producerId + " (epoch " + epoch + ")";
    }
}
