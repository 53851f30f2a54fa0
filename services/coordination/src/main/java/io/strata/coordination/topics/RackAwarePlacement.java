package io.strata.coordination.topics;

import io.strata.proto.v1.NodeRecord;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * Kafka's rack-aware replica assignment ({@code assignReplicasToBrokersRackAware}): the nodes
 * are lined up alternating racks (rack a's first node, rack b's first, ..., then each rack's
 * second), leaders go round robin over that line from a random start, and each follower is
 * the next node along (with Kafka's growing shift) that adds a rack the partition lacks — or,
 * once every rack holds a replica, a node that holds none. So with as many racks as replicas,
 * losing a rack loses one replica of each partition, never more.
 *
 * <p>Rack-aware only when every live node names a rack. When none does, or only some do (Kafka
 * refuses to create the topic then; we place it rack-unaware and log why), the
 * {@link RoundRobinPlacement} places it.
 */
public final class RackAwarePlacement implements ReplicaPlacement {

    private static final Logger LOG = Logger.getLogger(RackAwarePlacement.class);

    private final RandomGenerator random;
    private final RoundRobinPlacement unaware;

    public RackAwarePlacement(RandomGenerator random) {
        this.random = random;
        this.unaware = new RoundRobinPlacement(random);
    }

    @Override
    public List<List<Integer>> assign(List<NodeRecord> nodes, int partitions, int replicationFactor) {
        long withRack = nodes.stream().filter(n -> !n.getRack().isEmpty()).count();
        if (withRack == 0) {
            return unaware.assign(nodes, partitions, replicationFactor);
        }
        if (withRack < nodes.size()) {
            LOG.warnf("%d of %d live storage nodes name no rack (strata.rack): placing replicas rack-unaware",
                    nodes.size() - withRack, nodes.size());
            return unaware.assign(nodes, partitions, replicationFactor);
        }
        int n = nodes.size();
        return assign(rackAlternated(nodes), rackOf(nodes), partitions, replicationFactor, random.nextInt(n), random.nextInt(n));
    }

    /** The deterministic core, as Kafka's with a fixed start index and shift. */
    static List<List<Integer>> assign(List<Integer> line, Map<Integer, String> rackOf, int partitions, int replicationFactor,
                                      int startIndex, int shift) {
        int n = line.size();
        if (replicationFactor < 1 || replicationFactor > n) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " needs between 1 and " + n + " nodes");
        }
        int racks = new HashSet<>(rackOf.values()).size();
        List<List<Integer>> result = new ArrayList<>(partitions);
        int nextReplicaShift = shift;
        for (int p = 0; p < partitions; p++) {
            if (p > 0 && p % n == 0) {
                nextReplicaShift++;
            }
            int first = (p + startIndex) % n;
            int leader = line.get(first);
            List<Integer> replicas = new ArrayList<>(replicationFactor);
            replicas.add(leader);
            Set<String> racksWithReplica = new HashSet<>(Set.of(rackOf.get(leader)));
            Set<Integer> nodesWithReplica = new HashSet<>(Set.of(leader));
            int k = 0;
            while (replicas.size() < replicationFactor) {
                int node = line.get((first + 1 + (nextReplicaShift * racks + k) % (n - 1)) % n);
                String rack = rackOf.get(node);
                if ((!racksWithReplica.contains(rack) || racksWithReplica.size() == racks)
                        && (!nodesWithReplica.contains(node) || nodesWithReplica.size() == n)) {
                    replicas.add(node);
                    racksWithReplica.add(rack);
                    nodesWithReplica.add(node);
                }
                k++;
            }
            result.add(List.copyOf(replicas));
        }
        return result;
    }

    /** Node ids alternating racks: racks sorted by name, nodes of a rack sorted by id. */
    static List<Integer> rackAlternated(List<NodeRecord> nodes) {
        Map<String, List<Integer>> byRack = new TreeMap<>();
        nodes.stream().sorted((a, b) -> Integer.compare(a.getNodeId(), b.getNodeId()))
                .forEach(node -> byRack.computeIfAbsent(node.getRack(), r -> new ArrayList<>()).add(node.getNodeId()));
        List<Iterator<Integer>> iterators = byRack.values().stream().map(List::iterator).toList();
        List<Integer> line = new ArrayList<>(nodes.size());
        for (int i = 0; line.size() < nodes.size(); i = (i + 1) % iterators.size()) {
            if (iterators.get(i).hasNext()) {
                line.add(iterators.get(i).next());
            }
        }
        return line;
    }

    private static Map<Integer, String> rackOf(List<NodeRecord> nodes) {
        Map<Integer, String> m = new TreeMap<>();
        for (NodeRecord node : nodes) {
            m.put(node.getNodeId(), node.getRack());
        }
        return m;
    }
}
