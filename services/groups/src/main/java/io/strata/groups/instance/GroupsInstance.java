package io.strata.groups.instance;

import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.strata.groups.config.GroupsConfig;
import io.strata.groups.coordinator.GroupCoordinator;
import io.strata.groups.lag.StoragePartitionOffsets;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.RegisterNode;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationSession;
import io.strata.runtime.coordination.SingletonRoleElection;

import java.time.Clock;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One groups instance: its session with coordination (role GROUPS) and its candidacy in
 * coordination's election {@value #ELECTION} ({@link SingletonRoleElection}, as the replication
 * controller: candidate id = its advertised {@code host:port}, which is what clients read from
 * Observe to find the active instance; hot standby, campaigning again when a term is lost); while
 * it leads, an {@link ActiveTerm}. When coordination refuses a write of the current term with
 * NOT_COORDINATOR (the term no longer leads, e.g. the lease expired during a pause) the instance
 * steps down ({@link SingletonRoleElection#stepDown}). A standby names the active instance in its
 * NOT_COORDINATOR refusals.
 *
 * <p>Thread-safe.
 */
public final class GroupsInstance implements AutoCloseable {

    public static final String ELECTION = "groups";

    private final ScheduledExecutorService scheduler;
    private final CoordinationSession session;
    private final SingletonRoleElection<ActiveTerm> election;
    private final StoragePartitionOffsets offsets;

    /**
     * @param candidateId this instance's advertised {@code host:port}
     * @param instanceId  its registration id (default: {@code candidateId})
     */
    public GroupsInstance(CoordinationChannels channels, GroupsConfig config, String candidateId, String instanceId, Clock clock) {
        AtomicInteger threads = new AtomicInteger();
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "strata-groups-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        HostPort address = HostPort.parse(candidateId);
        this.session = new CoordinationSession(channels, scheduler, RegisterNode.newBuilder()
                .setRole(NodeRole.GROUPS)
                .setInstanceId(instanceId)
                .setHost(address.host())
                .setPort(address.port())
                .setSessionTimeoutMs(config.coordinationSessionTimeoutMs())
                .setReady(true)
                .build(), "groups " + instanceId);
        this.offsets = new StoragePartitionOffsets(this::latestMetadata);
        this.election = new SingletonRoleElection<>(channels, scheduler, ELECTION, candidateId, config.coordinationSessionTimeoutMs(),
                term -> new ActiveTerm(ELECTION, term, channels, scheduler, config, clock, offsets, this::deposed));
    }

    public void start() {
        session.start();
        election.start();
    }

    /** This instance's candidate id: its advertised {@code host:port}. */
    public String candidateId() {
        return election.candidateId();
    }

    /** Whether this instance leads the election now (it may still be loading the groups). */
    public boolean isLeader() {
        return election.term().isPresent();
    }

    /** Whether this instance is the active one and serves: it leads and has loaded every group. */
    public boolean isActive() {
        return activeCoordinator().isPresent();
    }

    /** The election term this instance leads in, if it does. */
    public OptionalLong currentTerm() {
        return election.term().map(t -> OptionalLong.of(t.term())).orElse(OptionalLong.empty());
    }

    /** Registered with coordination. */
    public boolean registered() {
        return session.registered();
    }

    /** The active instance's address as observed, when known and not this instance. */
    public Optional<String> activeAddress() {
        return election.otherLeader();
    }

    /** The coordinator, while this instance serves; empty on a standby, while loading, and after close. */
    public Optional<GroupCoordinator> activeCoordinator() {
        return election.term().map(ActiveTerm::coordinator);
    }

    /**
     * The coordinator; otherwise a NOT_COORDINATOR refusal naming the active instance in the
     * {@code strata-leader} trailer when it is known (this one while it loads).
     */
    public GroupCoordinator coordinator() {
        ActiveTerm t = election.term().orElse(null);
        GroupCoordinator c = t == null ? null : t.coordinator();
        if (c != null) {
            return c;
        }
        if (t != null) {
            throw notCoordinator("groups instance " + candidateId() + " was just elected (term " + t.term()
                    + ") and is loading the groups; retry shortly", Optional.of(candidateId()));
        }
        Optional<String> active = activeAddress();
        throw notCoordinator("groups instance " + candidateId() + " is a standby; "
                + active.map(a -> "the active one is " + a).orElse("no active instance is known yet; retry"), active);
    }

    /** A NOT_COORDINATOR refusal with {@code leader} in the {@code strata-leader} trailer when present. */
    public static StatusRuntimeException notCoordinator(String message, Optional<String> leader) {
        Metadata trailers = new Metadata();
        leader.ifPresent(l -> trailers.put(StrataError.LEADER_KEY, l));
        return StrataError.exception(ErrorCode.NOT_COORDINATOR, message, trailers);
    }

    /** The newest cluster snapshot of the current term (what leader lookups use); empty on a standby. */
    public Optional<ClusterMetadata> latestMetadata() {
        return election.term().flatMap(ActiveTerm::latest);
    }

    /** Coordination refused a write of {@code term}: it no longer leads. */
    private void deposed(long term) {
        election.stepDown(term);
    }

    /**
     * Leaves: stops the term, withdraws the candidacy (cancelling the Campaign stream makes
     * coordination revoke its lease, so a standby takes over at once), ends the session and closes
     * the channels to storage.
     */
    @Override
    public void close() {
        election.close();
        session.close();
        offsets.close();
        scheduler.shutdownNow();
    }
}
