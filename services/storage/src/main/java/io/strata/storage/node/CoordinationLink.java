package io.strata.storage.node;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.RegisterNode;
import io.strata.proto.v1.WatchAssignmentsRequest;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationSession;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The storage node's two streams to coordination: its session ({@link CoordinationSession}:
 * register, keep-alives) and its assignment watch. Either stream that ends is reopened after a
 * short back-off on the next coordination instance, for as long as the node runs, so a
 * coordination restart or outage heals by itself.
 */
public final class CoordinationLink implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CoordinationLink.class);
    private static final long RECONNECT_MS = 1000;

    private final CoordinationChannels channels;
    private final ScheduledExecutorService scheduler;
    private final NodeIdentity identity;
    private final CoordinationSession session;
    private final Consumer<AssignmentSnapshot> onAssignments;
    private volatile boolean closed;
    private volatile ClientCallStreamObserver<WatchAssignmentsRequest> watch;

    public CoordinationLink(List<HostPort> endpoints, ScheduledExecutorService scheduler, NodeIdentity identity,
                            HostPort advertised, String rack, int sessionTimeoutMs, Consumer<AssignmentSnapshot> onAssignments) {
        this.channels = new CoordinationChannels(endpoints);
        this.scheduler = scheduler;
        this.identity = identity;
        this.session = new CoordinationSession(channels, scheduler, RegisterNode.newBuilder()
                .setRole(NodeRole.STORAGE)
                .setNodeId(identity.nodeId())
                .setInstanceId(identity.instanceId())
                .setHost(advertised.host())
                .setPort(advertised.port())
                .setRack(rack)
                .setSessionTimeoutMs(sessionTimeoutMs)
                .setReady(true)
                .build(), "node " + identity.nodeId());
        this.onAssignments = onAssignments;
    }

    public void start() {
        session.start();
        openWatch();
    }

    /** Whether the session is registered right now. */
    public boolean registered() {
        return session.registered();
    }

    private void openWatch() {
        if (closed) {
            return;
        }
        channels.stub().watchAssignments(WatchAssignmentsRequest.newBuilder().setNodeId(identity.nodeId()).build(),
                new ClientResponseObserver<WatchAssignmentsRequest, AssignmentSnapshot>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<WatchAssignmentsRequest> requestStream) {
                        watch = requestStream;
                    }

                    @Override
                    public void onNext(AssignmentSnapshot snapshot) {
                        try {
                            onAssignments.accept(snapshot);
                        } catch (RuntimeException e) {
                            LOG.errorf(e, "node %d could not apply assignments at revision %d", identity.nodeId(),
                                    snapshot.getRevision());
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        watchEnded("failed: " + t.getMessage());
                    }

                    @Override
                    public void onCompleted() {
                        watchEnded("closed by coordination");
                    }
                });
    }

    private void watchEnded(String why) {
        channels.failed();
        if (!closed) {
            LOG.warnf("node %d assignment watch %s; reopening in %d ms", identity.nodeId(), why, RECONNECT_MS);
            scheduler.schedule(this::openWatch, RECONNECT_MS, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void close() {
        closed = true;
        session.close();
        ClientCallStreamObserver<WatchAssignmentsRequest> w = watch;
        if (w != null) {
            w.cancel("node shutting down", null);
        }
        channels.close();
    }
}
