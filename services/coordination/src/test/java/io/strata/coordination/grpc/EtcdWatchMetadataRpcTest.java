package io.strata.coordination.grpc;

import io.strata.coordination.store.EtcdMetadataStore;
import io.strata.coordination.testing.EtcdExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;

/** WatchMetadata on a real etcd. */
@Timeout(60)
class EtcdWatchMetadataRpcTest extends WatchMetadataRpcContract {

    @RegisterExtension
    static final EtcdExtension ETCD = new EtcdExtension();

    @Override
    CoordinationTestServer startCoordination(Map<String, String> config) throws Exception {
        EtcdMetadataStore store = EtcdMetadataStore.builder(ETCD.endpoints()).root(EtcdExtension.newRoot())
                .requestTimeout(Duration.ofSeconds(5)).open();
        return new CoordinationTestServer(store, config);
    }
}
