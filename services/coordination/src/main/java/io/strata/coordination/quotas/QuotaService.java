package io.strata.coordination.quotas;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.layout.Keys;
import io.strata.coordination.layout.StoredValues;
import io.strata.coordination.store.Compare;
import io.strata.coordination.store.KeyRange;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.Op;
import io.strata.proto.v1.ClientQuota;
import io.strata.proto.v1.DeleteQuotaRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.SetQuotaRequest;
import org.jboss.logging.Logger;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Client-id quotas on the metadata store (docs/QUOTAS.md); no gRPC here. A quota entity is one
 * client id ({@code quotas/clients/<URL-encoded id>}) or the default entity
 * ({@code quotas/default}, Kafka's {@code <default>} client id); its value is the
 * {@link ClientQuota} with the rates it sets. Setting merges the given rates into the stored
 * ones (a compare-and-set on the key's revision); deleting removes the entity. Storage nodes and
 * ingestion instances learn the result through WatchQuotas ({@code QuotaFeed}).
 *
 * <p>Every method validates its input and throws {@link CoordinationException} (INVALID_REQUEST,
 * UNKNOWN_QUOTA, CAS_FAILED); the store's failures pass through. Thread-safe (stateless).
 */
public final class QuotaService {

    /** The longest client id a quota may name (keeps the URL-encoded key within etcd's limits). */
    public static final int MAX_CLIENT_ID_LENGTH = 255;

    private static final Logger LOG = Logger.getLogger(QuotaService.class);
    private static final int CAS_ATTEMPTS = 10;
    private static final Comparator<ClientQuota> ORDER = Comparator.comparing((ClientQuota q) -> !q.getDefaultEntity())
            .thenComparing(ClientQuota::getClientId);

    private final MetadataStore store;

    public QuotaService(MetadataStore store) {
        this.store = store;
    }

    /**
     * Sets the rates the request gives on its entity; rates it leaves out keep their stored value.
     *
     * @return the entity's quota as stored now
     * @throws CoordinationException INVALID_REQUEST, CAS_FAILED
     */
    public ClientQuota set(SetQuotaRequest request) {
        Entity entity = Entity.of(request.getClientId(), request.getDefaultEntity(), "set");
        checkRate("producer_byte_rate", request.hasProducerByteRate(), request.getProducerByteRate());
        checkRate("consumer_byte_rate", request.hasConsumerByteRate(), request.getConsumerByteRate());
        if (!request.hasProducerByteRate() && !request.hasConsumerByteRate()) {
            throw invalid("set at least one of producer_byte_rate and consumer_byte_rate for " + entity
                    + " (to remove its quota, delete it)");
        }
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            Optional<KeyValue> stored = store.get(entity.key());
            ClientQuota.Builder quota = stored.map(kv -> StoredValues.parse(kv, ClientQuota.parser()).toBuilder())
                    .orElseGet(entity::newQuota);
            if (request.hasProducerByteRate()) {
                quota.setProducerByteRate(request.getProducerByteRate());
            }
            if (request.hasConsumerByteRate()) {
                quota.setConsumerByteRate(request.getConsumerByteRate());
            }
            ClientQuota updated = quota.build();
            Compare unchanged = stored.map(kv -> Compare.modRevision(kv.key(), kv.modRevision()))
                    .orElseGet(() -> Compare.absent(entity.key()));
            if (store.txn(List.of(unchanged), List.of(Op.put(entity.key(), updated.toByteArray()))).succeeded()) {
                LOG.infof("quota of %s now: %s", entity, rates(updated));
                return updated;
            }
        }
        throw new CoordinationException(ErrorCode.CAS_FAILED, "the quota of " + entity + " changed concurrently "
                + CAS_ATTEMPTS + " times in a row; retry");
    }

    /**
     * Removes the entity's quota (both rates).
     *
     * @return the quota as it was
     * @throws CoordinationException INVALID_REQUEST, UNKNOWN_QUOTA, CAS_FAILED
     */
    public ClientQuota delete(DeleteQuotaRequest request) {
        Entity entity = Entity.of(request.getClientId(), request.getDefaultEntity(), "delete");
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            KeyValue kv = store.get(entity.key()).orElseThrow(() -> new CoordinationException(ErrorCode.UNKNOWN_QUOTA,
                    "no quota is set for " + entity));
            if (store.txn(List.of(Compare.modRevision(kv.key(), kv.modRevision())), List.of(Op.delete(kv.key()))).succeeded()) {
                ClientQuota deleted = StoredValues.parse(kv, ClientQuota.parser());
                LOG.infof("quota of %s deleted (was %s)", entity, rates(deleted));
                return deleted;
            }
        }
        throw new CoordinationException(ErrorCode.CAS_FAILED, "the quota of " + entity + " changed concurrently "
                + CAS_ATTEMPTS + " times in a row; retry");
    }

    /** Every quota set: the default entity first, then client ids in order. */
    public List<ClientQuota> list() {
        return fromRange(store.getPrefix(Keys.QUOTAS));
    }

    /** The quotas among the keys of {@code range} (a read of {@link Keys#QUOTAS}), in list order. */
    public static List<ClientQuota> fromRange(KeyRange range) {
        return range.kvs().stream()
                .filter(kv -> kv.key().equals(Keys.DEFAULT_QUOTA) || kv.key().startsWith(Keys.CLIENT_QUOTAS))
                .map(kv -> StoredValues.parse(kv, ClientQuota.parser()))
                .sorted(ORDER)
                .toList();
    }

    private static void checkRate(String field, boolean present, long value) {
        if (present && value <= 0) {
            throw invalid(field + " must be > 0 bytes per second, got " + value);
        }
    }

    private static String rates(ClientQuota q) {
        return "producer_byte_rate=" + (q.hasProducerByteRate() ? q.getProducerByteRate() : "none")
                + ", consumer_byte_rate=" + (q.hasConsumerByteRate() ? q.getConsumerByteRate() : "none");
    }

    private static CoordinationException invalid(String message) {
        return new CoordinationException(ErrorCode.INVALID_REQUEST, message);
    }

    /** One client id, or the default entity ({@code clientId} null). */
    private record Entity(String clientId) {

        static Entity of(String clientId, boolean defaultEntity, String verb) {
            if (defaultEntity) {
                if (!clientId.isEmpty()) {
                    throw invalid("client_id ('" + clientId + "') and default_entity are exclusive: give one");
                }
                return new Entity(null);
            }
            if (clientId.isEmpty()) {
                throw invalid("client_id must not be empty; to " + verb
                        + " the default quota of every client id without its own, use default_entity");
            }
            if (clientId.length() > MAX_CLIENT_ID_LENGTH) {
                throw invalid("client_id is " + clientId.length() + " characters long; at most " + MAX_CLIENT_ID_LENGTH
                        + " are allowed");
            }
            return new Entity(clientId);
        }

        String key() {
            return clientId == null ? Keys.DEFAULT_QUOTA : Keys.clientQuota(clientId);
        }

        ClientQuota.Builder newQuota() {
            return clientId == null ? ClientQuota.newBuilder().setDefaultEntity(true) : ClientQuota.newBuilder().setClientId(clientId);
        }

        @Override
        public String toString() {
            return clientId == null ? "the default entity" : "client id '" + clientId + "'";
        }
    }
}
