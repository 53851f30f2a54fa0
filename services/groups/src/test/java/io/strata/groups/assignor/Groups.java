package io.strata.groups.assignor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** Builders for assignor inputs and checks on their results, shared by the assignor tests. */
final class Groups {

    private Groups() {
    }

    static MemberSubscription member(String id, String... topics) {
        return new MemberSubscription(id, Optional.empty(), Optional.empty(), Set.of(topics), Set.of());
    }

    static MemberSubscription staticMember(String id, String instanceId, String... topics) {
        return new MemberSubscription(id, Optional.of(instanceId), Optional.empty(), Set.of(topics), Set.of());
    }

    static MemberSubscription withTarget(MemberSubscription m, Set<TopicPartition> target) {
        return new MemberSubscription(m.memberId(), m.instanceId(), m.rack(), m.topics(), target);
    }

    static MemberSubscription withId(MemberSubscription m, String memberId) {
        return new MemberSubscription(memberId, m.instanceId(), m.rack(), m.topics(), m.currentTarget());
    }

    static Map<String, MemberSubscription> group(MemberSubscription... members) {
        Map<String, MemberSubscription> group = new LinkedHashMap<>();
        for (MemberSubscription m : members) {
            group.put(m.memberId(), m);
        }
        return group;
    }

    /** {@code count} members "m-0000", "m-0001", ... all subscribed to {@code topics}. */
    static Map<String, MemberSubscription> sameSubscriptions(int count, String... topics) {
        return group(IntStream.range(0, count).mapToObj(i -> member(memberId(i), topics))
                .toArray(MemberSubscription[]::new));
    }

    static String memberId(int i) {
        return "m-%04d".formatted(i);
    }

    /** Topics "t-000", "t-001", ... with {@code total} partitions split as evenly as range would. */
    static Map<String, Integer> topics(int topicCount, int total) {
        Map<String, Integer> counts = new TreeMap<>();
        for (int t = 0; t < topicCount; t++) {
            counts.put(topicName(t), total / topicCount + (t < total % topicCount ? 1 : 0));
        }
        return counts;
    }

    static String topicName(int t) {
        return "t-%03d".formatted(t);
    }

    /** The same members, each with its share of {@code previous} as its current target. */
    static Map<String, MemberSubscription> carryOver(Map<String, MemberSubscription> members,
                                                     Map<String, Set<TopicPartition>> previous) {
        Map<String, MemberSubscription> next = new LinkedHashMap<>();
        members.forEach((id, m) -> next.put(id, withTarget(m, previous.getOrDefault(id, Set.of()))));
        return next;
    }

    static Map<TopicPartition, String> owners(Map<String, Set<TopicPartition>> assignment) {
        Map<TopicPartition, String> owners = new HashMap<>();
        assignment.forEach((member, partitions) -> partitions.forEach(tp -> owners.put(tp, member)));
        return owners;
    }

    /** How many partitions of {@code after} have a different owner (or none) in {@code before}. */
    static long moved(Map<String, Set<TopicPartition>> before, Map<String, Set<TopicPartition>> after) {
        Map<TopicPartition, String> was = owners(before);
        return owners(after).entrySet().stream().filter(e -> !e.getValue().equals(was.get(e.getKey()))).count();
    }

    static Map<String, Integer> sizes(Map<String, Set<TopicPartition>> assignment) {
        return assignment.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().size(),
                (a, b) -> a, TreeMap::new));
    }

    /**
     * The contract of {@link PartitionAssignor}: an entry per member; every partition of every
     * subscribed, existing topic owned by exactly one member, which subscribes to its topic.
     */
    static void assertValid(Map<String, MemberSubscription> members, Map<String, Integer> partitionCounts,
                            Map<String, Set<TopicPartition>> assignment) {
        assertThat(assignment).containsOnlyKeys(members.keySet());
        Map<TopicPartition, Integer> ownerCount = new HashMap<>();
        assignment.forEach((member, partitions) -> {
            for (TopicPartition tp : partitions) {
                assertThat(members.get(member).topics()).as("topics of %s, which owns %s", member, tp)
                        .contains(tp.topic());
                ownerCount.merge(tp, 1, Integer::sum);
            }
        });
        Set<String> subscribed = members.values().stream().flatMap(m -> m.topics().stream())
                .filter(partitionCounts::containsKey).collect(Collectors.toSet());
        Map<TopicPartition, Integer> expected = new HashMap<>();
        subscribed.forEach(topic -> IntStream.range(0, partitionCounts.get(topic))
                .forEach(p -> expected.put(new TopicPartition(topic, p), 1)));
        assertThat(ownerCount).as("owners per partition").isEqualTo(expected);
    }

    /** Every partition's owner holds at most one more partition than any other subscriber of its topic. */
    static void assertBalanced(Map<String, MemberSubscription> members, Map<String, Set<TopicPartition>> assignment) {
        Map<String, Integer> minSubscriberLoad = new HashMap<>();
        members.forEach((id, m) -> m.topics().forEach(
                topic -> minSubscriberLoad.merge(topic, assignment.get(id).size(), Math::min)));
        assignment.forEach((member, partitions) -> {
            for (TopicPartition tp : partitions) {
                assertThat(partitions.size()).as("%s owns %s: its load against the least loaded subscriber", member, tp)
                        .isLessThanOrEqualTo(minSubscriberLoad.get(tp.topic()) + 1);
            }
        });
    }

    /**
     * No member can pass a partition, directly or through other members, to a member holding two
     * or more fewer: from each member, follow "holds a partition of t" to every subscriber of t.
     */
    static void assertNoChainEvensOut(Map<String, MemberSubscription> members,
                                      Map<String, Set<TopicPartition>> assignment) {
        Map<String, List<String>> subscribersByTopic = new HashMap<>();
        members.forEach((id, m) -> m.topics().forEach(
                topic -> subscribersByTopic.computeIfAbsent(topic, k -> new ArrayList<>()).add(id)));
        for (String start : members.keySet()) {
            int load = assignment.get(start).size();
            Set<String> seen = new HashSet<>(Set.of(start));
            ArrayDeque<String> queue = new ArrayDeque<>(seen);
            while (!queue.isEmpty()) {
                String member = queue.poll();
                assertThat(assignment.get(member).size()).as("%s (holding %d) reaches %s", start, load, member)
                        .isGreaterThanOrEqualTo(load - 1);
                assignment.get(member).stream().map(TopicPartition::topic).distinct()
                        .flatMap(topic -> subscribersByTopic.get(topic).stream())
                        .filter(seen::add).forEach(queue::add);
            }
        }
    }

    /** Every member owns floor(P/M) or ceil(P/M) partitions. */
    static void assertEven(Map<String, Set<TopicPartition>> assignment, int partitions) {
        int members = assignment.size();
        int floor = partitions / members;
        int ceil = floor + (partitions % members == 0 ? 0 : 1);
        assertThat(assignment.values()).allSatisfy(owned -> assertThat(owned.size()).isBetween(floor, ceil));
    }

    /** An assignor input. */
    record Input(Map<String, MemberSubscription> members, Map<String, Integer> partitionCounts) {
    }

    /** {@link #randomInput(Random, int, int)} with up to 12 members and 10 partitions a topic. */
    static Input randomInput(Random random) {
        return randomInput(random, 12, 10);
    }

    /**
     * A random input: up to {@code maxMembers} members subscribing to random subsets of six topics
     * (one of them missing from the counts, some with no partitions), some static, each with a
     * random, partly stale, current target.
     */
    static Input randomInput(Random random, int maxMembers, int maxPartitions) {
        List<String> topicPool = List.of("a", "b", "c", "d", "e", "gone");
        Map<String, Integer> counts = new HashMap<>();
        for (String topic : topicPool.subList(0, 5)) {
            counts.put(topic, random.nextInt(maxPartitions + 1));
        }
        int size = random.nextInt(maxMembers + 1);
        Map<String, MemberSubscription> members = new HashMap<>();
        for (int i = 0; i < size; i++) {
            Set<String> topics = topicPool.stream().filter(t -> random.nextInt(3) == 0).collect(Collectors.toSet());
            Set<TopicPartition> target = topicPool.stream()
                    .flatMap(t -> IntStream.range(0, maxPartitions + 2).filter(p -> random.nextInt(6) == 0)
                            .mapToObj(p -> new TopicPartition(t, p)))
                    .collect(Collectors.toSet());
            String id = "member-" + random.nextInt(1000) + "-" + i;
            Optional<String> instance = random.nextBoolean() ? Optional.of("instance-" + i) : Optional.empty();
            members.put(id, new MemberSubscription(id, instance, Optional.empty(), topics, target));
        }
        return new Input(members, counts);
    }
}
