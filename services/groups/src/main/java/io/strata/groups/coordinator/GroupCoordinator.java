package io.strata.groups.coordinator;

import io.strata.groups.assignor.Assignors;
import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.GroupSummary;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.ResetOffsetsRequest;
import io.strata.proto.v1.ResetOffsetsResponse;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Every group the active groups instance owns: membership, KIP-848 reconciliation, committed
 * offsets. Pure logic on an injected clock; durability through {@link GroupPersistence};
 * storage offsets through {@link PartitionOffsets}. Failures are {@link GroupException}s
 * (directly or as the cause of a failed future). Thread-safe.
 *
 * <p>Concurrency: one monitor per group ({@code synchronized (group)}) covers its state; the
 * group map is concurrent. Persistence is called, and futures are completed, only outside any
 * group's monitor (persistence futures complete on other threads, or inline when already done).
 * The design, its invariants and failure modes are in DESIGN.md next to this class.
 */
public final class GroupCoordinator {

    private static final Logger LOG = Logger.getLogger(GroupCoordinator.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final GroupSettings settings;
    private final Clock clock;
    private final GroupPersistence persistence;
    private final PartitionOffsets partitionOffsets;
    private final HeartbeatHandler heartbeats;
    private final ConcurrentHashMap<String, ConsumerGroup> groups = new ConcurrentHashMap<>();
    /** The partition count of every existing topic; null until the first {@link #topicsChanged}. */
    private volatile Map<String, Integer> topics;

    public GroupCoordinator(GroupSettings settings, Clock clock, GroupPersistence persistence, PartitionOffsets offsets) {
        this(settings, clock, persistence, offsets, GroupCoordinator::randomMemberId);
    }

    /** With the member ids {@code memberIds} hands out (tests use predictable ones). */
    GroupCoordinator(GroupSettings settings, Clock clock, GroupPersistence persistence, PartitionOffsets offsets,
                     Supplier<String> memberIds) {
        this.settings = checked(settings);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.persistence = Objects.requireNonNull(persistence, "persistence");
        this.partitionOffsets = Objects.requireNonNull(offsets, "offsets");
        this.heartbeats = new HeartbeatHandler(settings, memberIds);
    }

    private static GroupSettings checked(GroupSettings settings) {
        if (!Assignors.names().contains(settings.defaultAssignor())) {
            throw new IllegalArgumentException("default assignor '" + settings.defaultAssignor()
                    + "' is unknown; valid names: " + String.join(", ", Assignors.names()));
        }
        if (settings.minSessionTimeout().compareTo(settings.defaultSessionTimeout()) > 0
                || settings.defaultSessionTimeout().compareTo(settings.maxSessionTimeout()) > 0) {
            throw new IllegalArgumentException("the default session timeout must lie within [min, max]: " + settings);
        }
        if (settings.maxGroupSize() < 1) {
            throw new IllegalArgumentException("maxGroupSize must be at least 1: " + settings);
        }
        return settings;
    }

    /** 16 random bytes, base64url without padding (22 characters), like Kafka's Uuid strings. */
    private static String randomMemberId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * Takes over a stored group (record may be null: offsets only). Members get a fresh session
     * timer, and their next response carries their assignment. Replaces what this instance held of
     * the group; call it before serving the group.
     */
    public void load(String groupId, GroupRecord record, List<OffsetCommit> offsets) {
        long now = clock.millis();
        ConsumerGroup group = record == null
                ? new ConsumerGroup(groupId, settings.defaultAssignor())
                : GroupRecords.restore(record.toBuilder().setGroupId(groupId).build(), settings.defaultAssignor(), now);
        group.offsets().load(offsets == null ? List.of() : offsets);
        Map<String, Integer> known = topics;
        synchronized (group) {
            if (known != null) {
                group.refreshTopics(known);
            }
            group.computeTargetIfNeeded(topicView(group));
        }
        ConsumerGroup previous = groups.put(groupId, group);
        if (previous != null) {
            synchronized (previous) {
                previous.markRemoved();
            }
        }
        flush(group);
    }

    /** The partition count of every existing topic (from the metadata watch); a change re-targets the groups that subscribe. */
    public void topicsChanged(Map<String, Integer> partitionCounts) {
        Map<String, Integer> known = Map.copyOf(partitionCounts);
        topics = known;
        for (ConsumerGroup group : groups.values()) {
            synchronized (group) {
                if (group.removed() || !group.refreshTopics(known)) {
                    continue;
                }
                LOG.debugf("group '%s': subscribed topics changed; group epoch %d", group.groupId(), group.groupEpoch());
                group.computeTargetIfNeeded(known);
            }
            flush(group);
        }
    }

    /** Joins, heartbeats and leaves; completes after any changed record is stored. */
    public CompletableFuture<GroupHeartbeatResponse> heartbeat(GroupHeartbeatRequest request, String clientHost) {
        Heartbeat heartbeat;
        try {
            heartbeat = RequestValidation.heartbeat(request, clientHost, settings);
        } catch (GroupException e) {
            return CompletableFuture.failedFuture(e);
        }
        while (true) {
            ConsumerGroup group = heartbeat.join()
                    ? groups.computeIfAbsent(heartbeat.groupId(), id -> new ConsumerGroup(id, settings.defaultAssignor()))
                    : groups.get(heartbeat.groupId());
            if (group == null) {
                return CompletableFuture.failedFuture(new GroupException(ErrorCode.UNKNOWN_MEMBER_ID,
                        "member " + heartbeat.memberId() + " is not in group '" + heartbeat.groupId() + "'"));
            }
            CompletableFuture<GroupHeartbeatResponse> reply;
            synchronized (group) {
                if (group.removed()) {
                    continue;
                }
                if (group.deleting()) {
                    return group.deletion().thenCompose(ignored -> heartbeat(request, clientHost));
                }
                try {
                    GroupHeartbeatResponse response = heartbeats.handle(group, heartbeat, clock.millis(), topicView(group));
                    reply = group.writer().awaitStored(response);
                } catch (GroupException e) {
                    reply = CompletableFuture.failedFuture(e);
                    forgetIfVacant(group);
                } catch (RuntimeException e) {
                    // A bug (PartitionOwnership refused to break the invariant, say): the future fails, nothing hangs.
                    LOG.errorf(e, "group '%s': heartbeat of member '%s' failed", group.groupId(), heartbeat.memberId());
                    reply = CompletableFuture.failedFuture(e);
                }
            }
            flush(group);
            return reply;
        }
    }

    /**
     * Validates (member, epoch) and stores the offsets; completes once stored. A refusal answers
     * at once; an accepted commit joins its group's offset write queue ({@link OffsetWriter}).
     */
    public CompletableFuture<Void> commitOffsets(CommitOffsetsRequest request) {
        List<OffsetCommit> commits;
        try {
            RequestValidation.groupId(request.getGroupId());
            commits = RequestValidation.commits(request.getOffsetsList(), topics);
        } catch (GroupException e) {
            return CompletableFuture.failedFuture(e);
        }
        boolean simple = request.getMemberId().isEmpty() && request.getMemberEpoch() == -1;
        while (true) {
            ConsumerGroup group = simple && !commits.isEmpty()
                    ? groups.computeIfAbsent(request.getGroupId(), id -> new ConsumerGroup(id, settings.defaultAssignor()))
                    : groups.get(request.getGroupId());
            if (group == null) {
                if (simple) {
                    return CompletableFuture.completedFuture(null);
                }
                return CompletableFuture.failedFuture(new GroupException(ErrorCode.UNKNOWN_MEMBER_ID,
                        "member " + request.getMemberId() + " is not in group '" + request.getGroupId() + "'"));
            }
            CompletableFuture<Void> stored;
            synchronized (group) {
                if (group.removed()) {
                    continue;
                }
                if (group.deleting()) {
                    return group.deletion().thenCompose(ignored -> commitOffsets(request));
                }
                try {
                    checkCommitter(group, request, simple, clock.millis());
                } catch (GroupException e) {
                    forgetIfVacant(group);
                    return CompletableFuture.failedFuture(e);
                }
                if (commits.isEmpty()) {
                    return CompletableFuture.completedFuture(null);
                }
                long now = clock.millis();
                stored = group.offsetWriter().accept(
                        commits.stream().map(c -> c.toBuilder().setCommitTimestampMs(now).build()).toList());
            }
            flushOffsets(group);
            return stored;
        }
    }

    private static void checkCommitter(ConsumerGroup group, CommitOffsetsRequest request, boolean simple, long nowMs) {
        if (simple) {
            if (group.hasMembers()) {
                throw new GroupException(ErrorCode.UNKNOWN_MEMBER_ID, "group '" + group.groupId() + "' has "
                        + group.memberCount() + " members; commits outside group management (empty member_id, "
                        + "member_epoch -1) are refused while it has any");
            }
            return;
        }
        if (request.getMemberId().isEmpty()) {
            throw RequestValidation.invalid("member_id is empty; a commit outside group management sends member_epoch -1");
        }
        GroupMember member = group.member(request.getMemberId()).filter(m -> !m.departed())
                .orElseThrow(() -> HeartbeatHandler.notAMember(group, request.getMemberId(), nowMs));
        int epoch = request.getMemberEpoch();
        if (epoch < member.memberEpoch()) {
            throw new GroupException(ErrorCode.STALE_MEMBER_EPOCH, "member " + member.memberId() + " committed with epoch "
                    + epoch + " but is at epoch " + member.memberEpoch() + "; heartbeat, then commit again");
        }
        if (epoch > member.memberEpoch()) {
            throw new GroupException(ErrorCode.FENCED_MEMBER_EPOCH, "member " + member.memberId() + " committed with epoch "
                    + epoch + " but is at epoch " + member.memberEpoch());
        }
    }

    /** Committed offsets; a partition without one reports offset -1; empty {@code partitions} = all committed. */
    public List<OffsetCommit> fetchOffsets(String groupId, Collection<TopicPartition> partitions) {
        RequestValidation.groupId(groupId);
        ConsumerGroup group = groups.get(groupId);
        List<OffsetCommit> answer = new ArrayList<>();
        if (group == null) {
            for (TopicPartition partition : partitions) {
                answer.add(none(partition));
            }
            return answer;
        }
        synchronized (group) {
            if (partitions.isEmpty()) {
                return group.offsets().all();
            }
            for (TopicPartition partition : partitions) {
                answer.add(group.offsets().get(partition).orElseGet(() -> none(partition)));
            }
        }
        return answer;
    }

    private static OffsetCommit none(TopicPartition partition) {
        return OffsetCommit.newBuilder().setTopic(partition.topic()).setPartition(partition.partition()).setOffset(-1).build();
    }

    /** Ends sessions and rebalance timeouts that passed; the service calls it every 100 ms. */
    public void tick() {
        long now = clock.millis();
        for (ConsumerGroup group : groups.values()) {
            synchronized (group) {
                if (group.removed()) {
                    continue;
                }
                List<String> expired = group.expire(now);
                if (!expired.isEmpty()) {
                    LOG.infof("group '%s': removed members %s (session or rebalance timeout); group epoch %d",
                            group.groupId(), expired, group.groupEpoch());
                    group.computeTargetIfNeeded(topicView(group));
                }
            }
            flush(group);
        }
    }

    public List<GroupSummary> listGroups() {
        List<GroupSummary> summaries = new ArrayList<>();
        for (ConsumerGroup group : groups.values()) {
            synchronized (group) {
                if (!group.removed()) {
                    summaries.add(GroupDescriber.summary(group));
                }
            }
        }
        summaries.sort(Comparator.comparing(GroupSummary::getGroupId));
        return summaries;
    }

    /** Members, assignment, committed offsets, log end offsets and lag. UNKNOWN_GROUP when absent. */
    public CompletableFuture<GroupDescription> describe(String groupId) {
        GroupDescriber.Snapshot snapshot;
        try {
            RequestValidation.groupId(groupId);
            snapshot = snapshot(groupId);
        } catch (GroupException e) {
            return CompletableFuture.failedFuture(e);
        }
        return logEnds(snapshot.partitions()).thenApply(snapshot::describe);
    }

    /** Every group's lag per partition (committed, log end, lag), for the Prometheus metrics. */
    public CompletableFuture<List<GroupDescription>> describeAll() {
        List<GroupDescriber.Snapshot> snapshots = new ArrayList<>();
        Set<TopicPartition> partitions = new HashSet<>();
        for (ConsumerGroup group : groups.values()) {
            synchronized (group) {
                if (group.removed()) {
                    continue;
                }
                GroupDescriber.Snapshot snapshot = GroupDescriber.snapshot(group, topicView(group));
                snapshots.add(snapshot);
                partitions.addAll(snapshot.partitions());
            }
        }
        snapshots.sort(Comparator.comparing(GroupDescriber.Snapshot::groupId));
        return logEnds(partitions).thenApply(ends -> snapshots.stream().map(s -> s.describe(ends)).toList());
    }

    private GroupDescriber.Snapshot snapshot(String groupId) {
        ConsumerGroup group = groups.get(groupId);
        if (group != null) {
            synchronized (group) {
                if (!group.removed()) {
                    return GroupDescriber.snapshot(group, topicView(group));
                }
            }
        }
        throw new GroupException(ErrorCode.UNKNOWN_GROUP, "group '" + groupId + "' does not exist");
    }

    /** Log end offsets; when the leaders cannot be asked at all, none (every lag shows -1) rather than a failure. */
    private CompletableFuture<Map<TopicPartition, Long>> logEnds(Set<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        return call(() -> partitionOffsets.latest(partitions)).exceptionally(error -> {
            LOG.debugf("log end offsets unavailable: %s", unwrap(error).toString());
            return Map.of();
        });
    }

    /** GROUP_NOT_EMPTY while members are live; UNKNOWN_GROUP when absent. */
    public CompletableFuture<Void> deleteGroup(String groupId) {
        try {
            RequestValidation.groupId(groupId);
        } catch (GroupException e) {
            return CompletableFuture.failedFuture(e);
        }
        while (true) {
            ConsumerGroup group = groups.get(groupId);
            if (group == null) {
                return CompletableFuture.failedFuture(new GroupException(ErrorCode.UNKNOWN_GROUP,
                        "group '" + groupId + "' does not exist"));
            }
            CompletableFuture<Void> result = new CompletableFuture<>();
            Runnable start;
            synchronized (group) {
                if (group.removed()) {
                    continue;
                }
                if (group.deleting()) {
                    return group.deletion().thenCompose(ignored -> deleteGroup(groupId));
                }
                if (group.hasMembers()) {
                    return CompletableFuture.failedFuture(new GroupException(ErrorCode.GROUP_NOT_EMPTY, "group '"
                            + groupId + "' has " + group.memberCount() + " members (departed static members count "
                            + "until their session timeout passes)"));
                }
                group.startDeleting(() -> delete(group, result));
                start = group.takeQuietAction();
            }
            if (start != null) {
                start.run();
            }
            return result;
        }
    }

    /** The deletion itself, once no write of the group is in flight: the group is forgotten only once the store forgot it. */
    private void delete(ConsumerGroup group, CompletableFuture<Void> result) {
        call(() -> persistence.deleteGroup(group.groupId())).whenComplete((ok, error) -> {
            CompletableFuture<Void> barrier;
            synchronized (group) {
                if (error == null) {
                    group.markRemoved();
                    groups.remove(group.groupId(), group);
                }
                barrier = group.endDeleting();
            }
            barrier.complete(null);
            if (error == null) {
                result.complete(null);
            } else {
                result.completeExceptionally(unwrap(error));
                flush(group);
            }
        });
    }

    /** The plan (dry run) or the applied reset; GROUP_NOT_EMPTY while members are live. */
    public CompletableFuture<ResetOffsetsResponse> resetOffsets(ResetOffsetsRequest request) {
        Integer partitionCount;
        try {
            OffsetResets.validate(request);
            Map<String, Integer> known = topics;
            partitionCount = known == null ? null : known.get(request.getTopic());
            if (partitionCount == null) {
                throw new GroupException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                        "topic '" + request.getTopic() + "' does not exist");
            }
            ConsumerGroup group = groups.get(request.getGroupId());
            if (group != null) {
                synchronized (group) {
                    if (group.deleting()) {
                        return group.deletion().thenCompose(ignored -> resetOffsets(request));
                    }
                    checkNoLiveMembers(group);
                }
            }
        } catch (GroupException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<ResetOffsetsResponse> result = new CompletableFuture<>();
        call(() -> OffsetResets.plan(partitionOffsets, request, partitionCount, clock.millis()))
                .thenCompose(plan -> request.getExecute()
                        ? applyReset(request, plan)
                        : CompletableFuture.completedFuture(plan))
                .whenComplete((plan, error) -> {
                    if (error == null) {
                        result.complete(ResetOffsetsResponse.newBuilder().addAllOffsets(plan).build());
                    } else {
                        result.completeExceptionally(unwrap(error));
                    }
                });
        return result;
    }

    private CompletableFuture<List<OffsetCommit>> applyReset(ResetOffsetsRequest request, List<OffsetCommit> plan) {
        while (true) {
            ConsumerGroup group = groups.computeIfAbsent(request.getGroupId(),
                    id -> new ConsumerGroup(id, settings.defaultAssignor()));
            CompletableFuture<Void> stored;
            synchronized (group) {
                if (group.removed()) {
                    continue;
                }
                if (group.deleting()) {
                    return group.deletion().thenCompose(ignored -> applyReset(request, plan));
                }
                try {
                    checkNoLiveMembers(group);
                } catch (GroupException e) {
                    return CompletableFuture.failedFuture(e);
                }
                stored = group.offsetWriter().accept(plan);
            }
            flushOffsets(group);
            return stored.thenApply(ignored -> plan);
        }
    }

    private static void checkNoLiveMembers(ConsumerGroup group) {
        long live = group.liveMemberCount();
        if (live > 0) {
            throw new GroupException(ErrorCode.GROUP_NOT_EMPTY, "group '" + group.groupId() + "' has " + live
                    + " live members; stop its consumers before resetting offsets");
        }
    }

    // ---- the group's record: group commit ----

    /** Starts a write of the group's record when one is due (see {@link RecordWriter}); call it outside the lock. */
    private void flush(ConsumerGroup group) {
        GroupRecord record;
        long version;
        synchronized (group) {
            if (group.removed()) {
                return;
            }
            version = group.writer().beginWrite(clock.millis());
            if (version < 0) {
                return;
            }
            record = GroupRecords.toRecord(group);
        }
        call(() -> persistence.putRecord(record)).whenComplete((ok, error) -> written(group, version, error));
    }

    private void written(ConsumerGroup group, long version, Throwable error) {
        Throwable failure = error == null ? null : unwrap(error);
        List<SerialWrites.Waiter> decided;
        Runnable quiet;
        synchronized (group) {
            decided = group.writer().endWrite(version, failure, clock.millis());
            quiet = group.takeQuietAction();
        }
        if (failure != null) {
            LOG.warnf("group '%s': storing its record failed (%s); %d replies fail, the next write retries",
                    group.groupId(), failure.toString(), decided.size());
        }
        for (SerialWrites.Waiter waiter : decided) {
            waiter.stored(failure);
        }
        if (quiet != null) {
            quiet.run();
        }
        flush(group);
    }

    // ---- committed offsets: the group's write queue ----

    /**
     * Starts the group's next offset write when one is due (see {@link OffsetWriter}); call it
     * outside the lock. Runs also for a group being deleted: the commits accepted before the
     * deletion started are written first (the deletion waits for them).
     */
    private void flushOffsets(ConsumerGroup group) {
        OffsetWriter.Write write;
        synchronized (group) {
            write = group.offsetWriter().beginWrite();
        }
        if (write != null) {
            call(() -> persistence.storeOffsets(group.groupId(), write.offsets()))
                    .whenComplete((ok, error) -> offsetsWritten(group, write, error));
        }
    }

    /** The cache takes a write's offsets only once stored; every commit merged in it learns the outcome. */
    private void offsetsWritten(ConsumerGroup group, OffsetWriter.Write write, Throwable error) {
        Throwable failure = error == null ? null : unwrap(error);
        List<SerialWrites.Waiter> decided;
        Runnable quiet;
        synchronized (group) {
            decided = group.offsetWriter().endWrite(write);
            if (failure == null) {
                group.offsets().stored(write.offsets());
            } else {
                forgetIfVacant(group);
            }
            quiet = group.takeQuietAction();
        }
        if (failure != null) {
            LOG.debugf("group '%s': storing %d offsets failed (%s); %d commits fail", group.groupId(),
                    write.offsets().size(), failure.toString(), decided.size());
        }
        for (SerialWrites.Waiter waiter : decided) {
            waiter.stored(failure);
        }
        if (quiet != null) {
            quiet.run();
        }
        flushOffsets(group);
    }

    // ---- helpers ----

    /** Topics as the group must see them: the metadata watch's, or before the first one the group's stored counts. */
    private Map<String, Integer> topicView(ConsumerGroup group) {
        Map<String, Integer> known = topics;
        return known != null ? known : group.partitionCounts();
    }

    /** A group object created for a request that was refused, and holding nothing, is dropped. */
    private void forgetIfVacant(ConsumerGroup group) {
        if (group.vacant()) {
            group.markRemoved();
            groups.remove(group.groupId(), group);
        }
    }

    /** Calls a collaborator that returns a future; a throw or a null becomes a failed future. */
    private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> action) {
        try {
            return Objects.requireNonNull(action.get(), "a collaborator returned no future");
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
