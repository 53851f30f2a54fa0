package io.strata.client.producer;

/**
 * What {@link StrataProducer#send(ProducerRecord, Callback)} calls once a record is acknowledged
 * or has failed, as Kafka's producer callback. It runs on one of the producer's I/O threads, in
 * the order of the records' acknowledgements within a partition: keep it short and never block
 * in it (hand longer work to another thread). An exception it throws is logged and dropped.
 */
@FunctionalInterface
public interface Callback {

    /**
     * @param metadata  where the record landed; on failure the topic and partition (-1 when no
     *                  partition was chosen) with offset and timestamp -1, as Kafka's producer does
     * @param exception {@code null} on success, else why the record was not written (a
     *                  {@link io.strata.client.StrataException} for every failure the producer reports)
     */
    void onCompletion(RecordMetadata metadata, Exception exception);
}
