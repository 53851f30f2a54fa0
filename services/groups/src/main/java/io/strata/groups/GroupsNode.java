package io.strata.groups;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.groups.config.GroupsConfig;
import io.strata.groups.coordinator.GroupCoordinator;
import io.strata.groups.instance.GroupsInstance;
import io.strata.runtime.GrpcServer;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * A groups instance's life in its process: once the gRPC server listens it starts its
 * {@link GroupsInstance} (session, campaign, observation) with its advertised {@code host:port}
 * as candidate id; on shutdown, before the gRPC server stops, it withdraws, so a standby takes
 * over at once instead of after the session timeout.
 */
@Singleton
public class GroupsNode {

    private final GroupsConfig config;
    private final GrpcServer grpcServer;
    private volatile CoordinationChannels channels;
    private volatile GroupsInstance instance;

    public GroupsNode(GroupsConfig config, GrpcServer grpcServer) {
        this.config = config;
        this.grpcServer = grpcServer;
    }

    void onStart(@Observes @Priority(GrpcServer.STARTUP_PRIORITY + 40) StartupEvent event) {
        start();
    }

    void onShutdown(@Observes @Priority(GrpcServer.SHUTDOWN_PRIORITY - 40) ShutdownEvent event) {
        stop();
    }

    public synchronized void start() {
        if (instance != null) {
            return;
        }
        List<HostPort> coordination = config.coordinationEndpoints()
                .orElseGet(() -> List.of(new HostPort("127.0.0.1", grpcServer.port())));
        String candidateId = grpcServer.advertised().toString();
        channels = new CoordinationChannels(coordination);
        instance = new GroupsInstance(channels, config, candidateId, config.instanceId().orElse(candidateId), Clock.systemUTC());
        instance.start();
    }

    /** Withdraws from the election and coordination. Idempotent; {@link #start()} may follow. */
    public synchronized void stop() {
        if (instance != null) {
            instance.close();
            instance = null;
        }
        if (channels != null) {
            channels.close();
            channels = null;
        }
    }

    /** The instance, empty before start; never throws (metrics read it). */
    public Optional<GroupsInstance> instanceIfStarted() {
        return Optional.ofNullable(instance);
    }

    /** The coordinator; NOT_COORDINATOR on a standby, while loading, and before start. */
    public GroupCoordinator coordinator() {
        GroupsInstance i = instance;
        if (i == null) {
            throw GroupsInstance.notCoordinator("the groups instance is starting; retry shortly", Optional.empty());
        }
        return i.coordinator();
    }

    /** The active instance's address when known and not this one (for NOT_COORDINATOR trailers). */
    public Optional<String> activeAddress() {
        return instanceIfStarted().flatMap(GroupsInstance::activeAddress);
    }
}
