package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;

import java.util.HashSet;
import java.util.Set;

/**
 * One member of a {@link ConsumerGroup}: its profile, its reconciliation state (epochs, what it owns,
 * what it must give up, its share of the target) and its timers. Not thread-safe: only its group
 * changes it, under the group's lock. Partition sets are immutable and replaced whole.
 */
final class GroupMember {

    private final String memberId;
    private MemberProfile profile;
    private int memberEpoch;
    private int previousMemberEpoch;
    private MemberState state;
    private Set<TopicPartition> assigned;
    private Set<TopicPartition> pendingRevocation;
    private Set<TopicPartition> target;
    private boolean departed;

    // Timers and delivery bookkeeping: in memory only. They start when the object is made, so a
    // member restored by a new active instance gets fresh timers and its assignment re-sent.
    private long lastHeartbeatMs;
    private long revocationStartedMs;
    /** The assignment last put in a response by this instance; null before the first. */
    private Set<TopicPartition> lastSentAssignment;

    GroupMember(String memberId, MemberProfile profile, int memberEpoch, int previousMemberEpoch, MemberState state,
                Set<TopicPartition> assigned, Set<TopicPartition> pendingRevocation, Set<TopicPartition> target,
                boolean departed, long nowMs) {
        this.memberId = memberId;
        this.profile = profile;
        this.memberEpoch = memberEpoch;
        this.previousMemberEpoch = previousMemberEpoch;
        this.state = state;
        this.assigned = Set.copyOf(assigned);
        this.pendingRevocation = Set.copyOf(pendingRevocation);
        this.target = Set.copyOf(target);
        this.departed = departed;
        this.lastHeartbeatMs = nowMs;
        this.revocationStartedMs = nowMs;
    }

    /** A member that has just joined: epoch 0, owning nothing. */
    static GroupMember joining(String memberId, MemberProfile profile, long nowMs) {
        return new GroupMember(memberId, profile, 0, -1, MemberState.STABLE, Set.of(), Set.of(), Set.of(), false, nowMs);
    }

    /**
     * A static member joining under a new member id: it takes over the epochs, partitions (pending
     * revocation included) and share of the target of {@code replaced}, the member that held its
     * instance id (departed, or live after a crash).
     */
    static GroupMember replacing(String memberId, MemberProfile profile, GroupMember replaced, long nowMs) {
        return new GroupMember(memberId, profile, replaced.memberEpoch, replaced.previousMemberEpoch, replaced.state,
                replaced.assigned, replaced.pendingRevocation, replaced.target, false, nowMs);
    }

    String memberId() {
        return memberId;
    }

    MemberProfile profile() {
        return profile;
    }

    String instanceId() {
        return profile.instanceId();
    }

    int memberEpoch() {
        return memberEpoch;
    }

    int previousMemberEpoch() {
        return previousMemberEpoch;
    }

    MemberState state() {
        return state;
    }

    Set<TopicPartition> assigned() {
        return assigned;
    }

    Set<TopicPartition> pendingRevocation() {
        return pendingRevocation;
    }

    Set<TopicPartition> target() {
        return target;
    }

    boolean departed() {
        return departed;
    }

    /** Stable at the group's assignment epoch: nothing to give up, nothing to wait for. */
    boolean settled(int assignmentEpoch) {
        return state == MemberState.STABLE && memberEpoch == assignmentEpoch;
    }

    /** assigned ∪ pendingRevocation: every partition this member may still be consuming. */
    Set<TopicPartition> held() {
        if (pendingRevocation.isEmpty()) {
            return assigned;
        }
        Set<TopicPartition> held = new HashSet<>(assigned);
        held.addAll(pendingRevocation);
        return held;
    }

    MemberReconciler.Progress progress() {
        return new MemberReconciler.Progress(memberEpoch, state, assigned, pendingRevocation);
    }

    Set<TopicPartition> lastSentAssignment() {
        return lastSentAssignment;
    }

    /** Whether its session ended, or it kept partitions it was asked to give up past its rebalance timeout. */
    boolean expired(long nowMs) {
        if (nowMs - lastHeartbeatMs >= profile.sessionTimeoutMs()) {
            return true;
        }
        return !departed && state == MemberState.UNREVOKED_PARTITIONS
                && nowMs - revocationStartedMs >= profile.rebalanceTimeoutMs();
    }

    // ---- changed by ConsumerGroup only ----

    void setProfile(MemberProfile profile) {
        this.profile = profile;
    }

    void setTarget(Set<TopicPartition> target) {
        this.target = Set.copyOf(target);
    }

    void apply(MemberReconciler.Progress next, long nowMs) {
        if (next.state() == MemberState.UNREVOKED_PARTITIONS && state != MemberState.UNREVOKED_PARTITIONS) {
            revocationStartedMs = nowMs;
        }
        if (next.memberEpoch() != memberEpoch) {
            previousMemberEpoch = memberEpoch;
            memberEpoch = next.memberEpoch();
        }
        state = next.state();
        assigned = Set.copyOf(next.assigned());
        pendingRevocation = Set.copyOf(next.pendingRevocation());
    }

    /** Leaves temporarily (static, epoch -2): what it was asked to give up is released now, the rest kept. */
    void depart(long nowMs) {
        departed = true;
        pendingRevocation = Set.of();
        if (state == MemberState.UNREVOKED_PARTITIONS) {
            state = MemberState.STABLE;
        }
        lastHeartbeatMs = nowMs;
    }

    void heartbeat(long nowMs) {
        lastHeartbeatMs = nowMs;
    }

    void sent(Set<TopicPartition> assignment) {
        lastSentAssignment = assignment;
    }
}
