package io.strata.runtime.quota;

import io.strata.proto.v1.ClientQuota;
import io.strata.proto.v1.QuotaSnapshot;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The quotas a node enforces, as of one snapshot from coordination: per type, a client id's
 * rate is its own quota's, else the default entity's, else the node's config default
 * ({@link QuotaDefaults}); 0 = unlimited. The empty client id is a client id like any other.
 * Immutable.
 */
public final class ClientQuotas {

    private final QuotaDefaults defaults;
    private final Map<String, ClientQuota> byClientId;
    private final Optional<ClientQuota> defaultEntity;
    private final long revision;

    private ClientQuotas(QuotaDefaults defaults, Map<String, ClientQuota> byClientId, Optional<ClientQuota> defaultEntity,
                         long revision) {
        this.defaults = defaults;
        this.byClientId = byClientId;
        this.defaultEntity = defaultEntity;
        this.revision = revision;
    }

    /** Only the node's defaults (before the first snapshot from coordination). */
    public static ClientQuotas of(QuotaDefaults defaults) {
        return new ClientQuotas(defaults, Map.of(), Optional.empty(), -1);
    }

    /** The node's defaults under the quotas of {@code snapshot}. */
    public static ClientQuotas of(QuotaDefaults defaults, QuotaSnapshot snapshot) {
        Map<String, ClientQuota> byClientId = new HashMap<>();
        ClientQuota defaultEntity = null;
        for (ClientQuota q : snapshot.getQuotasList()) {
            if (q.getDefaultEntity()) {
                defaultEntity = q;
            } else {
                byClientId.put(q.getClientId(), q);
            }
        }
        return new ClientQuotas(defaults, Map.copyOf(byClientId), Optional.ofNullable(defaultEntity), snapshot.getRevision());
    }

    /** The rate {@code clientId} gets for {@code type}, in bytes per second; 0 = unlimited. */
    public long rate(QuotaType type, String clientId) {
        ClientQuota own = byClientId.get(clientId);
        if (own != null) {
            OptionalLong r = type.rateIn(own);
            if (r.isPresent()) {
                return r.getAsLong();
            }
        }
        if (defaultEntity.isPresent()) {
            OptionalLong r = type.rateIn(defaultEntity.get());
            if (r.isPresent()) {
                return r.getAsLong();
            }
        }
        return defaults.rate(type);
    }

    /** The coordination revision these quotas were read at; -1 before the first snapshot. */
    public long revision() {
        return revision;
    }
}
