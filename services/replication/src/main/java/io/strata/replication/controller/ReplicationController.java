package io.strata.replication.controller;

import io.grpc.Metadata;
import io.strata.proto.StrataError;
import io.strata.proto.TopicNames;
import io.strata.proto.v1.AlterIsrRequest;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ElectPreferredLeadersRequest;
import io.strata.proto.v1.ElectPreferredLeadersResponse;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionReassignment;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ReassignPartitionsRequest;
import io.strata.proto.v1.ReassignPartitionsResponse;
import io.strata.proto.v1.RegisterNode;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.TopicMetadata;
import io.strata.proto.v1.TopicPartition;
import io.strata.replication.config.ReplicationConfig;
import io.strata.replication.rules.AlterIsrRules;
import io.strata.replication.rules.LiveNodes;
import io.strata.replication.rules.PartitionChange;
import io.strata.replication.rules.ReassignmentRules;
import io.strata.replication.rules.Reconciler;
import io.strata.replication.rules.RuleViolation;
import io.strata.replication.rules.TopicPolicy;
import io.strata.runtime.coordination.CoordinationCalls;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationSession;
import io.strata.runtime.coordination.SingletonRoleElection;
import org.jboss.logging.Logger;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One replication instance: its session with coordination (role REPLICATION, so it is visible) and
 * its candidacy in coordination's election {@value #ELECTION} ({@link SingletonRoleElection}:
 * candidate id = its advertised {@code host:port}, which is what storage nodes read from Observe
 * to find the active controller; hot standby, campaigning again when a term is lost); while it
 * leads, an {@link ActiveTerm}. A standby names the active instance in its NOT_CONTROLLER refusals.
 *
 * <p>Thread-safe.
 */
public final class ReplicationController implements AutoCloseable {

    public static final String ELECTION = "replication";
    /** How long one call to coordination may take. */
    static final long CALL_DEADLINE_MS = 10_000;
    private static final Logger LOG = Logger.getLogger(ReplicationController.class);

    private final CoordinationChannels channels;
    private final ScheduledExecutorService scheduler;
    private final CoordinationSession session;
    private final SingletonRoleElection<ActiveTerm> election;
    private final LongAdder leaderChanges = new LongAdder();

    /**
     * @param candidateId this instance's advertised {@code host:port}
     * @param instanceId  its registration id (default: {@code candidateId})
     */
    public ReplicationController(CoordinationChannels channels, ReplicationConfig config, String candidateId, String instanceId) {
        this.channels = channels;
        AtomicInteger threads = new AtomicInteger();
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "strata-replication-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        int colon = candidateId.lastIndexOf(':');
        this.session = new CoordinationSession(channels, scheduler, RegisterNode.newBuilder()
                .setRole(io.strata.proto.v1.NodeRole.REPLICATION)
                .setInstanceId(instanceId)
                .setHost(colon > 0 ? candidateId.substring(0, colon) : candidateId)
                .setPort(colon > 0 ? Integer.parseInt(candidateId.substring(colon + 1)) : 0)
                .setSessionTimeoutMs(config.sessionTimeoutMs())
                .setReady(true)
                .build(), "replication " + instanceId);
        this.election = new SingletonRoleElection<>(channels, scheduler, ELECTION, candidateId, config.sessionTimeoutMs(),
                term -> new ActiveTerm(term, channels, scheduler, config, leaderChanges));
    }

    public void start() {
        session.start();
        election.start();
    }

    /** This instance's candidate id: its advertised {@code host:port}. */
    public String candidateId() {
        return election.candidateId();
    }

    /** Whether this instance is the active controller now. */
    public boolean isActive() {
        return election.term().isPresent();
    }

    /** The newest cluster snapshot of the active term; empty on a standby and before the first one. */
    public Optional<ClusterMetadata> latestSnapshot() {
        return election.term().map(ActiveTerm::latest);
    }

    /** Leader changes (elections, preferred-leader moves, to -1 too) this instance has written, over all its terms. */
    public long leaderChangesWritten() {
        return leaderChanges.sum();
    }

    /** Registered with coordination. */
    public boolean registered() {
        return session.registered();
    }

    private ActiveTerm activeTerm() {
        return election.term().orElseThrow(() -> {
            Optional<String> leader = election.otherLeader();
            Metadata trailers = new Metadata();
            leader.ifPresent(l -> trailers.put(StrataError.LEADER_KEY, l));
            return StrataError.exception(ErrorCode.NOT_CONTROLLER, "replication instance " + candidateId() + " is a standby; "
                    + leader.map(l -> "the active controller is " + l).orElse("no active controller is known yet; retry"), trailers);
        });
    }

    private static ClusterMetadata snapshotOf(ActiveTerm t) {
        ClusterMetadata snapshot = t.latest();
        if (snapshot == null) {
            throw StrataError.exception(ErrorCode.METADATA_UNAVAILABLE, "the controller has just been elected and has no cluster"
                    + " metadata yet; retry shortly");
        }
        return snapshot;
    }

    /**
     * AlterIsr: checks the request, reads the partition's current state and effective config
     * (DescribeTopic), applies {@link AlterIsrRules} with the live nodes of the newest snapshot,
     * and writes the result with compare-and-set. Completes with the stored state or the refusal.
     */
    public CompletableFuture<PartitionState> alterIsr(AlterIsrRequest request) {
        try {
            AlterIsrRules.checkShape(request);
            ActiveTerm t = activeTerm();
            LiveNodes nodes = LiveNodes.of(snapshotOf(t).getNodesList());
            return CoordinationCalls.<TopicDescription>call(channels, CALL_DEADLINE_MS,
                            (stub, o) -> stub.describeTopic(DescribeTopicRequest.newBuilder().setName(request.getTopic()).build(), o))
                    .thenCompose(topic -> {
                        PartitionState current = topic.getPartitionsList().stream()
                                .filter(p -> p.getPartition() == request.getPartition()).findFirst()
                                .orElseThrow(() -> StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '"
                                        + request.getTopic() + "' has no partition " + request.getPartition()));
                        PartitionState next = AlterIsrRules.apply(request, current, TopicPolicy.of(topic.getConfigsMap()), nodes);
                        if (next.equals(current)) {
                            return CompletableFuture.completedFuture(current);
                        }
                        return t.writer().write(new PartitionChange(request.getTopic(), current, next,
                                "AlterIsr by leader " + request.getLeaderId()));
                    });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * ElectPreferredLeaders: moves the named partitions' (all when none is named) leadership to
     * their preferred replica where {@link io.strata.replication.rules.PartitionRules#preferLeader}
     * allows, on the newest snapshot. Completes with the partitions whose leader changed.
     */
    public CompletableFuture<ElectPreferredLeadersResponse> electPreferredLeaders(ElectPreferredLeadersRequest request) {
        try {
            Set<TopicPartition> named = new HashSet<>();
            for (TopicPartition tp : request.getPartitionsList()) {
                String error = TopicNames.validate(tp.getTopic());
                if (error != null) {
                    throw StrataError.exception(ErrorCode.INVALID_REQUEST, "partitions: " + error);
                }
                if (tp.getPartition() < 0) {
                    throw StrataError.exception(ErrorCode.INVALID_REQUEST, "partitions: partition must be >= 0, got "
                            + tp.getPartition() + " for topic " + tp.getTopic());
                }
                named.add(tp);
            }
            ActiveTerm t = activeTerm();
            ClusterMetadata snapshot = snapshotOf(t);
            for (TopicPartition tp : named) {
                boolean exists = snapshot.getTopicsList().stream().filter(topic -> topic.getName().equals(tp.getTopic()))
                        .map(TopicMetadata::getPartitionsCount).anyMatch(n -> tp.getPartition() < n);
                if (!exists) {
                    throw StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + tp.getTopic() + "-"
                            + tp.getPartition());
                }
            }
            List<PartitionChange> changes = Reconciler.reconcile(snapshot, tp -> named.isEmpty() || named.contains(tp)).stream()
                    .filter(c -> c.leaderChanged() && c.after().getReplicasCount() > 0 && c.after().getLeader() == c.after().getReplicas(0))
                    .filter(c -> named.isEmpty() || named.contains(TopicPartition.newBuilder().setTopic(c.topic())
                            .setPartition(c.partition()).build()))
                    .toList();
            List<CompletableFuture<Optional<PartitionState>>> writes = changes.stream()
                    .map(c -> t.writer().write(c).handle((stored, error) -> Optional.ofNullable(error == null ? stored : null)))
                    .toList();
            return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).thenApply(done -> {
                ElectPreferredLeadersResponse.Builder answer = ElectPreferredLeadersResponse.newBuilder();
                writes.forEach(w -> w.join().ifPresent(answer::addElected));
                return answer.build();
            });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * ReassignPartitions: checks the request ({@link ReassignmentRules#checkShape}), reads each
     * named topic's partitions fresh (DescribeTopic), decides every partition's new state with
     * {@link ReassignmentRules#start} against the live nodes of the newest snapshot — all before
     * anything is written, so a refused request writes nothing — then writes the changed ones with
     * compare-and-set. The reconciler finishes each reassignment once its target has caught up
     * ({@link ReassignmentRules#progress}). Completes with the states in request order (the
     * current one where nothing changed), or the first failure (a partition written before it
     * stays written; repeating the request is harmless: it decides the same state again).
     */
    public CompletableFuture<ReassignPartitionsResponse> reassignPartitions(ReassignPartitionsRequest request) {
        try {
            ReassignmentRules.checkShape(request);
            ActiveTerm t = activeTerm();
            LiveNodes nodes = LiveNodes.of(snapshotOf(t).getNodesList());
            Map<String, CompletableFuture<TopicDescription>> topics = new LinkedHashMap<>();
            for (PartitionReassignment r : request.getReassignmentsList()) {
                topics.computeIfAbsent(r.getTopic(), name -> CoordinationCalls.<TopicDescription>call(channels, CALL_DEADLINE_MS,
                        (stub, o) -> stub.describeTopic(DescribeTopicRequest.newBuilder().setName(name).build(), o)));
            }
            return CompletableFuture.allOf(topics.values().toArray(CompletableFuture[]::new)).thenCompose(read -> {
                List<PartitionChange> changes = request.getReassignmentsList().stream().map(r -> {
                    PartitionState current = topics.get(r.getTopic()).join().getPartitionsList().stream()
                            .filter(p -> p.getPartition() == r.getPartition()).findFirst()
                            .orElseThrow(() -> StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + r.getTopic()
                                    + "' has no partition " + r.getPartition()));
                    PartitionState next = ReassignmentRules.start(r.getTopic(), current, r.getReplicasList(), nodes);
                    return new PartitionChange(r.getTopic(), current, next, r.getReplicasCount() == 0
                            ? "reassignment cancelled" : "reassignment to " + r.getReplicasList() + " requested");
                }).toList();
                List<CompletableFuture<PartitionState>> writes = changes.stream()
                        .map(c -> c.after().equals(c.before()) ? CompletableFuture.completedFuture(c.before()) : t.writer().write(c))
                        .toList();
                return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).thenApply(done -> {
                    ReassignPartitionsResponse.Builder answer = ReassignPartitionsResponse.newBuilder();
                    writes.forEach(w -> answer.addStates(w.join()));
                    return answer.build();
                });
            });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Leaves: stops the term, withdraws the candidacy (a standby takes over at once) and ends the
     * session.
     */
    @Override
    public void close() {
        election.close();
        session.close();
        scheduler.shutdownNow();
    }

    /** For refusals: {@link RuleViolation} to its status. */
    public static RuntimeException toStatus(Throwable failure) {
        Throwable f = failure;
        while ((f instanceof java.util.concurrent.CompletionException || f instanceof java.util.concurrent.ExecutionException)
                && f.getCause() != null) {
            f = f.getCause();
        }
        if (f instanceof RuleViolation v) {
            return StrataError.exception(v.code(), v.getMessage());
        }
        if (f instanceof io.grpc.StatusRuntimeException s) {
            return s;
        }
        LOG.errorf(f, "replication call failed");
        return StrataError.exception(ErrorCode.INTERNAL_ERROR, "the replication controller failed: "
                + (f.getMessage() == null ? "no detail" : f.getMessage()) + " (see its log)");
    }
}
