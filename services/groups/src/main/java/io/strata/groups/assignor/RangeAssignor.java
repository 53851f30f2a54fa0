package io.strata.groups.assignor;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@value #NAME} assignor: Kafka's range semantics, topic by topic.
 *
 * <p>For each topic, its subscribers are put in <em>range order</em> and its P partitions are
 * split into contiguous ranges, one per subscriber in that order; with M subscribers each range has
 * {@code floor(P/M)} partitions and the first {@code P mod M} ranges one more. Range order is
 * Kafka's: static members (those with a non-blank instance id) first, by instance id, then
 * dynamic members by member id.
 *
 * <p>What follows from that:
 * <ul>
 *   <li><b>Co-partitioning.</b> Members with the same subscriptions hold the same partition numbers
 *       of every topic with the same partition count, so records keyed alike on co-partitioned
 *       topics reach the same member (what range is chosen for).</li>
 *   <li><b>Sticky by construction.</b> The ranges are a function of the ordered subscribers and
 *       the partition count alone, so while those stay the same every member keeps its ranges,
 *       and a static member that restarts under a new member id keeps its place, and so its
 *       ranges, through its instance id. {@code currentTarget} is not read: keeping partitions across
 *       membership changes would break the contiguous ranges and with them co-partitioning.</li>
 *   <li><b>Balanced per topic only.</b> Members early in range order may get one extra partition of
 *       every topic, as in Kafka; use {@link UniformAssignor} for overall balance.</li>
 *   <li>A member's {@code rack} is ignored.</li>
 * </ul>
 *
 * Stateless and thread-safe.
 */
public final class RangeAssignor implements PartitionAssignor {

    public static final String NAME = "range";

    /** Static members first, by instance id; then dynamic members; member id breaks ties. */
    static final Comparator<MemberSubscription> RANGE_ORDER = Comparator
            .comparing((MemberSubscription m) -> instanceId(m).isEmpty())
            .thenComparing(m -> instanceId(m).orElse(""))
            .thenComparing(MemberSubscription::memberId);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Set<TopicPartition>> assign(Map<String, MemberSubscription> members,
                                                   Map<String, Integer> partitionCounts) {
        GroupView group = GroupView.of(members, partitionCounts);
        Integer[] order = new Integer[group.memberCount()];
        Arrays.setAll(order, m -> m);
        Arrays.sort(order, Comparator.comparing(group::member, RANGE_ORDER).thenComparingInt(m -> m));

        // Each topic's subscribers, in range order.
        int[][] subscribers = group.subscribersByTopic();
        int[] size = new int[group.topicCount()];
        for (int m : order) {
            for (int t : group.topicsOf(m)) {
                subscribers[t][size[t]++] = m;
            }
        }

        int[][] owner = group.newOwnerTable();
        for (int t = 0; t < group.topicCount(); t++) {
            int partitions = group.partitionCount(t);
            int quota = partitions / size[t];
            int extra = partitions % size[t];
            int p = 0;
            for (int i = 0; i < size[t]; i++) {
                int end = p + quota + (i < extra ? 1 : 0);
                Arrays.fill(owner[t], p, end, subscribers[t][i]);
                p = end;
            }
        }
        return group.toResult(owner);
    }

    private static Optional<String> instanceId(MemberSubscription member) {
        return member.instanceId().filter(id -> !id.isBlank());
    }

    @Override
    public String toString() {
        return NAME;
    }
}
