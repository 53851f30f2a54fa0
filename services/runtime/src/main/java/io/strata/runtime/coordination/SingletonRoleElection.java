package io.strata.runtime.coordination;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.strata.proto.v1.CampaignRequest;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.ResignRequest;
import io.strata.proto.v1.ResignResponse;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * One instance of a singleton role (the replication controller, the groups coordinator) as a
 * candidate in a coordination election, hot standby: every instance campaigns (the Campaign
 * stream, candidate id = its advertised {@code host:port}, which is what others read from Observe
 * to find the active instance); the one elected runs a {@link Term} that the role makes for the
 * term number it won. The life cycle, in one place:
 * <ul>
 *   <li>the Campaign stream names this candidate: the role's term is made and started;</li>
 *   <li>the stream ends (leadership lost, coordination gone): the term stops at once and the
 *       instance campaigns again after {@value #RECAMPAIGN_MS} ms; a failure that finds the
 *       coordination instance unusable ({@link CoordinationCalls#instanceUnusable}) also moves the
 *       role's channels on to the next one;</li>
 *   <li>{@link #stepDown}: the role learnt that its term no longer leads (coordination refused a
 *       write fenced with it): the term stops, the candidacy is resigned, and the instance
 *       campaigns again;</li>
 *   <li>{@link #close}: the term stops and the candidacy is withdrawn (cancelling the Campaign
 *       stream makes coordination revoke its lease, so a standby takes over at once).</li>
 * </ul>
 * It also observes the election (Observe), so a standby can name the active instance in its
 * refusals ({@link #otherLeader()}).
 *
 * <p>Thread-safe. Terms are made, started and stopped under this object's lock, one at a time;
 * {@link #term()} reads without it.
 *
 * @param <T> what a term does, in the role
 */
public final class SingletonRoleElection<T extends SingletonRoleElection.Term> implements AutoCloseable {

    /** A role's term as the active instance, from winning the election to losing it. */
    public interface Term {

        /** Starts the term's work; runs under the election's lock, so it must not block. */
        void start();

        /** Ends the term at once; runs under the election's lock, so it must not block. */
        void stop();
    }

    static final long RECAMPAIGN_MS = 500;
    static final long RESIGN_DEADLINE_MS = 5_000;
    private static final Logger LOG = Logger.getLogger(SingletonRoleElection.class);

    private record Held<T>(long number, T term) {
    }

    private final CoordinationChannels channels;
    private final ScheduledExecutorService scheduler;
    private final String election;
    private final String candidateId;
    private final int sessionTimeoutMs;
    private final LongFunction<T> newTerm;
    private final String who;
    private final CoordinationWatch<LeadershipEvent> observation;
    private volatile String observedLeader = "";
    private volatile ClientCallStreamObserver<CampaignRequest> campaign;
    private volatile Held<T> held;
    private volatile boolean closed;

    /**
     * @param scheduler        runs the re-campaigns and the observation's reconnects (the role shuts it down)
     * @param election         the election's name, e.g. "replication"
     * @param candidateId      this instance's advertised {@code host:port}
     * @param sessionTimeoutMs how long coordination keeps the leadership after this instance goes silent
     * @param newTerm          makes the role's term for the election term number won (not started yet)
     */
    public SingletonRoleElection(CoordinationChannels channels, ScheduledExecutorService scheduler, String election,
                                 String candidateId, int sessionTimeoutMs, LongFunction<T> newTerm) {
        this.channels = channels;
        this.scheduler = scheduler;
        this.election = election;
        this.candidateId = candidateId;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.newTerm = newTerm;
        this.who = election + " instance " + candidateId;
        this.observation = new CoordinationWatch<>(channels, scheduler, election + " election observer",
                (stub, o) -> stub.observe(ObserveRequest.newBuilder().setElection(election).build(), o),
                event -> observedLeader = event.getLeaderId());
    }

    /** Observes the election and campaigns. */
    public void start() {
        observation.start();
        campaign();
        LOG.infof("%s campaigns in election '%s'", who, election);
    }

    /** This instance's candidate id: its advertised {@code host:port}. */
    public String candidateId() {
        return candidateId;
    }

    /** The term this instance runs now: empty on a standby and after close. */
    public Optional<T> term() {
        Held<T> h = held;
        return h == null ? Optional.empty() : Optional.of(h.term());
    }

    /** The leader's candidate id as last observed, when one is known and it is not this instance. */
    public Optional<String> otherLeader() {
        String leader = observedLeader;
        return leader.isEmpty() || leader.equals(candidateId) ? Optional.empty() : Optional.of(leader);
    }

    private void campaign() {
        if (closed) {
            return;
        }
        CampaignRequest request = CampaignRequest.newBuilder().setElection(election).setCandidateId(candidateId)
                .setSessionTimeoutMs(sessionTimeoutMs).build();
        try {
            channels.stub().campaign(request, new ClientResponseObserver<CampaignRequest, LeadershipEvent>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<CampaignRequest> call) {
                    campaign = call;
                }

                @Override
                public void onNext(LeadershipEvent event) {
                    if (event.getLeaderId().equals(candidateId)) {
                        elected(event.getTerm());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    if (CoordinationCalls.instanceUnusable(t)) {
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

    private synchronized void elected(long number) {
        Held<T> h = held;
        if (closed || (h != null && h.number() == number)) {
            return;
        }
        if (h != null) {
            h.term().stop();
        }
        T term = newTerm.apply(number);
        held = new Held<>(number, term);
        term.start();
        LOG.infof("%s is the active one (election '%s', term %d)", who, election, number);
    }

    private void campaignEnded(String why) {
        synchronized (this) {
            Held<T> h = held;
            if (h != null) {
                h.term().stop();
                held = null;
                LOG.warnf("%s stopped leading (term %d): %s", who, h.number(), why);
            }
        }
        if (closed) {
            return;
        }
        LOG.debugf("%s: %s; campaigning again in %d ms", who, why, RECAMPAIGN_MS);
        try {
            scheduler.schedule(this::campaign, RECAMPAIGN_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debugf("%s: not campaigning again: shutting down", who);
        }
    }

    /**
     * Term {@code number} no longer leads (coordination refused a write fenced with it): stops the
     * term if it is still the current one, resigns, and ends the campaign, which campaigns again.
     * Does nothing for another term.
     */
    public void stepDown(long number) {
        ClientCallStreamObserver<CampaignRequest> c;
        synchronized (this) {
            Held<T> h = held;
            if (h == null || h.number() != number) {
                return;
            }
            h.term().stop();
            held = null;
            c = campaign;
        }
        LOG.warnf("%s was deposed (term %d no longer leads election '%s'); stepping down", who, number, election);
        CoordinationCalls.<ResignResponse>call(channels, RESIGN_DEADLINE_MS, (stub, o) -> stub.resign(ResignRequest.newBuilder()
                .setElection(election).setCandidateId(candidateId).build(), o)).whenComplete((r, e) -> {
                    if (e != null) {
                        LOG.debugf("%s: resigning after term %d failed: %s", who, number, e.getMessage());
                    }
                });
        if (c != null) {
            c.cancel(who + " was deposed", null);
        }
    }

    /**
     * Leaves: stops the term, withdraws the candidacy (cancelling the Campaign stream makes
     * coordination revoke its lease, so a standby takes over at once) and stops observing.
     */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            Held<T> h = held;
            if (h != null) {
                h.term().stop();
                held = null;
            }
        }
        ClientCallStreamObserver<CampaignRequest> c = campaign;
        if (c != null) {
            c.cancel(who + " closing", null);
        }
        observation.close();
    }
}
