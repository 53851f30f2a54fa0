package io.strata.ingestion;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready while the instance is registered with coordination ({@code /q/health/ready}). The
 * answer's data shows the spool: bytes on disk, records waiting to be forwarded, records dropped
 * as undeliverable since the start, and whether it works (a failed spool refuses spooled
 * publishes; committed ones are still served, so it does not make the instance unready).
 */
@Readiness
@Singleton
public class IngestionReadiness implements HealthCheck {

    private final IngestionNode node;

    public IngestionReadiness(IngestionNode node) {
        this.node = node;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder answer = HealthCheckResponse.named("ingestion-" + node.instanceId()).status(node.isReady());
        node.spoolStats().ifPresentOrElse(s -> answer
                        .withData("spool.bytes", s.bytes())
                        .withData("spool.pending.records", s.pendingRecords())
                        .withData("spool.dropped.records", s.droppedRecords())
                        .withData("spool.healthy", s.healthy()),
                () -> answer.withData("spool.healthy", false));
        return answer.build();
    }
}
