package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A validated heartbeat. On a join every optional field is present (defaults filled in); on later
 * heartbeats an absent one means "unchanged" (the request left it empty or zero).
 *
 * @param memberEpoch 0 joins, -1 leaves, -2 leaves temporarily (static), else the member's epoch
 * @param owned       what the member reports owning
 */
record Heartbeat(String groupId, String memberId, int memberEpoch, String instanceId, String rack, String clientId,
                 String clientHost, Optional<Subscription> subscription, Optional<String> assignor,
                 OptionalInt rebalanceTimeoutMs, OptionalInt sessionTimeoutMs, Set<TopicPartition> owned) {

    static final int JOIN = 0;
    static final int LEAVE = -1;
    static final int LEAVE_STATIC = -2;

    boolean join() {
        return memberEpoch == JOIN;
    }

    boolean leave() {
        return memberEpoch == LEAVE || memberEpoch == LEAVE_STATIC;
    }

    /** The profile of a joining member (every field present). */
    MemberProfile joinProfile() {
        return new MemberProfile(instanceId, clientId, clientHost, rack, subscription.orElseThrow(),
                assignor.orElseThrow(), rebalanceTimeoutMs.orElseThrow(), sessionTimeoutMs.orElseThrow());
    }

    /** {@code current} with what this heartbeat changes. */
    MemberProfile merge(MemberProfile current) {
        return new MemberProfile(current.instanceId(),
                clientId.isEmpty() ? current.clientId() : clientId,
                clientHost.isEmpty() ? current.clientHost() : clientHost,
                rack.isEmpty() ? current.rack() : rack,
                subscription.orElse(current.subscription()),
                assignor.orElse(current.assignor()),
                rebalanceTimeoutMs.orElse(current.rebalanceTimeoutMs()),
                sessionTimeoutMs.orElse(current.sessionTimeoutMs()));
    }
}
