package io.strata.groups.assignor;

import static io.strata.groups.assignor.Groups.assertValid;
import static io.strata.groups.assignor.Groups.carryOver;
import static io.strata.groups.assignor.Groups.group;
import static io.strata.groups.assignor.Groups.member;
import static io.strata.groups.assignor.Groups.owners;
import static io.strata.groups.assignor.Groups.withTarget;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@link PartitionAssignor} contract, run for every assignor {@link Assignors} knows, so an
 * assignor added there is checked without a new test class.
 */
class AssignorContractTest {

    static Stream<PartitionAssignor> assignors() {
        return Assignors.names().stream().map(Assignors::byName);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void everyPartitionOfSubscribedTopicsIsAssignedExactlyOnceAndOnlyToASubscriber(PartitionAssignor assignor) {
        Random random = new Random(42);
        for (int round = 0; round < 500; round++) {
            Groups.Input input = Groups.randomInput(random);
            Map<String, Set<TopicPartition>> assignment = assignor.assign(input.members(), input.partitionCounts());
            assertValid(input.members(), input.partitionCounts(), assignment);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void recordsOfOneKeyReachExactlyOneMember(PartitionAssignor assignor) {
        // The producer maps a key to one partition (murmur2, in the client); a consumer group
        // delivers all of the key's records to one member iff that partition has exactly one owner.
        Map<String, Integer> counts = Map.of("orders", 12, "payments", 5);
        Map<String, MemberSubscription> members = group(member("a", "orders", "payments"), member("b", "orders"),
                member("c", "orders", "payments"), member("d", "payments"));
        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, counts);

        for (String topic : counts.keySet()) {
            for (int k = 0; k < 1_000; k++) {
                TopicPartition partition = new TopicPartition(topic, Math.floorMod(("key-" + k).hashCode(), counts.get(topic)));
                assertThat(assignment.values().stream().filter(owned -> owned.contains(partition)))
                        .as("owners of %s", partition).hasSize(1);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void everyMemberHasAnEntryEvenWhenThereIsNothingForIt(PartitionAssignor assignor) {
        Map<String, MemberSubscription> members = group(member("a", "t"), member("b", "t"), member("c", "t"),
                member("d", "u"));
        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, Map.of("t", 2, "u", 0));

        assertValid(members, Map.of("t", 2, "u", 0), assignment);
        assertThat(assignment.get("d")).isEmpty();
        assertThat(assignment.values().stream().filter(Set::isEmpty)).hasSize(2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void emptyGroupGetsAnEmptyAssignment(PartitionAssignor assignor) {
        assertThat(assignor.assign(Map.of(), Map.of("t", 3))).isEmpty();
        assertThat(assignor.assign(Map.of(), Map.of())).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void memberSubscribedToMissingTopicsGetsNothing(PartitionAssignor assignor) {
        Map<String, MemberSubscription> members = group(member("a", "t"), member("b", "missing"),
                member("c", "t", "missing"));
        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, Map.of("t", 4));

        assertValid(members, Map.of("t", 4), assignment);
        assertThat(assignment.get("b")).isEmpty();
        assertThat(assignment.get("a")).hasSize(2);
        assertThat(assignment.get("c")).hasSize(2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void partitionsAddedToATopicAreAssigned(PartitionAssignor assignor) {
        Map<String, MemberSubscription> members = group(member("a", "t"), member("b", "t"), member("c", "t"));
        Map<String, Set<TopicPartition>> before = assignor.assign(members, Map.of("t", 4));

        Map<String, Set<TopicPartition>> after = assignor.assign(carryOver(members, before), Map.of("t", 9));

        assertValid(members, Map.of("t", 9), after);
        assertThat(after.values()).allSatisfy(owned -> assertThat(owned).hasSize(3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void staleTargetsOfShrunkOrUnsubscribedTopicsAreDropped(PartitionAssignor assignor) {
        Set<TopicPartition> stale = Set.of(new TopicPartition("t", 0), new TopicPartition("t", 7),
                new TopicPartition("deleted", 0), new TopicPartition("u", 1), new TopicPartition("t", -1));
        Map<String, MemberSubscription> members = group(withTarget(member("a", "t"), stale), member("b", "t", "u"));
        Map<String, Integer> counts = Map.of("t", 3, "u", 2);

        Map<String, Set<TopicPartition>> assignment = assignor.assign(members, counts);

        assertValid(members, counts, assignment);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void partitionListedInTwoTargetsIsStillAssignedOnce(PartitionAssignor assignor) {
        Set<TopicPartition> both = Set.of(new TopicPartition("t", 0), new TopicPartition("t", 1));
        Map<String, MemberSubscription> members = group(withTarget(member("a", "t"), both),
                withTarget(member("b", "t"), both));

        assertValid(members, Map.of("t", 2), assignor.assign(members, Map.of("t", 2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void unchangedGroupKeepsItsAssignment(PartitionAssignor assignor) {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            Groups.Input input = Groups.randomInput(random);
            Map<String, Set<TopicPartition>> first = assignor.assign(input.members(), input.partitionCounts());

            Map<String, Set<TopicPartition>> second = assignor.assign(carryOver(input.members(), first),
                    input.partitionCounts());

            assertThat(second).isEqualTo(first);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void sameInputGivesTheSameAssignmentWhateverTheMapOrder(PartitionAssignor assignor) {
        Random random = new Random(3);
        for (int round = 0; round < 200; round++) {
            Groups.Input input = Groups.randomInput(random);
            List<String> ids = new ArrayList<>(input.members().keySet());
            Collections.shuffle(ids, random);
            Map<String, MemberSubscription> shuffled = new HashMap<>();
            ids.forEach(id -> shuffled.put(id, input.members().get(id)));
            Map<String, MemberSubscription> reversed = new TreeMap<>(Collections.reverseOrder());
            reversed.putAll(input.members());

            Map<String, Set<TopicPartition>> expected = assignor.assign(input.members(), input.partitionCounts());

            assertThat(owners(assignor.assign(shuffled, new TreeMap<>(input.partitionCounts()))))
                    .isEqualTo(owners(expected));
            assertThat(assignor.assign(reversed, input.partitionCounts())).isEqualTo(expected);
            assertThat(List.copyOf(expected.keySet())).isSorted();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("assignors")
    void negativePartitionCountIsRejected(PartitionAssignor assignor) {
        assertThatThrownBy(() -> assignor.assign(group(member("a", "t")), Map.of("t", -1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("t");
    }
}
