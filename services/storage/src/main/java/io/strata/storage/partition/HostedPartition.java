package io.strata.storage.partition;

import io.grpc.Metadata;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionState;
import io.strata.storage.log.LogConfig;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.log.TopicPartition;

/**
 * A partition this node holds a replica of: its log, the latest state coordination sent
 * (leader, epoch, replicas, ISR), the effective log config and the waiters for new data.
 * State and config are replaced as a whole by the assignment watcher; request threads read
 * them without locks.
 */
public final class HostedPartition {

    private final TopicPartition topicPartition;
    private final PartitionLog log;
    private final DataWaiters waiters = new DataWaiters();
    private volatile PartitionState state;
    private volatile LogConfig config;

    public HostedPartition(TopicPartition topicPartition, PartitionLog log, PartitionState state, LogConfig config) {
        this.topicPartition = topicPartition;
        this.log = log;
        this.state = state;
        this.config = config;
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

    void update(PartitionState newState, LogConfig newConfig) {
        this.state = newState;
        if (!newConfig.equals(config)) {
            this.config = newConfig;
            log.updateConfig(newConfig);
        }
    }

    /**
     * The offset below which records are committed. Until replication exists every replica is
     * the only one, so the log end is the high watermark.
     */
    public long highWatermark() {
        return log.logEndOffset();
    }

    /**
     * Checks that {@code nodeId} leads this partition and that the caller's epoch (when given)
     * is the current one; returns the current epoch.
     *
     * @throws io.grpc.StatusRuntimeException NOT_LEADER (with the leader trailer),
     *         FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH
     */
    public int requireLeader(int nodeId, boolean hasEpoch, int requestEpoch) {
        PartitionState s = state;
        if (s.getLeader() != nodeId) {
            Metadata trailers = new Metadata();
            if (s.getLeader() >= 0) {
                trailers.put(StrataError.LEADER_KEY, Integer.toString(s.getLeader()));
            }
            String leader = s.getLeader() >= 0 ? "node " + s.getLeader() : "no node (the partition is offline)";
            throw StrataError.exception(ErrorCode.NOT_LEADER,
                    "node " + nodeId + " is not the leader of " + topicPartition.dirName() + "; the leader is " + leader
                            + ": refresh metadata and retry", trailers);
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
}
