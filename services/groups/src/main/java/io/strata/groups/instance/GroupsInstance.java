package io.strata.groups.instance;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.strata.groups.config.GroupsConfig;
import io.strata.groups.coordinator.GroupCoordinator;
import io.strata.groups.lag.StoragePartitionOffsets;
import io.strata.groups.store.CoordinationCalls;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CampaignRequest;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.RegisterNode;
import io.strata.proto.v1.ResignRequest;
import io.strata.proto.v1.ResignResponse;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationSession;
import io.strata.runtime.coordination.CoordinationWatch;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One groups instance: its session with coordination (role GROUPS), its candidacy in
 * coordination's election {@value #ELECTION} (candidate id = its advertised {@code host:port}, which
 * is what clients read from Observe to find the active instance), and, while it leads, an
 * {@link ActiveTerm}. Hot standby, as the replication controller: every instance campaigns; when
 * the Campaign stream ends the term stops at once and the instance campaigns again after
 * {@value #RECAMPAIGN_MS} ms. When coordination refuses a write of the current term with
 * NOT_COORDINATOR (the term no longer leads, e.g. the lease expired during a pause) the instance
 * steps down: it drops the term, resigns, and campaigns again. It also observes the election, so a
 * standby names the active instance in its NOT_COORDINATOR refusals.
 *
 * <p>Thread-safe; the term is swapped under {@code this}.
 */
public final class GroupsInstance implements AutoCloseable {

    public static final String ELECTION = "groups";
    static final long RECAMPAIGN_MS = 500;
    private static final Logger LOG = Logger.getLogger(GroupsInstance.class);

    private final CoordinationChannels channels;
    private final GroupsConfig config;
    private final String candidateId;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final CoordinationSession session;
    private final CoordinationWatch<LeadershipEvent> observation;
    private final StoragePartitionOffsets offsets;
    private volatile String observedLeader = "";
    private volatile ClientCallStreamObserver<CampaignRequest> campaign;
    private volatile ActiveTerm term;
    private volatile boolean closed;

    /**
     * @param candidateId this instance's advertised {@code host:port}
     * @param instanceId  its registration id (default: {@code candidateId})
     */
    public GroupsInstance(CoordinationChannels channels, GroupsConfig config, String candidateId, String instanceId, Clock clock) {
        this.channels = channels;
        this.config = config;
        this.candidateId = candidateId;
        this.clock = clock;
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
        this.observation = new CoordinationWatch<>(channels, scheduler, "groups election observer",
                (stub, o) -> stub.observe(ObserveRequest.newBuilder().setElection(ELECTION).build(), o),
                event -> observedLeader = event.getLeaderId());
        this.offsets = new StoragePartitionOffsets(this::latestMetadata);
    }

    public void start() {
        session.start();
        observation.start();
        campaign();
        LOG.infof("groups instance %s campaigns in election '%s'", candidateId, ELECTION);
    }

    /** This instance's candidate id: its advertised {@code host:port}. */
    public String candidateId() {
        return candidateId;
    }

    /** Whether this instance leads the election now (it may still be loading the groups). */
    public boolean isLeader() {
        return term != null;
    }

    /** Whether this instance is the active one and serves: it leads and has loaded every group. */
    public boolean isActive() {
        ActiveTerm t = term;
        return t != null && t.coordinator() != null;
    }

    /** The election term this instance leads in, if it does. */
    public OptionalLong currentTerm() {
        ActiveTerm t = term;
        return t == null ? OptionalLong.empty() : OptionalLong.of(t.term());
    }

    /** Registered with coordination. */
    public boolean registered() {
        return session.registered();
    }

    /** The active instance's address as observed, when known and not this instance. */
    public Optional<String> activeAddress() {
        String leader = observedLeader;
        return leader.isEmpty() || leader.equals(candidateId) ? Optional.empty() : Optional.of(leader);
    }

    /** The coordinator, while this instance serves; empty on a standby, while loading, and after close. */
    public Optional<GroupCoordinator> activeCoordinator() {
        ActiveTerm t = term;
        return t == null ? Optional.empty() : Optional.ofNullable(t.coordinator());
    }

    /**
     * The coordinator; otherwise a NOT_COORDINATOR refusal naming the active instance in the
     * {@code strata-leader} trailer when it is known (this one while it loads).
     */
    public GroupCoordinator coordinator() {
        ActiveTerm t = term;
        GroupCoordinator c = t == null ? null : t.coordinator();
        if (c != null) {
            return c;
        }
        if (t != null) {
            throw notCoordinator("groups instance " + candidateId + " was just elected (term " + t.term()
                    + ") and is loading the groups; retry shortly", Optional.of(candidateId));
        }
        Optional<String> active = activeAddress();
        throw notCoordinator("groups instance " + candidateId + " is a standby; "
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
        ActiveTerm t = term;
        return t == null ? Optional.empty() : t.latest();
    }

    private void campaign() {
        if (closed) {
            return;
        }
        CampaignRequest request = CampaignRequest.newBuilder().setElection(ELECTION).setCandidateId(candidateId)
                .setSessionTimeoutMs(config.coordinationSessionTimeoutMs()).build();
        try {
            channels.stub().campaign(request, new ClientResponseObserver<CampaignRequest, LeadershipEvent>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<CampaignRequest> call) {
                    campaign = call;
                }

                @Override
                public void onNext(LeadershipEvent event) {
                    if (event.getLeaderId().equals(candidateId)) {
                        activate(event.getTerm());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    if (Status.fromThrowable(t).getCode() == Status.Code.UNAVAILABLE) {
                        channels.failed();
                    }
                    campaignEnded("the campaign failed: " + t.getMessage());
                }

                @Override
                public void onCompleted() {
                    campaignEnded("the campaign ended (leadership lost)");
                }
            });
        } catch (RuntimeException e) {
            campaignEnded("the campaign could not start: " + e.getMessage());
        }
    }

    private synchronized void activate(long electionTerm) {
        if (closed || (term != null && term.term() == electionTerm)) {
            return;
        }
        if (term != null) {
            term.stop();
        }
        term = new ActiveTerm(ELECTION, electionTerm, channels, scheduler, config, clock, offsets, this::deposed);
        term.start();
        LOG.infof("groups instance %s is the active one (election term %d); loading the groups", candidateId, electionTerm);
    }

    private void campaignEnded(String why) {
        synchronized (this) {
            if (term != null) {
                term.stop();
                term = null;
                LOG.warnf("groups instance %s stopped coordinating: %s", candidateId, why);
            }
        }
        if (closed) {
            return;
        }
        LOG.debugf("groups instance %s: %s; campaigning again in %d ms", candidateId, why, RECAMPAIGN_MS);
        try {
            scheduler.schedule(this::campaign, RECAMPAIGN_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debugf("not campaigning again: shutting down");
        }
    }

    /**
     * Coordination refused a write of {@code deposedTerm}: it no longer leads. Drops the term (if it
     * is still the current one), resigns, and ends the campaign, which campaigns again.
     */
    private void deposed(long deposedTerm) {
        ClientCallStreamObserver<CampaignRequest> c;
        synchronized (this) {
            if (term == null || term.term() != deposedTerm) {
                return;
            }
            term.stop();
            term = null;
            c = campaign;
        }
        LOG.warnf("groups instance %s was deposed (term %d no longer leads election '%s'); stepping down", candidateId, deposedTerm,
                ELECTION);
        CoordinationCalls.<ResignResponse>call(channels, 5_000, (stub, o) -> stub.resign(ResignRequest.newBuilder().setElection(ELECTION)
                .setCandidateId(candidateId).build(), o)).whenComplete((r, e) -> {
                    if (e != null) {
                        LOG.debugf("resigning after term %d failed: %s", deposedTerm, e.getMessage());
                    }
                });
        if (c != null) {
            c.cancel("groups instance " + candidateId + " was deposed", null);
        }
    }

    /**
     * Leaves: stops the term, withdraws the candidacy (cancelling the Campaign stream makes
     * coordination revoke its lease, so a standby takes over at once), ends the session and closes
     * the channels to storage.
     */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            if (term != null) {
                term.stop();
                term = null;
            }
        }
        ClientCallStreamObserver<CampaignRequest> c = campaign;
        if (c != null) {
            c.cancel("groups instance closing", null);
        }
        observation.close();
        session.close();
        offsets.close();
        scheduler.shutdownNow();
    }
}
