package io.strata.coordination.topics;

import io.strata.proto.v1.NodeRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class RoundRobinPlacementTest {

    @Test
    void matchesKafkasRackUnawareAssignmentForAFixedStart() {
        // Kafka's ReplicaAssignmentTest/AdminUtilsTest expectation for brokers 0..4, 10 partitions, rf 3, start 0.
        List<List<Integer>> assignment = RoundRobinPlacement.assign(List.of(0, 1, 2, 3, 4), 10, 3, 0, 0);

        assertThat(assignment).containsExactly(
                List.of(0, 1, 2), List.of(1, 2, 3), List.of(2, 3, 4), List.of(3, 4, 0), List.of(4, 0, 1),
                List.of(0, 2, 3), List.of(1, 3, 4), List.of(2, 4, 0), List.of(3, 0, 1), List.of(4, 1, 2));
    }

    @Test
    void everyPartitionGetsDistinctReplicasAndLeadersSpreadEvenly() {
        List<NodeRecord> nodes = IntStream.of(3, 7, 11, 20).mapToObj(id -> NodeRecord.newBuilder().setNodeId(id).build()).toList();
        RoundRobinPlacement placement = new RoundRobinPlacement(new Random(42));

        List<List<Integer>> assignment = placement.assign(nodes, 12, 3);

        Map<Integer, Integer> leaders = new HashMap<>();
        for (List<Integer> replicas : assignment) {
            assertThat(replicas).hasSize(3).doesNotHaveDuplicates().isSubsetOf(3, 7, 11, 20);
            leaders.merge(replicas.get(0), 1, Integer::sum);
        }
        assertThat(leaders).containsOnlyKeys(3, 7, 11, 20).allSatisfy((node, count) -> assertThat(count).isEqualTo(3));
    }

    @Test
    void theRandomStartSpreadsSmallTopicsOverNodes() {
        List<NodeRecord> nodes = IntStream.range(0, 3).mapToObj(id -> NodeRecord.newBuilder().setNodeId(id).build()).toList();
        RoundRobinPlacement placement = new RoundRobinPlacement(new Random(7));
        HashSet<Integer> firstLeaders = new HashSet<>();

        for (int i = 0; i < 30; i++) {
            firstLeaders.add(placement.assign(nodes, 1, 1).get(0).get(0));
        }

        assertThat(firstLeaders).containsExactlyInAnyOrder(0, 1, 2);
    }

    @Test
    void replicationFactorOneUsesOnlyTheLeader() {
        assertThat(RoundRobinPlacement.assign(List.of(5), 3, 1, 0, 0)).containsExactly(List.of(5), List.of(5), List.of(5));
    }
}
