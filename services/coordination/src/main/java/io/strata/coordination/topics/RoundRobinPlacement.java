package io.strata.coordination.topics;

import io.strata.proto.v1.NodeRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Kafka's rack-unaware replica assignment ({@code assignReplicasToBrokersRackUnaware}):
 * leaders go round robin over the nodes from a random start, so they spread evenly; each
 * partition's followers follow its leader at a shift that grows by one every
 * {@code nodes.size()} partitions, so the followers of one node's leaders also spread
 * instead of all landing on its neighbour. The random start keeps many small topics from
 * all leading on the lowest node ids.
 */
public final class RoundRobinPlacement implements ReplicaPlacement {

    private final RandomGenerator random;

    public RoundRobinPlacement(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public List<List<Integer>> assign(List<NodeRecord> nodes, int partitions, int replicationFactor) {
        int n = nodes.size();
        return assign(nodes.stream().map(NodeRecord::getNodeId).toList(), partitions, replicationFactor,
                random.nextInt(n), random.nextInt(n));
    }

    /** The deterministic core: {@code startIndex} picks the first leader, {@code shift} the first follower offset. */
    static List<List<Integer>> assign(List<Integer> nodeIds, int partitions, int replicationFactor, int startIndex, int shift) {
        int n = nodeIds.size();
        if (replicationFactor < 1 || replicationFactor > n) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " needs between 1 and " + n + " nodes");
        }
        List<List<Integer>> result = new ArrayList<>(partitions);
        int nextReplicaShift = shift;
        for (int p = 0; p < partitions; p++) {
            if (p > 0 && p % n == 0) {
                nextReplicaShift++;
            }
            int first = (p + startIndex) % n;
            List<Integer> replicas = new ArrayList<>(replicationFactor);
            replicas.add(nodeIds.get(first));
            for (int j = 0; j < replicationFactor - 1; j++) {
                int offset = 1 + (nextReplicaShift + j) % (n - 1);
                replicas.add(nodeIds.get((first + offset) % n));
            }
            result.add(List.copyOf(replicas));
        }
        return result;
    }
}
