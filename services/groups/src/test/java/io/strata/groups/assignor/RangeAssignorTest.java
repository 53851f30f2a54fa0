package io.strata.groups.assignor;

import static io.strata.groups.assignor.Groups.carryOver;
import static io.strata.groups.assignor.Groups.group;
import static io.strata.groups.assignor.Groups.member;
import static io.strata.groups.assignor.Groups.staticMember;
import static io.strata.groups.assignor.Groups.withId;
import static io.strata.groups.assignor.Groups.withTarget;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RangeAssignorTest {

    private final RangeAssignor assignor = new RangeAssignor();

    private static Set<TopicPartition> range(String topic, int from, int to) {
        return IntStream.range(from, to).mapToObj(p -> new TopicPartition(topic, p)).collect(Collectors.toSet());
    }

    private static Set<Integer> numbers(Set<TopicPartition> partitions, String topic) {
        return partitions.stream().filter(tp -> tp.topic().equals(topic)).map(TopicPartition::partition)
                .collect(Collectors.toSet());
    }

    @Test
    void eachTopicIsSplitIntoContiguousRangesWithTheFirstMembersGettingOneMore() {
        Map<String, MemberSubscription> members = group(member("c", "t"), member("a", "t"), member("b", "t"));

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, Map.of("t", 8));

        assertThat(assignment).isEqualTo(Map.of("a", range("t", 0, 3), "b", range("t", 3, 6), "c", range("t", 6, 8)));
    }

    @Test
    void membersWithTheSameSubscriptionsGetTheSamePartitionNumbersOfEachTopic() {
        Map<String, MemberSubscription> members = group(member("a", "orders", "payments"),
                member("b", "orders", "payments"), member("c", "orders", "payments"));

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, Map.of("orders", 10, "payments", 10));

        assignment.forEach((id, owned) -> assertThat(numbers(owned, "payments")).isEqualTo(numbers(owned, "orders")));
    }

    @Test
    void onlyATopicsSubscribersShareIt() {
        Map<String, MemberSubscription> members = group(member("a", "x"), member("b", "x", "y"), member("c", "y"));

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, Map.of("x", 4, "y", 3));

        assertThat(assignment.get("a")).isEqualTo(range("x", 0, 2));
        assertThat(assignment.get("b")).isEqualTo(Set.of(new TopicPartition("x", 2), new TopicPartition("x", 3),
                new TopicPartition("y", 0), new TopicPartition("y", 1)));
        assertThat(assignment.get("c")).isEqualTo(range("y", 2, 3));
    }

    @Test
    void staticMembersComeFirstInInstanceIdOrderThenDynamicMembersInMemberIdOrder() {
        Map<String, MemberSubscription> members = group(member("a", "t"), staticMember("z", "consumer-2", "t"),
                staticMember("y", "consumer-1", "t"), member("b", "t"));

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, Map.of("t", 4));

        assertThat(assignment).isEqualTo(Map.of("y", range("t", 0, 1), "z", range("t", 1, 2),
                "a", range("t", 2, 3), "b", range("t", 3, 4)));
    }

    @Test
    void staticMemberRejoiningUnderANewMemberIdKeepsItsRanges() {
        Map<String, Integer> counts = Map.of("orders", 7, "payments", 7);
        Map<String, MemberSubscription> members = group(staticMember("m-5", "consumer-a", "orders", "payments"),
                staticMember("m-3", "consumer-b", "orders", "payments"),
                staticMember("m-1", "consumer-c", "orders", "payments"));
        Map<String, Set<TopicPartition>> before = assignor.assign(members, counts);

        // consumer-b restarts as m-0, which sorts first by member id; its instance id keeps its place.
        Map<String, MemberSubscription> restarted = group(members.get("m-5"), withId(members.get("m-3"), "m-0"),
                members.get("m-1"));
        Map<String, Set<TopicPartition>> after = assignor.assign(restarted, counts);

        assertThat(after.get("m-0")).isEqualTo(before.get("m-3"));
        assertThat(after.get("m-5")).isEqualTo(before.get("m-5"));
        assertThat(after.get("m-1")).isEqualTo(before.get("m-1"));
    }

    @Test
    void unchangedMembershipKeepsEveryRangeWhateverTheCurrentTargets() {
        Map<String, MemberSubscription> members = group(member("a", "t"), member("b", "t"), member("c", "t"));
        Map<String, Set<TopicPartition>> before = assignor.assign(members, Map.of("t", 9));

        Map<String, MemberSubscription> scrambled = carryOver(members, before);
        scrambled.put("a", withTarget(members.get("a"), range("t", 6, 9)));

        assertThat(assignor.assign(carryOver(members, before), Map.of("t", 9))).isEqualTo(before);
        assertThat(assignor.assign(scrambled, Map.of("t", 9))).isEqualTo(before);
    }

    @Test
    void moreMembersThanPartitionsLeavesTheLastMembersEmpty() {
        Map<String, MemberSubscription> members = group(member("a", "t"), member("b", "t"), member("c", "t"));

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, Map.of("t", 2));

        assertThat(assignment).isEqualTo(Map.of("a", range("t", 0, 1), "b", range("t", 1, 2), "c", Set.of()));
    }
}
