package io.strata.runtime.coordination;

import io.grpc.stub.StreamObserver;
import io.strata.proto.v1.KeepAlive;
import io.strata.proto.v1.NodeSessionRequest;
import io.strata.proto.v1.NodeSessionResponse;
import io.strata.proto.v1.RegisterNode;
import org.jboss.logging.Logger;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A role's session with coordination (the NodeSession stream): register, then a keep-alive
 * every third of the session timeout. A session that ends — coordination restarted or
 * unreachable, the lease lost after a pause or an etcd outage — is opened again after a short
 * back-off on the next coordination instance, for as long as the role runs; the same
 * {@code instance_id} takes its own registration over, so a restart is not refused.
 */
public final class CoordinationSession implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CoordinationSession.class);
    static final long RECONNECT_MS = 1000;

    private final CoordinationChannels channels;
    private final ScheduledExecutorService scheduler;
    private final RegisterNode registration;
    private final String who;
    private final Supplier<KeepAlive> keepAlive;
    private volatile boolean closed;
    private volatile boolean registered;
    private volatile StreamObserver<NodeSessionRequest> session;
    private volatile ScheduledFuture<?> keepAlives;

    /**
     * @param registration what the first message registers (role, ids, address, session timeout, ready)
     * @param who          how logs name this role instance, e.g. "node 2"
     */
    public CoordinationSession(CoordinationChannels channels, ScheduledExecutorService scheduler, RegisterNode registration,
                               String who) {
        this(channels, scheduler, registration, who,
                () -> KeepAlive.newBuilder().setReady(registration.getReady()).setUncleanShutdown(registration.getUncleanShutdown())
                        .build());
    }

    /**
     * @param keepAlive what each keep-alive says (readiness and the unclean-shutdown flag as they are now)
     */
    public CoordinationSession(CoordinationChannels channels, ScheduledExecutorService scheduler, RegisterNode registration,
                               String who, Supplier<KeepAlive> keepAlive) {
        this.channels = channels;
        this.scheduler = scheduler;
        this.registration = registration;
        this.who = who;
        this.keepAlive = keepAlive;
    }

    public void start() {
        open();
    }

    /** Whether the session is registered right now. */
    public boolean registered() {
        return registered;
    }

    private void open() {
        if (closed) {
            return;
        }
        StreamObserver<NodeSessionRequest> requests = channels.stub().nodeSession(new StreamObserver<>() {
            @Override
            public void onNext(NodeSessionResponse value) {
                if (!registered) {
                    LOG.infof("%s registered with coordination (lease %d, session timeout %d ms)", who, value.getLeaseId(),
                            value.getSessionTimeoutMs());
                }
                registered = true;
            }

            @Override
            public void onError(Throwable t) {
                ended("failed: " + t.getMessage());
            }

            @Override
            public void onCompleted() {
                ended("closed by coordination");
            }
        });
        session = requests;
        requests.onNext(NodeSessionRequest.newBuilder().setRegister(registration).build());
        long period = Math.max(200, registration.getSessionTimeoutMs() / 3);
        keepAlives = scheduler.scheduleAtFixedRate(() -> {
            try {
                requests.onNext(NodeSessionRequest.newBuilder().setKeepAlive(keepAlive.get()).build());
            } catch (RuntimeException e) {
                LOG.debugf("keep-alive not sent: %s", e.getMessage());
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    private synchronized void ended(String why) {
        registered = false;
        channels.failed();
        ScheduledFuture<?> k = keepAlives;
        if (k != null) {
            k.cancel(false);
        }
        if (!closed) {
            LOG.warnf("%s session with coordination %s; re-registering in %d ms", who, why, RECONNECT_MS);
            scheduler.schedule(this::open, RECONNECT_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** Ends the session: coordination revokes its lease at once. */
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
    }
}
