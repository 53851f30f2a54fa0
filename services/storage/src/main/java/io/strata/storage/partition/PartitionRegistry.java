package io.strata.storage.partition;

import io.strata.proto.StrataError;
import io.strata.proto.TopicConfigs;
import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionAssignment;
import io.strata.storage.log.LogConfig;
import io.strata.storage.log.LogManager;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.log.TopicPartition;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The partitions this node hosts, kept equal to the latest assignment snapshot from
 * coordination: new assignments open (or create) their logs, changed ones get the new state
 * and config, and logs that were hosted and are no longer assigned (deleted topics) are deleted. {@link #apply} is
 * called by one thread (the watch stream); lookups are lock-free.
 */
public final class PartitionRegistry {

    private static final Logger LOG = Logger.getLogger(PartitionRegistry.class);

    private final LogManager logManager;
    private final int localNode;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private final IsrChangeSender isrChanges;
    private final Map<TopicPartition, HostedPartition> partitions = new ConcurrentHashMap<>();
    private final Set<TopicPartition> strays = new HashSet<>();
    private volatile long appliedRevision = -1;

    public PartitionRegistry(LogManager logManager, int localNode, Clock clock, ScheduledExecutorService timer,
                             IsrChangeSender isrChanges) {
        this.logManager = logManager;
        this.localNode = localNode;
        this.clock = clock;
        this.timer = timer;
        this.isrChanges = isrChanges;
    }

    /** Makes the hosted set equal to the snapshot. */
    public synchronized void apply(AssignmentSnapshot snapshot) {
        Set<TopicPartition> wanted = new HashSet<>();
        for (PartitionAssignment a : snapshot.getPartitionsList()) {
            TopicPartition tp = new TopicPartition(a.getState().getTopic(), a.getState().getPartition());
            wanted.add(tp);
            LogConfig config = LogConfig.fromEffective(a.getConfigsMap());
            int minInsync = minInsyncReplicas(a);
            HostedPartition hosted = partitions.get(tp);
            if (hosted != null && hosted.log().topicId().equals(a.getTopicId())) {
                hosted.update(a.getState(), config, minInsync);
                continue;
            }
            if (hosted != null) {
                hosted.close(); // the topic was deleted and created again under the same name
            }
            PartitionLog log = logManager.getOrCreateLog(tp, a.getTopicId(), config);
            partitions.put(tp, new HostedPartition(tp, log, a.getState(), config, minInsync, localNode, clock, timer,
                    isrChanges));
            LOG.infof("hosting %s (topic id %s, leader %d, epoch %d, log end offset %d)", tp.dirName(), a.getTopicId(),
                    a.getState().getLeader(), a.getState().getLeaderEpoch(), log.logEndOffset());
        }
        for (TopicPartition tp : Set.copyOf(partitions.keySet())) {
            if (!wanted.contains(tp)) {
                HostedPartition gone = partitions.remove(tp);
                gone.close();
                logManager.deleteLog(tp);
                LOG.infof("deleted %s: no longer assigned to this node (revision %d)", tp.dirName(), snapshot.getRevision());
            }
        }
        // Logs on disk that no assignment names (a topic deleted while this node was down, or a
        // metadata store that lost its data) are kept, not deleted: deleting data on the word of
        // a possibly wrong snapshot is not worth the disk it frees. A re-created topic of the
        // same name replaces its directory (the topic id differs).
        for (PartitionLog log : logManager.allLogs()) {
            if (!wanted.contains(log.topicPartition()) && strays.add(log.topicPartition())) {
                LOG.warnf("log %s in %s is not assigned to this node (revision %d); kept on disk, not served",
                        log.topicPartition().dirName(), log.dir(), snapshot.getRevision());
            }
        }
        appliedRevision = snapshot.getRevision();
    }

    private static int minInsyncReplicas(PartitionAssignment a) {
        try {
            return Math.max(1, Integer.parseInt(a.getConfigsMap().getOrDefault(TopicConfigs.MIN_INSYNC_REPLICAS, "1")));
        } catch (NumberFormatException e) {
            return 1; // coordination validates topic configs; a bad value here is not worth failing the snapshot
        }
    }

    /** Every hosted partition (a snapshot of the current set). */
    public Collection<HostedPartition> all() {
        return List.copyOf(partitions.values());
    }

    public Optional<HostedPartition> get(String topic, int partition) {
        return Optional.ofNullable(partitions.get(new TopicPartition(topic, partition)));
    }

    /** @throws io.grpc.StatusRuntimeException UNKNOWN_TOPIC_OR_PARTITION */
    public HostedPartition require(String topic, int partition, int nodeId) {
        HostedPartition p = partitions.get(new TopicPartition(topic, partition));
        if (p == null) {
            throw StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "node " + nodeId + " hosts no partition " + partition + " of topic '" + topic
                            + "': the topic or partition does not exist, or metadata is stale");
        }
        return p;
    }

    /** Revision of the last snapshot applied; -1 before the first. */
    public long appliedRevision() {
        return appliedRevision;
    }

    public int size() {
        return partitions.size();
    }
}
