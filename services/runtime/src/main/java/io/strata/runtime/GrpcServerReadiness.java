package io.strata.runtime;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the gRPC server listens ({@code /q/health/ready}). */
@Readiness
@Singleton
public class GrpcServerReadiness implements HealthCheck {

    private final GrpcServer server;

    public GrpcServerReadiness(GrpcServer server) {
        this.server = server;
    }

    @Override
    public HealthCheckResponse call() {
        boolean up = server.isRunning();
        var builder = HealthCheckResponse.named("grpc-server").status(up);
        if (up) {
            builder.withData("port", server.port());
        }
        return builder.build();
    }
}
