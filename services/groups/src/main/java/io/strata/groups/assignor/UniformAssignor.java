package io.strata.groups.assignor;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The default server-side assignor, {@value #NAME}: balanced and sticky, like Kafka's
 * server-side {@code UniformAssignor} (KIP-848).
 *
 * <ul>
 *   <li><b>Balanced.</b> When every member subscribes to the same topics, each gets
 *       {@code floor(P/M)} or {@code ceil(P/M)} of the P partitions. Otherwise the counts are as
 *       even as the subscriptions allow: every partition's owner holds at most one partition more
 *       than any other member subscribed to its topic, and no member could pass a partition on,
 *       through other members, to one holding two fewer.</li>
 *   <li><b>Sticky.</b> A member keeps every partition of its {@code currentTarget} that is still
 *       valid (its topic still subscribed and existing, the partition number below the count) unless
 *       it holds more than balance allows; so from a balanced assignment a joining member takes
 *       only its share, and only a leaving member's partitions move. A static member that restarts
 *       under a new member id keeps its partitions when the coordinator carries its previous
 *       target over to the new member id.</li>
 *   <li><b>Spread.</b> The partitions a member receives are dealt round-robin over the
 *       topic-then-partition order, so a member's share comes from several topics.</li>
 *   <li><b>Deterministic.</b> Members are processed in member-id order and partitions in
 *       topic-then-partition order; hash iteration order never reaches the result.</li>
 *   <li><b>Not rack-aware.</b> A member's {@code rack} is ignored.</li>
 * </ul>
 *
 * Identical subscriptions use {@link HomogeneousUniformBuilder} (O(P log P + M)); others
 * {@link HeterogeneousUniformBuilder}. Members whose topics do not exist get an empty assignment
 * and are left out of the balance. Stateless and thread-safe; see DESIGN.md in this package.
 */
public final class UniformAssignor implements PartitionAssignor {

    public static final String NAME = "uniform";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Set<TopicPartition>> assign(Map<String, MemberSubscription> members,
                                                   Map<String, Integer> partitionCounts) {
        GroupView group = GroupView.of(members, partitionCounts);
        int[] subscribing = IntStream.range(0, group.memberCount())
                .filter(m -> group.topicsOf(m).length > 0).toArray();
        boolean homogeneous = Arrays.stream(subscribing)
                .allMatch(m -> Arrays.equals(group.topicsOf(m), group.topicsOf(subscribing[0])));
        int[][] owner = homogeneous
                ? HomogeneousUniformBuilder.assign(group, subscribing)
                : HeterogeneousUniformBuilder.assign(group);
        return group.toResult(owner);
    }

    @Override
    public String toString() {
        return NAME;
    }
}
