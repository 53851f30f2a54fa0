package io.strata.storage.partition;

import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.AlterIsrRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionState;
import io.strata.storage.log.LogConfig;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.log.TopicPartition;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * A partition this node holds a replica of: its log, the latest state coordination sent (leader,
 * epoch, replicas, ISR), the effective log config and the waiters for new data; and, while this
 * node leads it, the leader's replication state (docs/REPLICATION.md): each follower's progress,
 * the high watermark (the smallest log end offset over the ISR), the acks=all requests waiting
 * for it, and the ISR changes the leader asks the controller for.
 *
 * <p>Concurrency: request threads read {@code state} and {@code config} without locks; role changes,
 * follower progress, high-watermark moves and ISR changes happen under this object's lock, and the
 * callbacks they release (acks, fetch waiters) run after it is let go.
 */
public final class HostedPartition {

    private static final Logger LOG = Logger.getLogger(HostedPartition.class);
    /** After a refused or failed ISR change, the leader waits this long before asking again. */
    static final long ISR_CHANGE_BACKOFF_MS = 500;

    private final TopicPartition topicPartition;
    private final PartitionLog log;
    private final int localNode;
    private final Clock clock;
    private final IsrChangeSender isrChanges;
    private final DataWaiters waiters = new DataWaiters();
    private final PendingAcks pendingAcks;
    private volatile PartitionState state;
    private volatile LogConfig config;
    private volatile int minInsyncReplicas;
    /** This replica has held every committed record at some point since the process started. */
    private volatile boolean caughtUpSinceStart;

    // Leader state, guarded by this.
    private boolean leading;
    private final Map<Integer, FollowerProgress> followers = new HashMap<>();
    private long leaderEpochStartOffset;
    private Set<Integer> pendingIsrAdditions = Set.of();
    private boolean isrChangeInFlight;
    private long nextIsrChangeMs;

    public HostedPartition(TopicPartition topicPartition, PartitionLog log, PartitionState state, LogConfig config,
                           int minInsyncReplicas, int localNode, Clock clock, ScheduledExecutorService timer,
                           IsrChangeSender isrChanges) {
        this.topicPartition = topicPartition;
        this.log = log;
        this.localNode = localNode;
        this.clock = clock;
        this.isrChanges = isrChanges;
        this.pendingAcks = new PendingAcks(timer);
        this.state = state;
        this.config = config;
        this.minInsyncReplicas = minInsyncReplicas;
        List<Runnable> after = new ArrayList<>();
        synchronized (this) {
            applyRole(null, after);
        }
        after.forEach(Runnable::run);
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public PartitionLog log() {
        return log;
    }

    public DataWaiters waiters() {
        return waiters;
    }

    public PartitionState state() {
        return state;
    }

    public LogConfig config() {
        return config;
    }

    public int minInsyncReplicas() {
        return minInsyncReplicas;
    }

    /** Whether this node leads the partition in the state it last applied. */
    public boolean isLeader() {
        return state.getLeader() == localNode;
    }

    /**
     * Takes a newer state from coordination (or from the controller's answer to an ISR change): a
     * state older than the current one (lower partition epoch) is ignored, as an assignment snapshot
     * in flight may be. Becoming leader records the epoch's start offset in the log; losing
     * leadership fails the waiting acks=all requests.
     */
    void update(PartitionState newState, LogConfig newConfig, int newMinInsync) {
        if (!newConfig.equals(config)) {
            this.config = newConfig;
            log.updateConfig(newConfig);
        }
        List<Runnable> after = new ArrayList<>();
        synchronized (this) {
            this.minInsyncReplicas = newMinInsync;
            PartitionState old = state;
            if (newState.getPartitionEpoch() < old.getPartitionEpoch()) {
                return;
            }
            state = newState;
            applyRole(old, after);
        }
        after.forEach(Runnable::run);
    }

    /** The partition is no longer hosted here: nothing waits on it any more. */
    void close() {
        pendingAcks.failAll(StrataError.exception(ErrorCode.NOT_LEADER, topicPartition.dirName()
                + " is no longer hosted on node " + localNode + "; the record may or may not be committed"));
        waiters.signal();
    }

    private void applyRole(PartitionState old, List<Runnable> after) {
        PartitionState s = state;
        boolean leadsNow = s.getLeader() == localNode;
        if (leadsNow && (!leading || old == null || old.getLeaderEpoch() != s.getLeaderEpoch())) {
            becomeLeader(s);
        } else if (!leadsNow && leading) {
            leading = false;
            followers.clear();
            pendingIsrAdditions = Set.of();
            String leader = s.getLeader() >= 0 ? "node " + s.getLeader() : "no node (offline)";
            StatusRuntimeException moved = notLeader(s, "leadership of " + topicPartition.dirName() + " moved to " + leader
                    + " at epoch " + s.getLeaderEpoch() + " before the write was committed; it may or may not be committed");
            after.add(() -> pendingAcks.failAll(moved));
            LOG.infof("%s: node %d follows %s from epoch %d", topicPartition.dirName(), localNode, leader, s.getLeaderEpoch());
        } else if (leadsNow) {
            // Same epoch, new partition epoch: the ISR or the replica set changed.
            for (int r : s.getReplicasList()) {
                if (r != localNode) {
                    followers.computeIfAbsent(r, id -> new FollowerProgress(clock.millis()));
                }
            }
            followers.keySet().retainAll(s.getReplicasList());
        }
        if (leading) {
            long hw = advanceHighWatermarkLocked();
            if (hw >= 0) {
                after.add(() -> released(hw));
            }
        }
        if (old == null || old.getLeader() != s.getLeader() || old.getLeaderEpoch() != s.getLeaderEpoch()) {
            // Parked fetch streams re-check that they still read from the leader they were opened on.
            after.add(waiters::signal);
        }
    }

    private void becomeLeader(PartitionState s) {
        leading = true;
        caughtUpSinceStart = true; // the controller chose this log: it is the partition's history now
        long end = log.logEndOffset();
        log.assignEpochStartOffset(s.getLeaderEpoch(), end);
        leaderEpochStartOffset = end;
        followers.clear();
        long now = clock.millis();
        for (int r : s.getReplicasList()) {
            if (r != localNode) {
                followers.put(r, new FollowerProgress(now));
            }
        }
        pendingIsrAdditions = Set.of();
        isrChangeInFlight = false;
        LOG.infof("%s: node %d leads from epoch %d at offset %d (replicas %s, ISR %s, high watermark %d)",
                topicPartition.dirName(), localNode, s.getLeaderEpoch(), end, s.getReplicasList(), s.getIsrList(),
                log.highWatermark());
    }

    /**
     * The offset below which records are committed: on the leader the smallest log end offset over
     * the ISR, on a follower what its leader last told it (never above its own log end).
     */
    public long highWatermark() {
        return log.highWatermark();
    }

    /**
     * Leader: moves the high watermark to the smallest log end offset over the ISR (and the members
     * whose addition is pending, as Kafka's "maximal ISR"), but only while the ISR has at least
     * min(min.insync.replicas, replicas) members, so every committed record is on that many replicas
     * (KIP-966: the replicas that left the ISR below that size stay eligible leaders).
     *
     * @return the new high watermark, or -1 when it did not move
     */
    private long advanceHighWatermarkLocked() {
        PartitionState s = state;
        long hw = log.logEndOffset();
        for (int r : s.getIsrList()) {
            if (r != localNode) {
                FollowerProgress f = followers.get(r);
                if (f == null || f.logEndOffset() == FollowerProgress.UNKNOWN) {
                    return -1;
                }
                hw = Math.min(hw, f.logEndOffset());
            }
        }
        for (int r : pendingIsrAdditions) {
            FollowerProgress f = followers.get(r);
            hw = Math.min(hw, f == null ? FollowerProgress.UNKNOWN : f.logEndOffset());
        }
        if (s.getIsrCount() < Math.min(minInsyncReplicas, s.getReplicasCount())) {
            return -1;
        }
        if (hw > log.highWatermark()) {
            log.updateHighWatermark(hw);
            return log.highWatermark();
        }
        return -1;
    }

    /** Runs what a high-watermark move releases: committed acks=all requests and waiting fetches. */
    private void released(long hw) {
        pendingAcks.complete(hw);
        waiters.signal();
    }

    /** Leader: new batches were appended; on a single-replica ISR they are committed at once. */
    public void onAppended() {
        long hw;
        synchronized (this) {
            hw = leading ? advanceHighWatermarkLocked() : -1;
        }
        if (hw >= 0) {
            released(hw);
        } else {
            waiters.signal(); // followers wait for new batches too
        }
    }

    /**
     * Leader: a follower fetches from {@code fetchOffset}, so its log ends there. Moves the high
     * watermark, and asks the controller to add the follower to the ISR once it has caught up
     * (its log reaches the high watermark and this epoch's start).
     */
    public void onFollowerFetch(int replicaId, long fetchOffset) {
        long hw;
        AlterIsrRequest expand = null;
        synchronized (this) {
            if (!leading) {
                return;
            }
            FollowerProgress f = followers.get(replicaId);
            if (f == null) {
                return;
            }
            long now = clock.millis();
            f.onFetch(fetchOffset, log.logEndOffset(), now);
            hw = advanceHighWatermarkLocked();
            PartitionState s = state;
            if (!s.getIsrList().contains(replicaId) && canChangeIsr(now)
                    && fetchOffset >= log.highWatermark() && fetchOffset >= leaderEpochStartOffset) {
                List<Integer> isr = new ArrayList<>(s.getIsrList());
                isr.add(replicaId);
                expand = isrChange(s, isr, Set.of(replicaId));
                LOG.infof("%s: follower %d caught up at offset %d; asking the controller to add it to the ISR %s",
                        topicPartition.dirName(), replicaId, fetchOffset, s.getIsrList());
            }
        }
        if (hw >= 0) {
            released(hw);
        }
        if (expand != null) {
            send(expand);
        }
    }

    /**
     * Leader, periodically: asks the controller to remove from the ISR the followers that have not
     * caught up for longer than {@code lagTimeMaxMs} (Kafka's replica.lag.time.max.ms).
     */
    public void maybeShrinkIsr(long lagTimeMaxMs) {
        AlterIsrRequest shrink = null;
        synchronized (this) {
            long now = clock.millis();
            if (!leading || !canChangeIsr(now)) {
                return;
            }
            PartitionState s = state;
            List<Integer> keep = new ArrayList<>();
            Set<Integer> out = new HashSet<>();
            for (int r : s.getIsrList()) {
                FollowerProgress f = followers.get(r);
                if (r != localNode && (f == null || now - f.lastCaughtUpMs() > lagTimeMaxMs)) {
                    out.add(r);
                } else {
                    keep.add(r);
                }
            }
            if (!out.isEmpty()) {
                shrink = isrChange(s, keep, Set.of());
                LOG.warnf("%s: followers %s have not caught up for %d ms; asking the controller to shrink the ISR %s to %s",
                        topicPartition.dirName(), out, lagTimeMaxMs, s.getIsrList(), keep);
            }
        }
        if (shrink != null) {
            send(shrink);
        }
    }

    private boolean canChangeIsr(long now) {
        return !isrChangeInFlight && now >= nextIsrChangeMs;
    }

    private AlterIsrRequest isrChange(PartitionState s, List<Integer> newIsr, Set<Integer> additions) {
        isrChangeInFlight = true;
        pendingIsrAdditions = additions;
        return AlterIsrRequest.newBuilder()
                .setTopic(topicPartition.topic())
                .setPartition(topicPartition.partition())
                .setLeaderId(localNode)
                .setLeaderEpoch(s.getLeaderEpoch())
                .setPartitionEpoch(s.getPartitionEpoch())
                .addAllNewIsr(newIsr)
                .build();
    }

    private void send(AlterIsrRequest request) {
        isrChanges.alterIsr(request, applied -> {
            synchronized (this) {
                isrChangeInFlight = false;
                pendingIsrAdditions = Set.of();
            }
            LOG.infof("%s: ISR is now %s (partition epoch %d)", topicPartition.dirName(), applied.getIsrList(),
                    applied.getPartitionEpoch());
            update(applied, config, minInsyncReplicas);
        }, failure -> {
            synchronized (this) {
                isrChangeInFlight = false;
                pendingIsrAdditions = Set.of();
                nextIsrChangeMs = clock.millis() + ISR_CHANGE_BACKOFF_MS;
            }
            LOG.debugf("%s: ISR change to %s not applied: %s", topicPartition.dirName(), request.getNewIsrList(), failure);
        });
    }

    /**
     * Follower: runs {@code change} to the log (an append of fetched batches, a truncation) only
     * while this node still follows {@code leaderId} at {@code leaderEpoch}, under the lock a role
     * change takes, so a fetch answer from a deposed leader can never land in the log after this
     * node became leader. Returns whether it ran.
     */
    public synchronized boolean whileFollowing(int leaderId, int leaderEpoch, Runnable change) {
        PartitionState s = state;
        if (leading || s.getLeader() != leaderId || s.getLeaderEpoch() != leaderEpoch) {
            return false;
        }
        change.run();
        return true;
    }

    /**
     * Follower: the leader's high watermark, as its last fetch answer said; this replica's own
     * high watermark is that, capped at its log end.
     */
    public void onLeaderHighWatermark(long leaderHighWatermark) {
        log.updateHighWatermark(Math.min(leaderHighWatermark, log.logEndOffset()));
        if (!caughtUpSinceStart && log.logEndOffset() >= leaderHighWatermark) {
            caughtUpSinceStart = true;
        }
    }

    /**
     * Whether this replica has had every committed record at some point since this process
     * started: it led the partition, or its log reached the leader's high watermark. A node that
     * restarted after an unclean shutdown counts as complete again once all its partitions are.
     */
    public boolean caughtUpSinceStart() {
        return caughtUpSinceStart;
    }

    /**
     * acks=all: the ISR must have at least min.insync.replicas members before a write is taken.
     *
     * @throws StatusRuntimeException NOT_ENOUGH_REPLICAS
     */
    public void requireEnoughReplicas() {
        PartitionState s = state;
        if (s.getIsrCount() < minInsyncReplicas) {
            throw StrataError.exception(ErrorCode.NOT_ENOUGH_REPLICAS, "the ISR of " + topicPartition.dirName() + " is "
                    + s.getIsrList() + ", fewer than min.insync.replicas=" + minInsyncReplicas
                    + "; nothing was written (retry once replicas are back, or produce with acks=1)");
        }
    }

    /**
     * acks=all: calls {@code onCommitted} once the high watermark reaches {@code endOffset} (the
     * offset after the request's last record), or {@code onFailed} with REQUEST_TIMED_OUT after
     * {@code timeoutMs}, or with NOT_LEADER when leadership moves first.
     */
    public void awaitCommitted(long endOffset, long timeoutMs, Runnable onCommitted, Consumer<StatusRuntimeException> onFailed) {
        pendingAcks.await(endOffset, this::highWatermark, timeoutMs, onCommitted,
                () -> StrataError.exception(ErrorCode.REQUEST_TIMED_OUT, "acks=all: offset " + (endOffset - 1) + " of "
                        + topicPartition.dirName() + " was not replicated to the ISR " + state.getIsrList() + " within "
                        + timeoutMs + " ms (high watermark " + highWatermark()
                        + "); the record may or may not be committed: retry (idempotent producers do not duplicate it)"),
                onFailed);
    }

    /** acks=all requests waiting for the high watermark (for tests and metrics). */
    public int pendingAcks() {
        return pendingAcks.size();
    }

    /**
     * Checks that {@code nodeId} leads this partition and that the caller's epoch (when given)
     * is the current one; returns the current epoch.
     *
     * @throws StatusRuntimeException NOT_LEADER (with the leader trailer),
     *         FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH
     */
    public int requireLeader(int nodeId, boolean hasEpoch, int requestEpoch) {
        PartitionState s = state;
        if (s.getLeader() != nodeId) {
            String leader = s.getLeader() >= 0 ? "node " + s.getLeader() : "no node (the partition is offline)";
            throw notLeader(s, "node " + nodeId + " is not the leader of " + topicPartition.dirName() + "; the leader is "
                    + leader + ": refresh metadata and retry");
        }
        if (hasEpoch && requestEpoch < s.getLeaderEpoch()) {
            throw StrataError.exception(ErrorCode.FENCED_LEADER_EPOCH, "leader epoch " + requestEpoch + " of "
                    + topicPartition.dirName() + " is stale; the current epoch is " + s.getLeaderEpoch() + ": refresh metadata");
        }
        if (hasEpoch && requestEpoch > s.getLeaderEpoch()) {
            throw StrataError.exception(ErrorCode.UNKNOWN_LEADER_EPOCH, "leader epoch " + requestEpoch + " of "
                    + topicPartition.dirName() + " is newer than this node's " + s.getLeaderEpoch() + ": retry shortly");
        }
        return s.getLeaderEpoch();
    }

    private static StatusRuntimeException notLeader(PartitionState s, String message) {
        Metadata trailers = new Metadata();
        if (s.getLeader() >= 0) {
            trailers.put(StrataError.LEADER_KEY, Integer.toString(s.getLeader()));
        }
        return StrataError.exception(ErrorCode.NOT_LEADER, message, trailers);
    }
}
