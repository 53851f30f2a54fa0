package io.strata.ingestion;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready while the instance is registered with coordination ({@code /q/health/ready}). */
@Readiness
@Singleton
public class IngestionReadiness implements HealthCheck {

    private final IngestionNode node;

    public IngestionReadiness(IngestionNode node) {
        this.node = node;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("ingestion-" + node.instanceId()).status(node.isReady()).build();
    }
}
