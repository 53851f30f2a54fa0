package io.strata.groups.assignor;

import static io.strata.groups.assignor.Groups.assertBalanced;
import static io.strata.groups.assignor.Groups.assertEven;
import static io.strata.groups.assignor.Groups.assertNoChainEvensOut;
import static io.strata.groups.assignor.Groups.assertValid;
import static io.strata.groups.assignor.Groups.carryOver;
import static io.strata.groups.assignor.Groups.group;
import static io.strata.groups.assignor.Groups.member;
import static io.strata.groups.assignor.Groups.memberId;
import static io.strata.groups.assignor.Groups.moved;
import static io.strata.groups.assignor.Groups.sameSubscriptions;
import static io.strata.groups.assignor.Groups.sizes;
import static io.strata.groups.assignor.Groups.staticMember;
import static io.strata.groups.assignor.Groups.topics;
import static io.strata.groups.assignor.Groups.withId;
import static io.strata.groups.assignor.Groups.withTarget;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class UniformAssignorTest {

    private final UniformAssignor assignor = new UniformAssignor();

    private static TopicPartition tp(String topic, int partition) {
        return new TopicPartition(topic, partition);
    }

    private static Set<TopicPartition> partitions(String topic, int from, int to) {
        return IntStream.range(from, to).mapToObj(p -> tp(topic, p)).collect(Collectors.toCollection(HashSet::new));
    }

    // Identical subscriptions.

    @Test
    void sameSubscriptionsGiveEveryMemberTheFloorOrTheCeilingOfItsShare() {
        for (int m = 1; m <= 13; m++) {
            for (int total : new int[] {0, 1, 5, 12, 13, 100, 257}) {
                Map<String, Integer> counts = topics(3, total);
                Map<String, MemberSubscription> members = sameSubscriptions(m, counts.keySet().toArray(String[]::new));

                Map<String, Set<TopicPartition>> assignment = assignor.assign(members, counts);

                assertValid(members, counts, assignment);
                assertEven(assignment, total);
            }
        }
    }

    @Test
    void joiningMemberTakesOnlyItsShareFromOthersWithSameSubscriptions() {
        for (int m = 1; m <= 12; m++) {
            for (int total : new int[] {1, 7, 30, 101}) {
                Map<String, Integer> counts = topics(4, total);
                String[] topicNames = counts.keySet().toArray(String[]::new);
                Map<String, MemberSubscription> members = sameSubscriptions(m, topicNames);
                Map<String, Set<TopicPartition>> before = assignor.assign(members, counts);

                Map<String, MemberSubscription> joined = carryOver(members, before);
                joined.put("joiner", member("joiner", topicNames));
                Map<String, Set<TopicPartition>> after = assignor.assign(joined, counts);

                assertEven(after, total);
                assertThat(moved(before, after)).as("%d members, %d partitions", m, total)
                        .isEqualTo(after.get("joiner").size());
                before.forEach((id, owned) -> assertThat(owned).containsAll(after.get(id)));
            }
        }
    }

    @Test
    void leavingMemberReleasesOnlyItsOwnPartitionsWithSameSubscriptions() {
        for (int m = 2; m <= 12; m++) {
            for (int total : new int[] {1, 7, 30, 101}) {
                Map<String, Integer> counts = topics(4, total);
                Map<String, MemberSubscription> members = sameSubscriptions(m, counts.keySet().toArray(String[]::new));
                Map<String, Set<TopicPartition>> before = assignor.assign(members, counts);
                String leaver = memberId(m / 2);

                Map<String, MemberSubscription> remaining = carryOver(members, before);
                remaining.remove(leaver);
                Map<String, Set<TopicPartition>> after = assignor.assign(remaining, counts);

                assertEven(after, total);
                assertThat(moved(before, after)).as("%d members, %d partitions", m, total)
                        .isEqualTo(before.get(leaver).size());
                after.forEach((id, owned) -> assertThat(owned).containsAll(before.get(id)));
            }
        }
    }

    @Test
    void staticMemberRejoiningUnderANewMemberIdKeepsItsPartitionsWhenItsTargetIsCarriedOver() {
        Map<String, Integer> counts = Map.of("orders", 10, "payments", 7);
        Map<String, MemberSubscription> members = group(
                staticMember("b-1", "consumer-b", "orders", "payments"),
                staticMember("c-1", "consumer-c", "orders", "payments"),
                member("a-1", "orders", "payments"));
        Map<String, Set<TopicPartition>> before = assignor.assign(members, counts);

        // The coordinator replaces b-1 by z-9 (same instance id) and carries b-1's target over.
        Map<String, MemberSubscription> restarted = carryOver(members, before);
        MemberSubscription rejoined = withId(restarted.remove("b-1"), "z-9");
        restarted.put("z-9", rejoined);
        Map<String, Set<TopicPartition>> after = assignor.assign(restarted, counts);

        assertThat(after.get("z-9")).isEqualTo(before.get("b-1"));
        assertThat(after.get("a-1")).isEqualTo(before.get("a-1"));
        assertThat(after.get("c-1")).isEqualTo(before.get("c-1"));
    }

    @Test
    void overloadedMemberKeepsItsQuotaAndGivesUpOnlyTheRest() {
        Set<TopicPartition> all = partitions("t", 0, 10);
        Map<String, MemberSubscription> members = group(withTarget(member("a", "t"), all), member("b", "t"),
                member("c", "t"));

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, Map.of("t", 10));

        assertThat(sizes(assignment)).isEqualTo(Map.of("a", 4, "b", 3, "c", 3));
        assertThat(all).containsAll(assignment.get("a"));
    }

    @Test
    void newPartitionsAreDealtRoundRobinAcrossTopics() {
        Map<String, MemberSubscription> members = group(member("a", "x", "y"), member("b", "x", "y"));

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, Map.of("x", 4, "y", 4));

        assertThat(assignment.get("a")).containsExactlyInAnyOrder(tp("x", 0), tp("x", 2), tp("y", 0), tp("y", 2));
        assertThat(assignment.get("b")).containsExactlyInAnyOrder(tp("x", 1), tp("x", 3), tp("y", 1), tp("y", 3));
    }

    @Test
    void memberOverItsQuotaKeepsPartitionsOfEachOfItsTopics() {
        Set<TopicPartition> previous = partitions("x", 0, 4);
        previous.addAll(partitions("y", 0, 4));
        Map<String, MemberSubscription> members = group(withTarget(member("a", "x", "y"), previous),
                member("b", "x", "y"));

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, Map.of("x", 4, "y", 4));

        assertThat(assignment.get("a")).containsExactlyInAnyOrder(tp("x", 0), tp("x", 1), tp("y", 0), tp("y", 1));
    }

    @Test
    void rackIsIgnored() {
        Map<String, MemberSubscription> plain = group(member("a", "t"), member("b", "t"));
        Map<String, MemberSubscription> racked = new LinkedHashMap<>();
        plain.forEach((id, m) -> racked.put(id, new MemberSubscription(id, Optional.empty(),
                Optional.of("rack-" + id), m.topics(), m.currentTarget())));

        assertThat(assignor.assign(racked, Map.of("t", 5))).isEqualTo(assignor.assign(plain, Map.of("t", 5)));
    }

    // Different subscriptions.

    @Test
    void differentSubscriptionsAreEvenedOutAsFarAsSubscriptionsAllow() {
        Random random = new Random(11);
        for (int round = 0; round < 1_000; round++) {
            Groups.Input input = Groups.randomInput(random);

            Map<String, Set<TopicPartition>> assignment = assignor.assign(input.members(), input.partitionCounts());

            assertValid(input.members(), input.partitionCounts(), assignment);
            assertBalanced(input.members(), assignment);
            assertNoChainEvensOut(input.members(), assignment);
        }
    }

    @Test
    void largerGroupsWithDifferentSubscriptionsAreEvenedOutToo() {
        Random random = new Random(13);
        for (int round = 0; round < 200; round++) {
            Groups.Input input = Groups.randomInput(random, 60, 40);

            Map<String, Set<TopicPartition>> assignment = assignor.assign(input.members(), input.partitionCounts());

            assertValid(input.members(), input.partitionCounts(), assignment);
            assertNoChainEvensOut(input.members(), assignment);
        }
    }

    @Test
    void membersWithFewerTopicsStillGetTheirShare() {
        // a can only take t1; c alone can take t3, so the balance is 3/3/3.
        Map<String, MemberSubscription> members = group(member("a", "t1"), member("b", "t1", "t2"),
                member("c", "t1", "t2", "t3"));
        Map<String, Integer> counts = Map.of("t1", 3, "t2", 3, "t3", 3);

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, counts);

        assertValid(members, counts, assignment);
        assertThat(sizes(assignment)).isEqualTo(Map.of("a", 3, "b", 3, "c", 3));
        assertThat(assignment.get("c")).containsAll(partitions("t3", 0, 3));
    }

    @Test
    void joiningMemberTakesOnlyItsShareFromOthersWithDifferentSubscriptions() {
        Map<String, Integer> counts = Map.of("x", 6, "y", 6, "z", 4);
        Map<String, MemberSubscription> members = group(member("a", "x", "y"), member("b", "x", "y"),
                member("c", "z"));
        Map<String, Set<TopicPartition>> before = assignor.assign(members, counts);

        Map<String, MemberSubscription> joined = carryOver(members, before);
        joined.put("d", member("d", "y", "z"));
        Map<String, Set<TopicPartition>> after = assignor.assign(joined, counts);

        assertValid(joined, counts, after);
        assertBalanced(joined, after);
        assertThat(moved(before, after)).isEqualTo(after.get("d").size());
        before.forEach((id, owned) -> assertThat(owned).containsAll(after.get(id)));
    }

    @Test
    void leavingMemberReleasesOnlyItsOwnPartitionsWhenTheRestStayBalanced() {
        Map<String, Integer> counts = Map.of("x", 6, "y", 6, "z", 4);
        Map<String, MemberSubscription> members = group(member("a", "x", "y"), member("b", "x", "y"),
                member("c", "x", "y"), member("d", "z"));
        Map<String, Set<TopicPartition>> before = assignor.assign(members, counts);

        Map<String, MemberSubscription> remaining = carryOver(members, before);
        remaining.remove("b");
        Map<String, Set<TopicPartition>> after = assignor.assign(remaining, counts);

        assertBalanced(remaining, after);
        assertThat(moved(before, after)).isEqualTo(before.get("b").size());
        after.forEach((id, owned) -> assertThat(owned).containsAll(before.get(id)));
    }

    @Test
    void generalAlgorithmAlsoEvensOutIdenticalSubscriptionsAndMovesOnlyAJoinersShare() {
        // Identical subscriptions take the other path; the general one must agree on balance and stickiness.
        for (int m = 1; m <= 9; m++) {
            for (int total : new int[] {0, 3, 31, 64}) {
                Map<String, Integer> counts = topics(3, total);
                String[] topicNames = counts.keySet().toArray(String[]::new);
                Map<String, MemberSubscription> members = sameSubscriptions(m, topicNames);
                Map<String, Set<TopicPartition>> before = general(members, counts);
                assertValid(members, counts, before);
                assertEven(before, total);

                Map<String, MemberSubscription> joined = carryOver(members, before);
                joined.put("joiner", member("joiner", topicNames));
                Map<String, Set<TopicPartition>> after = general(joined, counts);

                assertEven(after, total);
                assertThat(moved(before, after)).isEqualTo(after.get("joiner").size());
            }
        }
    }

    @Test
    void memberBackWithEverythingKeepsOnlyWhatBalanceAllows() {
        Map<String, Integer> counts = Map.of("x", 20, "y", 20, "z", 5);
        Set<TopicPartition> everything = partitions("x", 0, 20);
        everything.addAll(partitions("y", 0, 20));
        everything.addAll(partitions("z", 0, 5));
        Map<String, MemberSubscription> members = group(withTarget(member("hog", "x", "y", "z"), everything),
                member("a", "x"), member("b", "x", "y"), member("c", "y"), member("d", "y", "z"));

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, counts);

        assertValid(members, counts, assignment);
        assertThat(sizes(assignment)).isEqualTo(Map.of("hog", 9, "a", 9, "b", 9, "c", 9, "d", 9));
        assertThat(everything).containsAll(assignment.get("hog"));
    }

    @Test
    void surplusIsPassedAlongThroughAMemberSharingATopicWithEachSide() {
        // a (5) and c (3) share no topic, and every pair that does is within one: pairwise balanced.
        Map<String, Integer> counts = Map.of("x", 5, "y", 7);
        Map<String, Set<TopicPartition>> before = Map.of("a", partitions("x", 0, 5), "b", partitions("y", 0, 4),
                "c", partitions("y", 4, 7));
        Map<String, MemberSubscription> members = carryOver(
                group(member("a", "x"), member("b", "x", "y"), member("c", "y")), before);

        Map<String, Set<TopicPartition>> after = assignor.assign(members, counts);

        assertValid(members, counts, after);
        assertThat(sizes(after)).isEqualTo(Map.of("a", 4, "b", 4, "c", 4));
        assertThat(moved(before, after)).as("one x from a to b, one y from b to c").isEqualTo(2);
    }

    private static Map<String, Set<TopicPartition>> general(Map<String, MemberSubscription> members,
                                                            Map<String, Integer> counts) {
        GroupView view = GroupView.of(members, counts);
        return view.toResult(HeterogeneousUniformBuilder.assign(view));
    }
}
