package io.strata.coordination.nodes;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.config.CoordinationConfig;
import io.strata.coordination.layout.Keys;
import io.strata.coordination.layout.StoredValues;
import io.strata.coordination.store.Compare;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.Lease;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.Op;
import io.strata.coordination.store.TxnResult;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.NodeRecord;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.RegisterNode;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Node sessions: a node registers by putting {@code nodes/<role>/<id>} bound to a lease of its
 * session timeout, keeps the lease alive, and is gone when the lease ends (expiry, or the
 * session's end revoking it). No gRPC here; thread-safe (stateless, compare-and-set writes).
 *
 * <p>The record keeps what the node said of itself, including {@code unclean_shutdown} (see
 * {@link NodeRecords}); a takeover by the same instance replaces it with the new registration's.
 *
 * <p>One live registration per key. A second registration of the same id is refused
 * (NODE_ALREADY_REGISTERED) unless it comes from the same instance (the UUID a node keeps in
 * its data directory): then it takes over, because a restarted node registers again before
 * its old lease has expired. The takeover writes the key under the new lease first and only
 * then revokes the old lease, so the node never looks dead in between.
 */
public final class NodeRegistry {

    private static final Logger LOG = Logger.getLogger(NodeRegistry.class);
    private static final int ATTEMPTS = 5;
    private static final int MAX_ID_LENGTH = 255;

    private final MetadataStore store;
    private final Duration defaultTimeout;
    private final Clock clock;

    public NodeRegistry(MetadataStore store, Duration defaultTimeout, Clock clock) {
        this.store = store;
        this.defaultTimeout = defaultTimeout;
        this.clock = clock;
    }

    /**
     * Registers a node under a new lease.
     *
     * @throws CoordinationException INVALID_REQUEST (bad fields), NODE_ALREADY_REGISTERED (the id
     *     is live under another instance), CAS_FAILED (lost {@value #ATTEMPTS} races in a row)
     */
    public Registration register(RegisterNode request) {
        NodeRole role = request.getRole();
        Duration ttl = validate(request);
        String id = role == NodeRole.STORAGE ? Integer.toString(request.getNodeId()) : request.getInstanceId();
        String key = Keys.node(role, id);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Optional<KeyValue> existing = store.get(key);
            if (existing.isPresent()) {
                NodeRecord live = StoredValues.parse(existing.get(), NodeRecord.parser());
                if (!live.getInstanceId().equals(request.getInstanceId())) {
                    throw new CoordinationException(ErrorCode.NODE_ALREADY_REGISTERED, describe(role, request) + " is already registered"
                            + " by a live node at " + live.getHost() + ":" + live.getPort() + " (instance " + live.getInstanceId()
                            + "); give this node another id, or stop the other one and wait for its session to expire");
                }
            }
            NodeRecord record = NodeRecord.newBuilder()
                    .setRole(role)
                    .setNodeId(role == NodeRole.STORAGE ? request.getNodeId() : 0)
                    .setInstanceId(request.getInstanceId())
                    .setHost(request.getHost())
                    .setPort(request.getPort())
                    .setRack(request.getRack())
                    .setReady(request.getReady())
                    .setRegisteredMs(clock.millis())
                    .setUncleanShutdown(request.getUncleanShutdown())
                    .build();
            Lease lease = store.grantLease(ttl);
            Compare unchanged = existing.map(kv -> Compare.modRevision(key, kv.modRevision())).orElse(Compare.absent(key));
            TxnResult result;
            try {
                result = store.txn(List.of(unchanged), List.of(Op.put(key, record.toByteArray(), lease.id())));
            } catch (RuntimeException e) {
                revokeQuietly(lease.id());
                throw e;
            }
            if (!result.succeeded()) {
                revokeQuietly(lease.id());
                continue;
            }
            if (existing.isPresent() && existing.get().leaseId() != 0) {
                LOG.infof("%s re-registered by the same instance %s; its earlier session (lease %d) is over",
                        describe(role, request), request.getInstanceId(), existing.get().leaseId());
                revokeQuietly(existing.get().leaseId());
            } else {
                LOG.infof("%s registered from %s:%d (instance %s, lease %d, ttl %d ms, ready %s%s)", describe(role, request),
                        request.getHost(), request.getPort(), request.getInstanceId(), lease.id(), lease.ttl().toMillis(),
                        request.getReady(), request.getUncleanShutdown() ? ", after an unclean shutdown" : "");
            }
            return new Registration(key, lease.id(), lease.ttl(), record, result.revision());
        }
        throw new CoordinationException(ErrorCode.CAS_FAILED, "registration of " + describe(role, request) + " raced with "
                + ATTEMPTS + " other registrations of the same id; retry");
    }

    /**
     * Keeps a registration's lease alive and records the node's readiness and, for a storage node
     * that restarted after an unclean shutdown, that it has caught up (the flag clears, never sets).
     *
     * @return the registration, updated when readiness or the flag changed
     * @throws CoordinationException REQUEST_TIMED_OUT when the lease expired (the node must
     *     register again in a new session), NODE_ALREADY_REGISTERED when a newer session of
     *     the same instance took the registration over
     */
    public Registration keepAlive(Registration registration, boolean ready, boolean uncleanShutdown) {
        if (!store.keepAlive(registration.leaseId())) {
            throw sessionOver(registration);
        }
        // The unclean-shutdown flag only ever clears within a session (the node caught up).
        boolean unclean = registration.record().getUncleanShutdown() && uncleanShutdown;
        if (registration.record().getReady() == ready && registration.record().getUncleanShutdown() == unclean) {
            return registration;
        }
        NodeRecord updated = registration.record().toBuilder().setReady(ready).setUncleanShutdown(unclean).build();
        TxnResult result = store.txn(List.of(Compare.modRevision(registration.key(), registration.modRevision())),
                List.of(Op.put(registration.key(), updated.toByteArray(), registration.leaseId())));
        if (!result.succeeded()) {
            throw sessionOver(registration);
        }
        if (registration.record().getReady() != ready) {
            LOG.infof("%s is %s", registration.key(), ready ? "ready" : "not ready");
        }
        if (registration.record().getUncleanShutdown() != unclean) {
            LOG.infof("%s has caught up every partition since its unclean shutdown", registration.key());
        }
        return new Registration(registration.key(), registration.leaseId(), registration.ttl(), updated, result.revision());
    }

    /** Ends a session: revokes its lease, which deletes the registration unless a newer session owns it. */
    public void end(Registration registration) {
        if (revokeQuietly(registration.leaseId())) {
            LOG.infof("%s session ended (lease %d revoked)", registration.key(), registration.leaseId());
        }
    }

    private CoordinationException sessionOver(Registration registration) {
        Optional<KeyValue> now = store.get(registration.key());
        if (now.isPresent() && now.get().leaseId() != registration.leaseId()) {
            return new CoordinationException(ErrorCode.NODE_ALREADY_REGISTERED, registration.key() + " was registered again by a"
                    + " newer session of instance " + registration.record().getInstanceId() + "; this session is over");
        }
        return new CoordinationException(ErrorCode.REQUEST_TIMED_OUT, "the session of " + registration.key() + " expired: no"
                + " keep-alive within " + registration.ttl().toMillis() + " ms; open a new session and register again");
    }

    private boolean revokeQuietly(long leaseId) {
        try {
            return store.revokeLease(leaseId);
        } catch (RuntimeException e) {
            LOG.warnf("revoking lease %d failed (it will expire on its own): %s", leaseId, e.getMessage());
            return false;
        }
    }

    private Duration validate(RegisterNode r) {
        NodeRole role = r.getRole();
        if (role == NodeRole.NODE_ROLE_UNSPECIFIED || role == NodeRole.UNRECOGNIZED) {
            throw invalid("register.role must be one of STORAGE, INGESTION, REPLICATION, GROUPS, OPERATOR");
        }
        String instance = r.getInstanceId();
        if (instance.isEmpty() || instance.length() > MAX_ID_LENGTH || !instance.chars().allMatch(c -> c > ' ' && c < 127 && c != '/')) {
            throw invalid("register.instance_id must be 1.." + MAX_ID_LENGTH + " printable ASCII characters without '/' or"
                    + " spaces (a UUID the node keeps in its data directory); got '" + instance + "'");
        }
        if (role == NodeRole.STORAGE && r.getNodeId() < 0) {
            throw invalid("register.node_id must be >= 0 for a storage node, got " + r.getNodeId());
        }
        boolean reachable = role == NodeRole.STORAGE || role == NodeRole.INGESTION;
        if (reachable && r.getHost().isBlank()) {
            throw invalid("register.host must name where clients reach this " + Keys.roleSegment(role) + " node");
        }
        if (r.getPort() < (reachable ? 1 : 0) || r.getPort() > 65535) {
            throw invalid("register.port must be in [" + (reachable ? 1 : 0) + ", 65535], got " + r.getPort());
        }
        int timeout = r.getSessionTimeoutMs();
        if (timeout == 0) {
            return defaultTimeout;
        }
        if (timeout < CoordinationConfig.MIN_SESSION_TIMEOUT_MS || timeout > CoordinationConfig.MAX_SESSION_TIMEOUT_MS) {
            throw invalid("register.session_timeout_ms must be 0 (the default, " + defaultTimeout.toMillis() + ") or in ["
                    + CoordinationConfig.MIN_SESSION_TIMEOUT_MS + ", " + CoordinationConfig.MAX_SESSION_TIMEOUT_MS + "], got " + timeout);
        }
        return Duration.ofMillis(timeout);
    }

    private static String describe(NodeRole role, RegisterNode r) {
        return role == NodeRole.STORAGE ? "node id " + r.getNodeId() : Keys.roleSegment(role) + " instance " + r.getInstanceId();
    }

    private static CoordinationException invalid(String message) {
        return new CoordinationException(ErrorCode.INVALID_REQUEST, message);
    }
}
