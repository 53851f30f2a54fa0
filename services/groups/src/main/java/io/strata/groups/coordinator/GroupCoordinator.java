package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.GroupSummary;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.ResetOffsetsRequest;
import io.strata.proto.v1.ResetOffsetsResponse;

import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Every group the active groups instance owns: membership, KIP-848 reconciliation, committed
 * offsets. Pure logic on an injected clock; durability through {@link GroupPersistence};
 * storage offsets through {@link PartitionOffsets}. Failures are {@link GroupException}s
 * (directly or as the cause of a failed future). Thread-safe.
 *
 * <p>SKELETON: the signatures are the contract between the coordinator and the service shell;
 * the bodies are being written.
 */
public final class GroupCoordinator {

    public GroupCoordinator(GroupSettings settings, Clock clock, GroupPersistence persistence, PartitionOffsets offsets) {
        throw new UnsupportedOperationException("being written");
    }

    /** Takes over a stored group (record may be null: offsets only). Members get a fresh session timer. */
    public void load(String groupId, GroupRecord record, List<OffsetCommit> offsets) {
        throw new UnsupportedOperationException("being written");
    }

    /** The partition count of every existing topic (from the metadata watch); a change re-targets the groups that subscribe. */
    public void topicsChanged(Map<String, Integer> partitionCounts) {
        throw new UnsupportedOperationException("being written");
    }

    /** Joins, heartbeats and leaves; completes after any changed record is stored. */
    public CompletableFuture<GroupHeartbeatResponse> heartbeat(GroupHeartbeatRequest request, String clientHost) {
        throw new UnsupportedOperationException("being written");
    }

    /** Validates (member, epoch) and stores the offsets; completes once stored. */
    public CompletableFuture<Void> commitOffsets(CommitOffsetsRequest request) {
        throw new UnsupportedOperationException("being written");
    }

    /** Committed offsets; a partition without one reports offset -1; empty {@code partitions} = all committed. */
    public List<OffsetCommit> fetchOffsets(String groupId, Collection<TopicPartition> partitions) {
        throw new UnsupportedOperationException("being written");
    }

    /** Ends sessions and rebalance timeouts that passed; the service calls it every 100 ms. */
    public void tick() {
        throw new UnsupportedOperationException("being written");
    }

    public List<GroupSummary> listGroups() {
        throw new UnsupportedOperationException("being written");
    }

    /** Members, assignment, committed offsets, log end offsets and lag. UNKNOWN_GROUP when absent. */
    public CompletableFuture<GroupDescription> describe(String groupId) {
        throw new UnsupportedOperationException("being written");
    }

    /** GROUP_NOT_EMPTY while members are live; UNKNOWN_GROUP when absent. */
    public CompletableFuture<Void> deleteGroup(String groupId) {
        throw new UnsupportedOperationException("being written");
    }

    /** The plan (dry run) or the applied reset; GROUP_NOT_EMPTY while members are live. */
    public CompletableFuture<ResetOffsetsResponse> resetOffsets(ResetOffsetsRequest request) {
        throw new UnsupportedOperationException("being written");
    }

    /** Every group's lag per partition (committed, log end, lag), for the Prometheus metrics. */
    public CompletableFuture<List<GroupDescription>> describeAll() {
        throw new UnsupportedOperationException("being written");
    }
}
