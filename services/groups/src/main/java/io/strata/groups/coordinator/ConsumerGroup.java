package io.strata.groups.coordinator;

import io.strata.groups.assignor.Assignors;
import io.strata.groups.assignor.MemberSubscription;
import io.strata.groups.assignor.PartitionAssignor;
import io.strata.groups.assignor.TopicPartition;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * One consumer group: epochs, members, the partition owner index, committed offsets, and the
 * bookkeeping of its durable record and lifecycle. Every method that changes what the group's
 * {@code GroupRecord} holds raises the {@link RecordWriter}'s version, so the change gets stored;
 * accepted offset commits wait in its {@link OffsetWriter}.
 *
 * <p>Not thread-safe: the coordinator calls it holding the group's monitor ({@code synchronized (group)}).
 */
final class ConsumerGroup {

    private static final Logger LOG = Logger.getLogger(ConsumerGroup.class);

    private final String groupId;
    private final String defaultAssignor;
    private int groupEpoch;
    private int assignmentEpoch;
    private String assignor;
    private final Map<String, GroupMember> members = new LinkedHashMap<>();
    /** instance id → member id of every static member, departed ones included. */
    private final Map<String, String> staticMembers = new HashMap<>();
    /**
     * Member ids whose instance id a join took while they still counted as live (see
     * {@link #replaceMember}), until their session timeout would have passed. In memory only: a
     * take-over forgets them, and the old id then answers UNKNOWN_MEMBER_ID.
     */
    private final Map<String, Fence> fenced = new HashMap<>();
    private final PartitionOwnership ownership = new PartitionOwnership();
    /** Partition counts of the subscribed topics the target was computed with. */
    private Map<String, Integer> partitionCounts = Map.of();
    private final OffsetCache offsets = new OffsetCache();
    private final RecordWriter writer = new RecordWriter();
    private final OffsetWriter offsetWriter = new OffsetWriter();

    // Lifecycle: a group is deleted only when no write of it is in flight or queued; operations
    // that find it deleting wait for the outcome and start over.
    private boolean removed;
    private CompletableFuture<Void> deletion;
    private Runnable onQuiet;

    ConsumerGroup(String groupId, String defaultAssignor) {
        this.groupId = groupId;
        this.defaultAssignor = defaultAssignor;
        this.assignor = defaultAssignor;
    }

    /** A group as stored; its members are added with {@link #restoreMember}. */
    ConsumerGroup(String groupId, String defaultAssignor, int groupEpoch, int assignmentEpoch, String assignor,
                  Map<String, Integer> partitionCounts) {
        this(groupId, defaultAssignor);
        this.groupEpoch = groupEpoch;
        this.assignmentEpoch = assignmentEpoch;
        this.assignor = assignor.isEmpty() ? defaultAssignor : assignor;
        this.partitionCounts = Map.copyOf(partitionCounts);
    }

    String groupId() {
        return groupId;
    }

    int groupEpoch() {
        return groupEpoch;
    }

    int assignmentEpoch() {
        return assignmentEpoch;
    }

    String assignor() {
        return assignor;
    }

    Map<String, Integer> partitionCounts() {
        return partitionCounts;
    }

    Collection<GroupMember> members() {
        return Collections.unmodifiableCollection(members.values());
    }

    Optional<GroupMember> member(String memberId) {
        return Optional.ofNullable(members.get(memberId));
    }

    /**
     * A live static member that another process's join replaced under its instance id.
     *
     * @param instanceId the instance id the replacement took
     * @param replacedBy the replacement's member id
     * @param untilMs    when the fence is forgotten (the replaced member's session timeout after the replacement)
     */
    record Fence(String instanceId, String replacedBy, long untilMs) {
    }

    /** The fence of {@code memberId}, if a join took its instance id less than its session timeout ago. */
    Optional<Fence> fence(String memberId, long nowMs) {
        Fence fence = fenced.get(memberId);
        return fence == null || fence.untilMs() <= nowMs ? Optional.empty() : Optional.of(fence);
    }

    Optional<GroupMember> staticMember(String instanceId) {
        String memberId = staticMembers.get(instanceId);
        return memberId == null ? Optional.empty() : Optional.of(members.get(memberId));
    }

    int memberCount() {
        return members.size();
    }

    boolean hasMembers() {
        return !members.isEmpty();
    }

    /** Members that have not left (departed static members do not count). */
    long liveMemberCount() {
        return members.values().stream().filter(m -> !m.departed()).count();
    }

    PartitionOwnership ownership() {
        return ownership;
    }

    OffsetCache offsets() {
        return offsets;
    }

    RecordWriter writer() {
        return writer;
    }

    OffsetWriter offsetWriter() {
        return offsetWriter;
    }

    /** The summary state: "empty", "assigning", "reconciling", "stable" ("dead" while being deleted). */
    String state() {
        if (deletion != null) {
            return GroupStates.DEAD;
        }
        if (members.isEmpty()) {
            return GroupStates.EMPTY;
        }
        if (groupEpoch > assignmentEpoch) {
            return GroupStates.ASSIGNING;
        }
        for (GroupMember member : members.values()) {
            if (!member.settled(assignmentEpoch)) {
                return GroupStates.RECONCILING;
            }
        }
        return GroupStates.STABLE;
    }

    // ---- membership ----

    /** Adds a new member (it holds nothing yet); bumps the group epoch. */
    void addMember(GroupMember member) {
        members.put(member.memberId(), member);
        if (member.profile().isStatic()) {
            staticMembers.put(member.instanceId(), member.memberId());
        }
        bumpGroupEpoch();
    }

    /** Removes a member now, freeing every partition it held; bumps the group epoch. */
    void removeMember(GroupMember member) {
        ownership.update(member.memberId(), member.held(), Set.of());
        members.remove(member.memberId());
        if (member.profile().isStatic()) {
            staticMembers.remove(member.instanceId(), member.memberId());
        }
        bumpGroupEpoch();
    }

    /**
     * A static member joining under a new member id takes the place of the member holding its
     * instance id ({@code replaced}: departed, or still live after a crash): its partitions and share
     * of the target. The group epoch moves only when the subscription, assignor or rack changed. A
     * replaced member that had not left is fenced for its session timeout (see {@link #fence}).
     */
    void replaceMember(GroupMember replaced, GroupMember replacement, long nowMs) {
        ownership.transfer(replaced.memberId(), replacement.memberId(), replaced.held());
        members.remove(replaced.memberId());
        members.put(replacement.memberId(), replacement);
        staticMembers.put(replacement.instanceId(), replacement.memberId());
        if (!replaced.departed()) {
            fenced.put(replaced.memberId(), new Fence(replaced.instanceId(), replacement.memberId(),
                    nowMs + replaced.profile().sessionTimeoutMs()));
        }
        if (replaced.profile().assignmentInputsDiffer(replacement.profile())) {
            bumpGroupEpoch();
        } else {
            writer.changed();
        }
    }

    /** A static member leaves temporarily (epoch -2): keeps what it owns until its session ends; no rebalance. */
    void depart(GroupMember member, long nowMs) {
        if (member.departed()) {
            return;
        }
        ownership.update(member.memberId(), member.held(), member.assigned());
        member.depart(nowMs);
        writer.changed();
    }

    /** New profile fields from a heartbeat; the group epoch moves when the assignment's inputs changed. */
    void updateProfile(GroupMember member, MemberProfile profile) {
        if (profile.equals(member.profile())) {
            return;
        }
        boolean rebalance = member.profile().assignmentInputsDiffer(profile);
        member.setProfile(profile);
        if (rebalance) {
            bumpGroupEpoch();
        } else {
            writer.changed();
        }
    }

    /** Moves {@code member} towards its target (see {@link MemberReconciler}), given what it reports owning. */
    void reconcile(GroupMember member, Set<TopicPartition> owned, long nowMs) {
        MemberReconciler.Progress current = member.progress();
        MemberReconciler.Progress next = MemberReconciler.reconcile(current, member.target(), assignmentEpoch, owned,
                partition -> ownership.heldByOther(partition, member.memberId()));
        if (next.equals(current)) {
            return;
        }
        Set<TopicPartition> after = new HashSet<>(next.assigned());
        after.addAll(next.pendingRevocation());
        ownership.update(member.memberId(), member.held(), after);
        member.apply(next, nowMs);
        writer.changed();
    }

    /** Removes the members whose session or rebalance timeout passed, and forgets fences past theirs; returns the members' ids. */
    List<String> expire(long nowMs) {
        fenced.values().removeIf(fence -> fence.untilMs() <= nowMs);
        List<GroupMember> expired = new ArrayList<>();
        for (GroupMember member : members.values()) {
            if (member.expired(nowMs)) {
                expired.add(member);
            }
        }
        List<String> ids = new ArrayList<>(expired.size());
        for (GroupMember member : expired) {
            removeMember(member);
            ids.add(member.memberId());
        }
        return ids;
    }

    // ---- target assignment ----

    private void bumpGroupEpoch() {
        groupEpoch++;
        assignor = preferredAssignor();
        writer.changed();
    }

    /**
     * The assignor most members ask for; on a tie the current one if it is among the most asked
     * for, else the first of them in {@link Assignors#names()} order. Kafka picks the same way.
     */
    private String preferredAssignor() {
        Map<String, Integer> votes = new HashMap<>();
        for (GroupMember member : members.values()) {
            votes.merge(member.profile().assignor(), 1, Integer::sum);
        }
        if (votes.isEmpty()) {
            return assignor;
        }
        int most = Collections.max(votes.values());
        if (votes.getOrDefault(assignor, 0) == most) {
            return assignor;
        }
        for (String name : Assignors.names()) {
            if (votes.getOrDefault(name, 0) == most) {
                return name;
            }
        }
        return assignor;
    }

    /**
     * The subscribed topics' partition counts under {@code topics}: every topic some member's
     * subscription selects.
     */
    private Map<String, Integer> subscribedCounts(Map<String, Integer> topics) {
        Map<String, Integer> counts = new TreeMap<>();
        for (GroupMember member : members.values()) {
            for (String topic : member.profile().subscription().resolve(topics)) {
                counts.put(topic, topics.get(topic));
            }
        }
        return counts;
    }

    /** Bumps the group epoch when a subscribed topic appeared, went away or changed its partition count. */
    boolean refreshTopics(Map<String, Integer> topics) {
        if (groupEpoch > assignmentEpoch || subscribedCounts(topics).equals(partitionCounts)) {
            return false;
        }
        bumpGroupEpoch();
        return true;
    }

    /**
     * Computes the target assignment when the group epoch moved past the assignment epoch: the
     * group's assignor over every member (departed static ones included, so they find their share
     * on return), each member's previous target given as its current one.
     */
    void computeTargetIfNeeded(Map<String, Integer> topics) {
        if (groupEpoch <= assignmentEpoch) {
            return;
        }
        Map<String, Integer> counts = new TreeMap<>();
        Map<String, MemberSubscription> subscriptions = new HashMap<>();
        for (GroupMember member : members.values()) {
            SortedSet<String> subscribed = member.profile().subscription().resolve(topics);
            for (String topic : subscribed) {
                counts.put(topic, topics.get(topic));
            }
            MemberProfile profile = member.profile();
            subscriptions.put(member.memberId(), new MemberSubscription(member.memberId(),
                    optional(profile.instanceId()), optional(profile.rack()), subscribed, member.target()));
        }
        Map<String, Set<TopicPartition>> target = subscriptions.isEmpty()
                ? Map.of() : assignorNamed(assignor).assign(subscriptions, counts);
        for (GroupMember member : members.values()) {
            member.setTarget(target.getOrDefault(member.memberId(), Set.of()));
        }
        partitionCounts = Map.copyOf(counts);
        assignmentEpoch = groupEpoch;
        writer.changed();
    }

    private PartitionAssignor assignorNamed(String name) {
        try {
            return Assignors.byName(name);
        } catch (IllegalArgumentException e) {
            // A stored record naming an assignor this version lacks.
            LOG.warnf("group '%s': %s; using '%s'", groupId, e.getMessage(), defaultAssignor);
            return Assignors.byName(defaultAssignor);
        }
    }

    private static Optional<String> optional(String value) {
        return value.isEmpty() ? Optional.empty() : Optional.of(value);
    }

    // ---- loading ----

    /** Adds a stored member as it was ({@link GroupRecords} has made sure no other member holds its partitions). */
    void restoreMember(GroupMember member) {
        ownership.update(member.memberId(), Set.of(), member.held());
        members.put(member.memberId(), member);
        if (member.profile().isStatic()) {
            staticMembers.put(member.instanceId(), member.memberId());
        }
    }

    // ---- lifecycle ----

    boolean removed() {
        return removed;
    }

    /** Forgotten: this object no longer stands for the group (an operation holding it looks the group up again). */
    void markRemoved() {
        removed = true;
    }

    boolean deleting() {
        return deletion != null;
    }

    /** Completes (never fails) when a deletion in progress ended, either way. */
    CompletableFuture<Void> deletion() {
        return deletion;
    }

    /**
     * Starts a deletion; {@code delete} runs once no write of the group is in flight and no
     * accepted commit waits for one (see {@link #takeQuietAction}).
     */
    void startDeleting(Runnable delete) {
        deletion = new CompletableFuture<>();
        onQuiet = delete;
    }

    /** Ends a deletion; returns the barrier to complete outside the lock. */
    CompletableFuture<Void> endDeleting() {
        CompletableFuture<Void> barrier = deletion;
        deletion = null;
        return barrier;
    }

    /**
     * The deletion step to run (outside the lock) when the group is deleting and neither writer has
     * a write in flight or anything waiting; else null. Whoever ends a write asks.
     */
    Runnable takeQuietAction() {
        if (onQuiet == null || !offsetWriter.idle() || !writer.idle()) {
            return null;
        }
        Runnable action = onQuiet;
        onQuiet = null;
        return action;
    }

    /** Nothing to keep: no member, no offset, never stored, nothing in flight or queued (a refused first request). */
    boolean vacant() {
        return members.isEmpty() && offsets.isEmpty() && groupEpoch == 0 && offsetWriter.idle()
                && writer.idle() && deletion == null;
    }
}
