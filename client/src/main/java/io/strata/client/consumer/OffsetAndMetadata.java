package io.strata.client.consumer;

import java.util.Objects;

/**
 * A committed offset: the next offset the group will consume from a partition, with optional
 * application metadata.
 *
 * @param offset   the next offset to consume, {@code >= 0}
 * @param metadata a string stored with the offset; empty when none
 */
public record OffsetAndMetadata(long offset, String metadata) {

    public OffsetAndMetadata {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
        metadata = Objects.requireNonNullElse(metadata, "");
    }

    /** An offset without metadata. */
    public OffsetAndMetadata(long offset) {
        this(offset, "");
    }
}
