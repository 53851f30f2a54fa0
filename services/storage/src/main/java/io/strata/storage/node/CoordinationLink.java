package io.strata.storage.node;

import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.proto.v1.KeepAlive;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.QuotaSnapshot;
import io.strata.proto.v1.RegisterNode;
import io.strata.proto.v1.WatchAssignmentsRequest;
import io.strata.proto.v1.WatchQuotasRequest;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationSession;
import io.strata.runtime.coordination.CoordinationWatch;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The storage node's streams to coordination: its session ({@link CoordinationSession}:
 * register, keep-alives), its assignment watch, the quota watch and the watch of the replication
 * controller's election ({@link CoordinationWatch}).
 * Any stream that ends is reopened after a short back-off on the next coordination instance, for
 * as long as the node runs, so a coordination restart or outage heals by itself.
 */
public final class CoordinationLink implements AutoCloseable {

    /** The coordination election the replication controllers campaign in. */
    public static final String CONTROLLER_ELECTION = "replication";

    private final CoordinationChannels channels;
    private final CoordinationSession session;
    private final CoordinationWatch<AssignmentSnapshot> assignments;
    private final CoordinationWatch<QuotaSnapshot> quotas;
    private final CoordinationWatch<LeadershipEvent> controller;

    public CoordinationLink(List<HostPort> endpoints, ScheduledExecutorService scheduler, NodeIdentity identity,
                            HostPort advertised, String rack, int sessionTimeoutMs, BooleanSupplier uncleanShutdown,
                            Consumer<AssignmentSnapshot> onAssignments, Consumer<QuotaSnapshot> onQuotas,
                            Consumer<LeadershipEvent> onController) {
        this.channels = new CoordinationChannels(endpoints);
        String who = "node " + identity.nodeId();
        this.session = new CoordinationSession(channels, scheduler, RegisterNode.newBuilder()
                .setRole(NodeRole.STORAGE)
                .setNodeId(identity.nodeId())
                .setInstanceId(identity.instanceId())
                .setHost(advertised.host())
                .setPort(advertised.port())
                .setRack(rack)
                .setSessionTimeoutMs(sessionTimeoutMs)
                .setReady(true)
                .setUncleanShutdown(uncleanShutdown.getAsBoolean())
                .build(), who,
                () -> KeepAlive.newBuilder().setReady(true).setUncleanShutdown(uncleanShutdown.getAsBoolean()).build());
        WatchAssignmentsRequest watchAssignments = WatchAssignmentsRequest.newBuilder().setNodeId(identity.nodeId()).build();
        this.assignments = new CoordinationWatch<>(channels, scheduler, who + " assignment watch",
                (stub, observer) -> stub.watchAssignments(watchAssignments, observer), onAssignments);
        this.quotas = new CoordinationWatch<>(channels, scheduler, who + " quota watch",
                (stub, observer) -> stub.watchQuotas(WatchQuotasRequest.getDefaultInstance(), observer), onQuotas);
        ObserveRequest observe = ObserveRequest.newBuilder().setElection(CONTROLLER_ELECTION).build();
        this.controller = new CoordinationWatch<>(channels, scheduler, who + " replication controller watch",
                (stub, observer) -> stub.observe(observe, observer), onController);
    }

    public void start() {
        session.start();
        assignments.start();
        quotas.start();
        controller.start();
    }

    /** Whether the session is registered right now. */
    public boolean registered() {
        return session.registered();
    }

    @Override
    public void close() {
        session.close();
        assignments.close();
        quotas.close();
        controller.close();
        channels.close();
    }
}
