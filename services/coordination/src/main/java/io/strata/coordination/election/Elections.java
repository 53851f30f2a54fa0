package io.strata.coordination.election;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.config.CoordinationConfig;
import io.strata.coordination.layout.Keys;
import io.strata.coordination.layout.StoredValues;
import io.strata.coordination.store.Compare;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.Lease;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.MetadataStoreException;
import io.strata.coordination.store.Op;
import io.strata.coordination.store.TxnResult;
import io.strata.coordination.store.Watch;
import io.strata.coordination.store.WatchEvent;
import io.strata.coordination.store.WatchListener;
import io.strata.proto.v1.ElectionCandidate;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.LeadershipEvent;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Leader elections for singleton roles, on the store, as etcd's election recipe: a candidate
 * puts {@code elections/<name>/<lease hex>} bound to its own lease; the live key with the
 * lowest create revision leads; the term (fencing token) is that key's create revision, which
 * grows with every change of leader. Coordination keeps a candidate's lease alive (every
 * third of its TTL) while its Campaign stream is open; the stream's end revokes it.
 *
 * <p>Concurrency rule: store watch callbacks only hand work to the executor; each candidacy
 * and observation re-reads the election's keys under its own lock and acts on what it reads,
 * so duplicated or reordered triggers are harmless. Thread-safe.
 */
public final class Elections implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Elections.class);
    /** A valid election name (it is one key segment). */
    static final Pattern NAME = Pattern.compile("[a-zA-Z0-9._-]{1,128}");
    private static final int MAX_CANDIDATE_ID_LENGTH = 256;

    private final MetadataStore store;
    private final ScheduledExecutorService executor;
    private final Duration defaultTtl;
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();

    public Elections(MetadataStore store, ScheduledExecutorService executor, Duration defaultTtl) {
        this.store = store;
        this.executor = executor;
        this.defaultTtl = defaultTtl;
    }

    /** What a campaign tells its caller. Called from executor threads, one call at a time. */
    public interface CampaignListener {
        /** This candidate leads now (called at most once). */
        void elected(LeadershipEvent event);

        /** The candidacy is over: resigned, or its lease expired or was revoked. Nothing follows. */
        void ended();

        /** The candidacy failed (the store is closed or failing). Nothing follows. */
        void failed(Throwable error);
    }

    /**
     * Enters {@code candidateId} into {@code election}.
     *
     * @param ttl the candidate's lease TTL; zero = the coordination default
     * @throws CoordinationException INVALID_REQUEST for a bad name, id or TTL
     */
    public Candidacy campaign(String election, String candidateId, Duration ttl, CampaignListener listener) {
        checkName(election);
        if (candidateId.isEmpty() || candidateId.length() > MAX_CANDIDATE_ID_LENGTH) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "candidate_id must be 1.." + MAX_CANDIDATE_ID_LENGTH
                    + " characters, got " + candidateId.length());
        }
        Duration leaseTtl = ttl.isZero() ? defaultTtl : ttl;
        if (leaseTtl.toMillis() < CoordinationConfig.MIN_SESSION_TIMEOUT_MS || leaseTtl.toMillis() > CoordinationConfig.MAX_SESSION_TIMEOUT_MS) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "session_timeout_ms must be 0 or in ["
                    + CoordinationConfig.MIN_SESSION_TIMEOUT_MS + ", " + CoordinationConfig.MAX_SESSION_TIMEOUT_MS + "], got " + ttl.toMillis());
        }
        Candidacy candidacy = new Candidacy(election, candidateId, listener);
        candidacy.start(leaseTtl);
        open.add(candidacy);
        return candidacy;
    }

    /**
     * Withdraws every candidacy of {@code candidateId} in {@code election} (leading or
     * waiting) by revoking its lease. Idempotent.
     *
     * @return how many candidacies ended
     */
    public int resign(String election, String candidateId) {
        checkName(election);
        if (candidateId.isEmpty()) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "candidate_id must not be empty");
        }
        int resigned = 0;
        for (KeyValue kv : store.getPrefix(Keys.electionPrefix(election)).kvs()) {
            if (StoredValues.parse(kv, ElectionCandidate.parser()).getCandidateId().equals(candidateId)
                    && store.revokeLease(kv.leaseId())) {
                resigned++;
            }
        }
        LOG.infof("election %s: candidate %s resigned (%d candidacies)", election, candidateId, resigned);
        return resigned;
    }

    /**
     * Follows {@code election}: {@code listener} gets the current leader at once (an empty
     * {@code leader_id} and term 0 when there is none), then every change.
     *
     * @throws CoordinationException INVALID_REQUEST for a bad name
     */
    public Observation observe(String election, Consumer<LeadershipEvent> listener, Consumer<Throwable> onFailure) {
        checkName(election);
        Observation observation = new Observation(election, listener, onFailure);
        observation.start();
        open.add(observation);
        return observation;
    }

    /**
     * Withdraws every candidacy this instance runs (revoking their leases, so a standby
     * elsewhere takes over at once instead of after a TTL) and stops every observation.
     */
    @Override
    public void close() {
        for (AutoCloseable c : List.copyOf(open)) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debugf("closing %s: %s", c, e.getMessage());
            }
        }
    }

    /** Runs {@code task} on the executor, unless it has stopped (shutdown: nothing left to do). */
    private void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debug("election task dropped: coordination is shutting down");
        }
    }

    private static void checkName(String election) {
        if (!NAME.matcher(election).matches()) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "election name must be 1..128 characters of"
                    + " [a-zA-Z0-9._-], got '" + election + "'");
        }
    }

    /** The leader's key in a read of an election's prefix: the lowest create revision. */
    static Optional<KeyValue> leaderOf(List<KeyValue> candidates) {
        return candidates.stream().min(Comparator.comparingLong(KeyValue::createRevision));
    }

    private static LeadershipEvent event(String election, Optional<KeyValue> leader) {
        LeadershipEvent.Builder event = LeadershipEvent.newBuilder().setElection(election);
        leader.ifPresent(kv -> event.setLeaderId(StoredValues.parse(kv, ElectionCandidate.parser()).getCandidateId())
                .setTerm(kv.createRevision()));
        return event.build();
    }

    /** One candidate's campaign. {@link #close()} withdraws it without telling the listener. */
    public final class Candidacy implements AutoCloseable {
        private final String election;
        private final String candidateId;
        private final CampaignListener listener;
        private long leaseId;
        private String key;
        private Watch watch;
        private ScheduledFuture<?> keepAlive;
        private boolean elected;
        private boolean over;

        private Candidacy(String election, String candidateId, CampaignListener listener) {
            this.election = election;
            this.candidateId = candidateId;
            this.listener = listener;
        }

        private synchronized void start(Duration ttl) {
            Lease lease = store.grantLease(ttl);
            leaseId = lease.id();
            key = Keys.electionCandidate(election, leaseId);
            try {
                watch = store.watchPrefix(Keys.electionPrefix(election), 0, new WatchListener() {
                    @Override
                    public void onEvents(List<WatchEvent> events) {
                        submit(Candidacy.this::evaluate);
                    }

                    @Override
                    public void onError(MetadataStoreException error) {
                        submit(() -> fail(error));
                    }
                });
                TxnResult put = store.txn(List.of(Compare.absent(key)),
                        List.of(Op.put(key, ElectionCandidate.newBuilder().setCandidateId(candidateId).build().toByteArray(), leaseId)));
                if (!put.succeeded()) {
                    throw new IllegalStateException("election key " + key + " exists for a fresh lease");
                }
            } catch (RuntimeException e) {
                cleanUp();
                throw e;
            }
            long period = Math.max(1, lease.ttl().toMillis() / 3);
            try {
                keepAlive = executor.scheduleWithFixedDelay(this::keepAlive, period, period, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                cleanUp();
                throw new MetadataStoreException(MetadataStoreException.Reason.CLOSED, "coordination is shutting down");
            }
            LOG.infof("election %s: %s is a candidate (lease %d)", election, candidateId, leaseId);
            submit(this::evaluate);
        }

        private void keepAlive() {
            synchronized (this) {
                if (over) {
                    return;
                }
            }
            try {
                if (!store.keepAlive(leaseId)) {
                    evaluate();
                }
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        private synchronized void evaluate() {
            if (over) {
                return;
            }
            try {
                List<KeyValue> candidates = store.getPrefix(Keys.electionPrefix(election)).kvs();
                Optional<KeyValue> leader = leaderOf(candidates);
                if (candidates.stream().noneMatch(kv -> kv.key().equals(key))) {
                    over = true;
                    cleanUp();
                    LOG.infof("election %s: %s is no longer a candidate%s", election, candidateId, elected ? " (leadership lost)" : "");
                    listener.ended();
                    return;
                }
                if (!elected && leader.isPresent() && leader.get().key().equals(key)) {
                    elected = true;
                    LeadershipEvent event = event(election, leader);
                    LOG.infof("election %s: %s leads (term %d)", election, candidateId, event.getTerm());
                    listener.elected(event);
                }
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        private synchronized void fail(Throwable error) {
            if (over) {
                return;
            }
            over = true;
            cleanUp();
            LOG.warnf("election %s: candidacy of %s failed: %s", election, candidateId, error.getMessage());
            listener.failed(error);
        }

        private void cleanUp() {
            open.remove(this);
            if (keepAlive != null) {
                keepAlive.cancel(false);
            }
            if (watch != null) {
                watch.close();
            }
            try {
                store.revokeLease(leaseId);
            } catch (RuntimeException e) {
                LOG.debugf("revoking election lease %d: %s", leaseId, e.getMessage());
            }
        }

        @Override
        public synchronized void close() {
            if (over) {
                return;
            }
            over = true;
            cleanUp();
            LOG.infof("election %s: %s withdrew", election, candidateId);
        }
    }

    /** An observer of one election. {@link #close()} stops it. */
    public final class Observation implements AutoCloseable {
        private final String election;
        private final Consumer<LeadershipEvent> listener;
        private final Consumer<Throwable> onFailure;
        private Watch watch;
        private LeadershipEvent last;
        private boolean over;

        private Observation(String election, Consumer<LeadershipEvent> listener, Consumer<Throwable> onFailure) {
            this.election = election;
            this.listener = listener;
            this.onFailure = onFailure;
        }

        private synchronized void start() {
            watch = store.watchPrefix(Keys.electionPrefix(election), 0, new WatchListener() {
                @Override
                public void onEvents(List<WatchEvent> events) {
                    submit(Observation.this::evaluate);
                }

                @Override
                public void onError(MetadataStoreException error) {
                    submit(() -> fail(error));
                }
            });
            submit(this::evaluate);
        }

        private synchronized void evaluate() {
            if (over) {
                return;
            }
            try {
                LeadershipEvent now = event(election, leaderOf(store.getPrefix(Keys.electionPrefix(election)).kvs()));
                if (!now.equals(last)) {
                    last = now;
                    listener.accept(now);
                }
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        private synchronized void fail(Throwable error) {
            if (over) {
                return;
            }
            over = true;
            open.remove(this);
            watch.close();
            onFailure.accept(error);
        }

        @Override
        public synchronized void close() {
            over = true;
            open.remove(this);
            if (watch != null) {
                watch.close();
            }
        }
    }
}
