package io.strata.groups.assignor;

import static io.strata.groups.assignor.Groups.assertEven;
import static io.strata.groups.assignor.Groups.assertBalanced;
import static io.strata.groups.assignor.Groups.assertValid;
import static io.strata.groups.assignor.Groups.carryOver;
import static io.strata.groups.assignor.Groups.memberId;
import static io.strata.groups.assignor.Groups.moved;
import static io.strata.groups.assignor.Groups.sameSubscriptions;
import static io.strata.groups.assignor.Groups.topicName;
import static io.strata.groups.assignor.Groups.topics;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Large groups: checks the results and prints how long each assignment took. Times are printed,
 * never asserted (no timed assertions in unit tests); each case runs a few times so the printout
 * shows the cold first run and the warmed-up best. Balance is checked pairwise only here: the
 * chained check is quadratic, and UniformAssignorTest runs it on many smaller random groups.
 */
class AssignorScaleTest {

    private static final int RUNS = 5;

    private final UniformAssignor uniform = new UniformAssignor();

    @Test
    void hundredMembersOverAThousandPartitions() {
        sameSubscriptionsChurn(100, 10, 1_000);
    }

    @Test
    void thousandMembersOverTenThousandPartitions() {
        sameSubscriptionsChurn(1_000, 100, 10_000);
    }

    @Test
    void thousandMembersWithDifferentSubscriptionsOverTenThousandPartitions() {
        Map<String, Integer> counts = topics(100, 10_000);
        Random random = new Random(5);
        Map<String, MemberSubscription> members = new LinkedHashMap<>();
        for (int i = 0; i < 1_000; i++) {
            Set<String> subscribed = new TreeSet<>();
            while (subscribed.size() < 10) {
                subscribed.add(topicName(random.nextInt(100)));
            }
            members.put(memberId(i), new MemberSubscription(memberId(i), Optional.empty(), Optional.empty(), subscribed,
                    Set.of()));
        }

        Map<String, Set<TopicPartition>> fresh = timed("uniform, 1000 members (10 of 100 topics each) x 10000 partitions, fresh",
                () -> uniform.assign(members, counts));
        assertValid(members, counts, fresh);
        assertBalanced(members, fresh);

        Map<String, MemberSubscription> joined = carryOver(members, fresh);
        joined.put("joiner", new MemberSubscription("joiner", Optional.empty(), Optional.empty(),
                Set.of(topicName(0), topicName(1), topicName(2)), Set.of()));
        Map<String, Set<TopicPartition>> after = timed("uniform, 1000 members (10 of 100 topics each) x 10000 partitions, one joins",
                () -> uniform.assign(joined, counts));
        assertValid(joined, counts, after);
        assertBalanced(joined, after);

        Map<String, MemberSubscription> hogging = carryOver(members, Map.of());
        Set<TopicPartition> everything = new TreeSet<>();
        counts.forEach((topic, n) -> IntStream.range(0, n).forEach(p -> everything.add(new TopicPartition(topic, p))));
        hogging.put("hog", new MemberSubscription("hog", Optional.empty(), Optional.empty(), counts.keySet(), everything));
        Map<String, Set<TopicPartition>> unhogged = timed(
                "uniform, 1000 members (10 of 100 topics each) x 10000 partitions, one held everything",
                () -> uniform.assign(hogging, counts));
        assertValid(hogging, counts, unhogged);
        assertBalanced(hogging, unhogged);
    }

    @Test
    void rangeOverAThousandMembersAndTenThousandPartitions() {
        Map<String, Integer> counts = topics(100, 10_000);
        Map<String, MemberSubscription> members = sameSubscriptions(1_000, counts.keySet().toArray(String[]::new));
        RangeAssignor range = new RangeAssignor();

        Map<String, Set<TopicPartition>> assignment = timed("range, 1000 members x 10000 partitions",
                () -> range.assign(members, counts));

        assertValid(members, counts, assignment);
    }

    private void sameSubscriptionsChurn(int memberCount, int topicCount, int partitionCount) {
        Map<String, Integer> counts = topics(topicCount, partitionCount);
        Map<String, MemberSubscription> members = sameSubscriptions(memberCount, counts.keySet().toArray(String[]::new));
        String label = "uniform, %d members x %d partitions".formatted(memberCount, partitionCount);

        Map<String, Set<TopicPartition>> fresh = timed(label + ", fresh", () -> uniform.assign(members, counts));
        assertValid(members, counts, fresh);
        assertEven(fresh, partitionCount);

        Map<String, MemberSubscription> joined = carryOver(members, fresh);
        joined.put("joiner", Groups.member("joiner", counts.keySet().toArray(String[]::new)));
        Map<String, Set<TopicPartition>> afterJoin = timed(label + ", one joins", () -> uniform.assign(joined, counts));
        assertEven(afterJoin, partitionCount);
        assertThat(moved(fresh, afterJoin)).isEqualTo(afterJoin.get("joiner").size());

        Map<String, MemberSubscription> left = carryOver(members, fresh);
        left.remove(memberId(0));
        Map<String, Set<TopicPartition>> afterLeave = timed(label + ", one leaves", () -> uniform.assign(left, counts));
        assertEven(afterLeave, partitionCount);
        assertThat(moved(fresh, afterLeave)).isEqualTo(fresh.get(memberId(0)).size());
    }

    private static <T> T timed(String label, Supplier<T> run) {
        T result = null;
        long first = 0;
        long best = Long.MAX_VALUE;
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            result = run.get();
            long took = System.nanoTime() - start;
            first = i == 0 ? took : first;
            best = Math.min(best, took);
        }
        System.out.printf("%-85s first %7.2f ms, best of %d %7.2f ms%n", label, first / 1e6, RUNS, best / 1e6);
        return result;
    }
}
