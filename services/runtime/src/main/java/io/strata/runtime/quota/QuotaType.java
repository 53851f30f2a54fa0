package io.strata.runtime.quota;

import io.strata.proto.v1.ClientQuota;

import java.util.OptionalLong;

/** The two client-id quotas: bytes produced (or published) and bytes fetched. */
public enum QuotaType {
    /** Produce (storage) and Publish (ingestion) request bytes: {@code producer_byte_rate}. */
    PRODUCER,
    /** Fetch response bytes: {@code consumer_byte_rate}. */
    CONSUMER;

    /** This type's rate in a stored quota, if it sets one. */
    public OptionalLong rateIn(ClientQuota quota) {
        return switch (this) {
            case PRODUCER -> quota.hasProducerByteRate() ? OptionalLong.of(quota.getProducerByteRate()) : OptionalLong.empty();
            case CONSUMER -> quota.hasConsumerByteRate() ? OptionalLong.of(quota.getConsumerByteRate()) : OptionalLong.empty();
        };
    }
}
