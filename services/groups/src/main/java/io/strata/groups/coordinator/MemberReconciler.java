package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Moves one member towards its share of the target assignment (Kafka's
 * {@code CurrentAssignmentBuilder}), revoking before assigning: a partition leaves a member's
 * assignment first, is given up by the member (it stops listing it in owned_partitions), and
 * only then can it be given to another. Pure: the caller applies the result.
 *
 * <pre>
 *   STABLE at an older epoch, or UNRELEASED_PARTITIONS, or UNREVOKED_PARTITIONS once acknowledged:
 *     assigned'  = assigned ∩ target
 *     revoke     = assigned − target
 *     revoke ≠ ∅ → UNREVOKED_PARTITIONS, epoch unchanged, pendingRevocation = revoke
 *     otherwise  → epoch = assignment epoch, assigned' += target partitions no other member holds;
 *                  UNRELEASED_PARTITIONS if some are still held, else STABLE
 * </pre>
 */
final class MemberReconciler {

    /** A member's reconciliation state. */
    record Progress(int memberEpoch, MemberState state, Set<TopicPartition> assigned,
                    Set<TopicPartition> pendingRevocation) {
    }

    private MemberReconciler() {
    }

    /**
     * The member's next state.
     *
     * @param current         where it is
     * @param target          its share of the target assignment
     * @param assignmentEpoch the epoch the target was computed for
     * @param owned           what it reported owning in this heartbeat
     * @param heldByOther     whether another member still holds a partition (in its assigned or pendingRevocation)
     */
    static Progress reconcile(Progress current, Set<TopicPartition> target, int assignmentEpoch,
                              Set<TopicPartition> owned, Predicate<TopicPartition> heldByOther) {
        return switch (current.state()) {
            case STABLE -> current.memberEpoch() == assignmentEpoch
                    ? current
                    : next(current, target, assignmentEpoch, heldByOther);
            case UNREVOKED_PARTITIONS -> ownsAny(owned, current.pendingRevocation())
                    ? current
                    : next(current, target, assignmentEpoch, heldByOther);
            case UNRELEASED_PARTITIONS -> next(current, target, assignmentEpoch, heldByOther);
        };
    }

    private static Progress next(Progress current, Set<TopicPartition> target, int assignmentEpoch,
                                 Predicate<TopicPartition> heldByOther) {
        Set<TopicPartition> assigned = new HashSet<>(current.assigned());
        assigned.retainAll(target);
        Set<TopicPartition> revoke = new HashSet<>(current.assigned());
        revoke.removeAll(assigned);
        if (!revoke.isEmpty()) {
            return new Progress(current.memberEpoch(), MemberState.UNREVOKED_PARTITIONS, assigned, revoke);
        }
        boolean unreleased = false;
        for (TopicPartition partition : target) {
            if (!assigned.contains(partition)) {
                if (heldByOther.test(partition)) {
                    unreleased = true;
                } else {
                    assigned.add(partition);
                }
            }
        }
        MemberState state = unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE;
        return new Progress(assignmentEpoch, state, assigned, Set.of());
    }

    private static boolean ownsAny(Set<TopicPartition> owned, Set<TopicPartition> revoked) {
        for (TopicPartition partition : revoked) {
            if (owned.contains(partition)) {
                return true;
            }
        }
        return false;
    }
}
