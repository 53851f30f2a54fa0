package io.strata.storage.node;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.KeepAlive;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.NodeSessionRequest;
import io.strata.proto.v1.NodeSessionResponse;
import io.strata.proto.v1.RegisterNode;
import io.strata.proto.v1.WatchAssignmentsRequest;
import io.strata.runtime.HostPort;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The storage node's two streams to coordination: its session (register, then keep-alives
 * every third of the session timeout) and its assignment watch. Either stream that ends is
 * reopened after a short back-off, for as long as the node runs, so a coordination restart
 * or outage heals by itself.
 */
public final class CoordinationLink implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CoordinationLink.class);
    private static final long RECONNECT_MS = 1000;

    private final List<ManagedChannel> channels;
    private final AtomicInteger attempts = new AtomicInteger();
    private final ScheduledExecutorService scheduler;
    private final NodeIdentity identity;
    private final HostPort advertised;
    private final String rack;
    private final int sessionTimeoutMs;
    private final Consumer<AssignmentSnapshot> onAssignments;
    private volatile boolean closed;
    private volatile boolean registered;
    private volatile StreamObserver<NodeSessionRequest> session;
    private volatile ScheduledFuture<?> keepAlives;
    private volatile ClientCallStreamObserver<WatchAssignmentsRequest> watch;

    public CoordinationLink(List<HostPort> endpoints, ScheduledExecutorService scheduler, NodeIdentity identity,
                            HostPort advertised, String rack, int sessionTimeoutMs, Consumer<AssignmentSnapshot> onAssignments) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no coordination endpoint configured (strata.coordination.endpoints)");
        }
        this.channels = endpoints.stream()
                .map(e -> (ManagedChannel) NettyChannelBuilder.forAddress(e.host(), e.port()).usePlaintext().build())
                .toList();
        this.scheduler = scheduler;
        this.identity = identity;
        this.advertised = advertised;
        this.rack = rack;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.onAssignments = onAssignments;
    }

    public void start() {
        openSession();
        openWatch();
    }

    /** Whether the session is registered right now. */
    public boolean registered() {
        return registered;
    }

    private void openSession() {
        if (closed) {
            return;
        }
        StreamObserver<NodeSessionRequest> requests = stub().nodeSession(new StreamObserver<>() {
            @Override
            public void onNext(NodeSessionResponse value) {
                if (!registered) {
                    LOG.infof("node %d registered with coordination (lease %d, session timeout %d ms)", identity.nodeId(),
                            value.getLeaseId(), value.getSessionTimeoutMs());
                }
                registered = true;
            }

            @Override
            public void onError(Throwable t) {
                sessionEnded("failed: " + t.getMessage());
            }

            @Override
            public void onCompleted() {
                sessionEnded("closed by coordination");
            }
        });
        session = requests;
        requests.onNext(NodeSessionRequest.newBuilder().setRegister(RegisterNode.newBuilder()
                .setRole(NodeRole.STORAGE)
                .setNodeId(identity.nodeId())
                .setInstanceId(identity.instanceId())
                .setHost(advertised.host())
                .setPort(advertised.port())
                .setRack(rack)
                .setSessionTimeoutMs(sessionTimeoutMs)
                .setReady(true)).build());
        long period = Math.max(200, sessionTimeoutMs / 3);
        keepAlives = scheduler.scheduleAtFixedRate(() -> {
            try {
                requests.onNext(NodeSessionRequest.newBuilder().setKeepAlive(KeepAlive.newBuilder().setReady(true)).build());
            } catch (RuntimeException e) {
                LOG.debugf("keep-alive not sent: %s", e.getMessage());
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    /** The endpoint to use: each failure moves on to the next configured coordination instance. */
    private CoordinationGrpc.CoordinationStub stub() {
        return CoordinationGrpc.newStub(channels.get(Math.floorMod(attempts.get(), channels.size())));
    }

    private synchronized void sessionEnded(String why) {
        registered = false;
        attempts.incrementAndGet();
        ScheduledFuture<?> k = keepAlives;
        if (k != null) {
            k.cancel(false);
        }
        if (!closed) {
            LOG.warnf("node %d session with coordination %s; re-registering in %d ms", identity.nodeId(), why, RECONNECT_MS);
            scheduler.schedule(this::openSession, RECONNECT_MS, TimeUnit.MILLISECONDS);
        }
    }

    private void openWatch() {
        if (closed) {
            return;
        }
        stub().watchAssignments(WatchAssignmentsRequest.newBuilder().setNodeId(identity.nodeId()).build(),
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
        attempts.incrementAndGet();
        if (!closed) {
            LOG.warnf("node %d assignment watch %s; reopening in %d ms", identity.nodeId(), why, RECONNECT_MS);
            scheduler.schedule(this::openWatch, RECONNECT_MS, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> k = keepAlives;
        if (k != null) {
            k.cancel(false);
        }
        StreamObserver<NodeSessionRequest> s = session;
        if (s != null) {
            try {
                s.onCompleted();
            } catch (RuntimeException ignored) {
                // The stream is already gone; the lease expires on its own.
            }
        }
        ClientCallStreamObserver<WatchAssignmentsRequest> w = watch;
        if (w != null) {
            w.cancel("node shutting down", null);
        }
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
    }
}
