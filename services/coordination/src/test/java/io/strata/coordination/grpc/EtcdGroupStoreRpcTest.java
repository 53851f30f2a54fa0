package io.strata.coordination.grpc;

import io.strata.coordination.store.EtcdMetadataStore;
import io.strata.coordination.testing.EtcdExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;

/** The consumer-group store RPCs on a real etcd (fences, prefix deletes and split commits as etcd applies them). */
@Timeout(60)
class EtcdGroupStoreRpcTest extends GroupStoreRpcContract {

    @RegisterExtension
    static final EtcdExtension ETCD = new EtcdExtension();

    @Override
    CoordinationTestServer startCoordination() throws Exception {
        EtcdMetadataStore store = EtcdMetadataStore.builder(ETCD.endpoints()).root(EtcdExtension.newRoot())
                .requestTimeout(Duration.ofSeconds(5)).open();
        return new CoordinationTestServer(store, Map.of());
    }
}
