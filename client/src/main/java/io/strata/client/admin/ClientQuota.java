package io.strata.client.admin;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A client-id quota (docs/QUOTAS.md): bytes per second a client id may produce to, and fetch
 * from, each storage node (producing also counts per ingestion instance). Either one client id's
 * quota, or the default entity's (Kafka's {@code <default>} client id), which applies to every
 * client id without a rate of its own. An absent rate is "none at this level": the client id
 * falls back to the default entity, then to the nodes' {@code quota.*.default} config.
 *
 * @param clientId         the client id; empty for the default entity
 * @param producerByteRate bytes per second produced, when set
 * @param consumerByteRate bytes per second fetched, when set
 */
public record ClientQuota(Optional<String> clientId, OptionalLong producerByteRate, OptionalLong consumerByteRate) {

    public ClientQuota {
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(producerByteRate, "producerByteRate");
        Objects.requireNonNull(consumerByteRate, "consumerByteRate");
    }

    /** Whether this is the default entity's quota. */
    public boolean isDefault() {
        return clientId.isEmpty();
    }
}
