package io.strata.coordination.topics;

import io.strata.proto.v1.NodeRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class RackAwarePlacementTest {

    private static NodeRecord node(int id, String rack) {
        return NodeRecord.newBuilder().setNodeId(id).setRack(rack).build();
    }

    private static final List<NodeRecord> SIX_NODES_THREE_RACKS = List.of(node(0, "rack1"), node(1, "rack3"), node(2, "rack3"),
            node(3, "rack2"), node(4, "rack2"), node(5, "rack1"));

    @Test
    void linesNodesUpAlternatingRacksAsKafkaDoes() {
        // Kafka's AdminRackAwareTest.testGetRackAlternatedBrokerList.
        assertThat(RackAwarePlacement.rackAlternated(SIX_NODES_THREE_RACKS)).containsExactly(0, 3, 1, 5, 4, 2);
        assertThat(RackAwarePlacement.rackAlternated(SIX_NODES_THREE_RACKS.subList(0, 5))).containsExactly(0, 3, 1, 4, 2);
    }

    @Test
    void matchesKafkasRackAwareAssignmentForAFixedStart() {
        Map<Integer, String> racks = new HashMap<>();
        SIX_NODES_THREE_RACKS.forEach(n -> racks.put(n.getNodeId(), n.getRack()));
        List<List<Integer>> assignment = RackAwarePlacement.assign(RackAwarePlacement.rackAlternated(SIX_NODES_THREE_RACKS),
                racks, 7, 3, 0, 0);
        assertThat(assignment).containsExactly(List.of(0, 3, 1), List.of(3, 1, 5), List.of(1, 5, 4), List.of(5, 4, 2),
                List.of(4, 2, 0), List.of(2, 0, 3), List.of(0, 4, 2));
    }

    @Test
    void withAsManyRacksAsReplicasEveryPartitionSpansEveryRack() {
        RackAwarePlacement placement = new RackAwarePlacement(new Random(3));
        Map<Integer, String> racks = new HashMap<>();
        SIX_NODES_THREE_RACKS.forEach(n -> racks.put(n.getNodeId(), n.getRack()));
        List<List<Integer>> assignment = placement.assign(SIX_NODES_THREE_RACKS, 60, 3);
        Map<Integer, Integer> leaders = new HashMap<>();
        for (List<Integer> replicas : assignment) {
            assertThat(new HashSet<>(replicas)).hasSize(3);
            assertThat(replicas.stream().map(racks::get).distinct()).hasSize(3);
            leaders.merge(replicas.get(0), 1, Integer::sum);
        }
        assertThat(leaders.values()).containsOnly(10);
    }

    @Test
    void moreReplicasThanRacksStillUsesDistinctNodesAndEveryRack() {
        List<NodeRecord> nodes = List.of(node(1, "a"), node(2, "a"), node(3, "b"), node(4, "b"));
        for (List<Integer> replicas : new RackAwarePlacement(new Random(5)).assign(nodes, 12, 3)) {
            assertThat(new HashSet<>(replicas)).hasSize(3);
            assertThat(replicas.stream().map(id -> id <= 2 ? "a" : "b").distinct()).hasSize(2);
        }
    }

    @Test
    void nodesWithoutRacksOrAMixFallBackToRackUnawarePlacement() {
        List<NodeRecord> mixed = List.of(node(1, "a"), node(2, ""), node(3, "b"));
        List<NodeRecord> none = List.of(node(1, ""), node(2, ""), node(3, ""));
        for (List<NodeRecord> nodes : List.of(mixed, none)) {
            List<List<Integer>> assignment = new RackAwarePlacement(new Random(1)).assign(nodes, 6, 2);
            assertThat(assignment).hasSize(6).allSatisfy(r -> assertThat(new HashSet<>(r)).hasSize(2));
        }
    }
}
