package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which member holds each partition of a group (in its assigned partitions or its pending
 * revocation). The invariant it guards: a partition is held by at most one member. Every change
 * of a member's holdings goes through {@link #update}, which checks before it changes anything.
 * Not thread-safe: its group's lock covers it.
 */
final class PartitionOwnership {

    private final Map<TopicPartition, String> owners = new HashMap<>();

    boolean heldByOther(TopicPartition partition, String memberId) {
        String owner = owners.get(partition);
        return owner != null && !owner.equals(memberId);
    }

    /**
     * Replaces what {@code memberId} holds: {@code before} by {@code after}.
     *
     * @throws IllegalStateException (a bug) when {@code after} names a partition another member
     *                               holds, or {@code before} one this member does not; nothing changes then
     */
    void update(String memberId, Set<TopicPartition> before, Set<TopicPartition> after) {
        for (TopicPartition partition : after) {
            String owner = owners.get(partition);
            if (owner != null && !owner.equals(memberId)) {
                throw new IllegalStateException("partition " + partition + " is held by member " + owner
                        + "; member " + memberId + " cannot take it");
            }
        }
        for (TopicPartition partition : before) {
            String owner = owners.get(partition);
            if (owner != null && !owner.equals(memberId)) {
                throw new IllegalStateException("member " + memberId + " gives up " + partition
                        + ", which member " + owner + " holds");
            }
        }
        for (TopicPartition partition : before) {
            if (!after.contains(partition)) {
                owners.remove(partition);
            }
        }
        for (TopicPartition partition : after) {
            owners.put(partition, memberId);
        }
    }

    /** Hands everything {@code from} holds to {@code to} (a static member replaced under a new member id). */
    void transfer(String from, String to, Set<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            owners.replace(partition, from, to);
        }
    }

    /** A copy, for describe output and tests. */
    Map<TopicPartition, String> snapshot() {
        return new HashMap<>(owners);
    }
}
