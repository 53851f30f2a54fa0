package io.strata.coordination.metadata;

import io.strata.coordination.layout.Keys;
import io.strata.coordination.layout.StoredValues;
import io.strata.coordination.store.Compare;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.Op;
import io.strata.proto.v1.ClusterRecord;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * The cluster id: a UUID written once, by whichever coordination instance first needs it
 * (create-if-absent on {@code cluster-id}), and never changed. Cached after the first read.
 */
public final class ClusterIdentity {

    private static final Logger LOG = Logger.getLogger(ClusterIdentity.class);

    private final MetadataStore store;
    private final Clock clock;
    private volatile String clusterId;

    public ClusterIdentity(MetadataStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public String clusterId() {
        String id = clusterId;
        if (id != null) {
            return id;
        }
        ClusterRecord fresh = ClusterRecord.newBuilder().setClusterId(UUID.randomUUID().toString()).setCreatedMs(clock.millis()).build();
        if (store.txn(List.of(Compare.absent(Keys.CLUSTER_ID)), List.of(Op.put(Keys.CLUSTER_ID, fresh.toByteArray()))).succeeded()) {
            LOG.infof("new cluster: id %s", fresh.getClusterId());
        }
        ClusterRecord stored = StoredValues.parse(store.get(Keys.CLUSTER_ID).orElseThrow(
                () -> new IllegalStateException("the cluster-id key vanished right after it was written")), ClusterRecord.parser());
        clusterId = stored.getClusterId();
        return clusterId;
    }
}
