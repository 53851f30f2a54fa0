package io.strata.storage;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once recovery is done, the node is registered and it serves its partitions. */
@Readiness
@Singleton
public class StorageReadiness implements HealthCheck {

    private final StorageNode node;

    public StorageReadiness(StorageNode node) {
        this.node = node;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("storage-node-" + node.nodeId()).status(node.isReady()).build();
    }
}
