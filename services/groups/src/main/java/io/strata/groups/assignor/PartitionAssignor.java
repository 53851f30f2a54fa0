package io.strata.groups.assignor;

import java.util.Map;
import java.util.Set;

/**
 * Computes a group's target assignment on the server (KIP-848 style): which member should own
 * which partitions. Pure and deterministic: the same input gives the same output, so a standby
 * that takes over computes what the active instance would have. Implementations are stateless
 * and thread-safe.
 *
 * <p>Contract every implementation keeps (AssignorContractTest checks it):
 * <ul>
 *   <li>every partition of every topic some member subscribes to is assigned to exactly one
 *       member subscribed to its topic; no member gets a partition of a topic it does not subscribe to;</li>
 *   <li>the result has an entry (possibly empty) for every member;</li>
 *   <li>no partition count is assumed: {@code partitionCounts} holds each subscribed topic that exists.</li>
 * </ul>
 */
public interface PartitionAssignor {

    /** The name members ask for in {@code server_assignor}: "uniform" or "range". */
    String name();

    /**
     * The target assignment.
     *
     * @param members         every member of the group, by member id
     * @param partitionCounts the number of partitions of each existing topic some member subscribes to
     * @return member id to the partitions it should own
     */
    Map<String, Set<TopicPartition>> assign(Map<String, MemberSubscription> members, Map<String, Integer> partitionCounts);
}
