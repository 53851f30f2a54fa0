package io.strata.client.ingestion;

import io.strata.client.StrataException;
import io.strata.client.producer.RecordMetadata;

/**
 * What became of one record published through ingestion: where it landed, or why it did not.
 *
 * @param metadata topic, partition, offset and timestamp; null when the record failed
 * @param error    the record's own failure (e.g. {@code UNKNOWN_TOPIC_OR_PARTITION}); null on success
 */
public record PublishOutcome(RecordMetadata metadata, StrataException error) {

    /** Whether the record was acknowledged. */
    public boolean succeeded() {
        return error == null;
    }
}
