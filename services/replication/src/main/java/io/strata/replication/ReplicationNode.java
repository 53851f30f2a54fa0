package io.strata.replication;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.replication.config.ReplicationConfig;
import io.strata.replication.controller.ReplicationController;
import io.strata.runtime.GrpcServer;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.List;

/**
 * A replication instance's life in its process: once the gRPC server listens it starts its
 * {@link ReplicationController} (session, campaign, observation) with its advertised
 * {@code host:port} as candidate id; on shutdown, before the gRPC server stops, it withdraws, so a
 * standby takes over at once instead of after the session timeout.
 */
@Singleton
public class ReplicationNode {

    private final ReplicationConfig config;
    private final GrpcServer grpcServer;
    private volatile CoordinationChannels channels;
    private volatile ReplicationController controller;

    public ReplicationNode(ReplicationConfig config, GrpcServer grpcServer) {
        this.config = config;
        this.grpcServer = grpcServer;
    }

    void onStart(@Observes @Priority(GrpcServer.STARTUP_PRIORITY + 30) StartupEvent event) {
        start();
    }

    void onShutdown(@Observes @Priority(GrpcServer.SHUTDOWN_PRIORITY - 30) ShutdownEvent event) {
        stop();
    }

    public synchronized void start() {
        if (controller != null) {
            return;
        }
        List<HostPort> coordination = config.coordinationEndpoints()
                .orElseGet(() -> List.of(new HostPort("127.0.0.1", grpcServer.port())));
        String candidateId = grpcServer.advertised().toString();
        channels = new CoordinationChannels(coordination);
        controller = new ReplicationController(channels, config, candidateId, config.instanceId().orElse(candidateId));
        controller.start();
    }

    /** Withdraws from the election and coordination. Idempotent; {@link #start()} may follow. */
    public synchronized void stop() {
        if (controller != null) {
            controller.close();
            controller = null;
        }
        if (channels != null) {
            channels.close();
            channels = null;
        }
    }

    /** The controller, empty before start; never throws (metrics read it). */
    public java.util.Optional<ReplicationController> controllerIfStarted() {
        return java.util.Optional.ofNullable(controller);
    }

    /** The controller; UNAVAILABLE before start. */
    public ReplicationController controller() {
        ReplicationController c = controller;
        if (c == null) {
            throw io.grpc.Status.UNAVAILABLE.withDescription("the replication instance is starting; retry shortly").asRuntimeException();
        }
        return c;
    }
}
