package io.strata.replication.rules;

import io.strata.proto.v1.Node;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The storage nodes the controller may count on: those live (registered and ready) in a
 * snapshot, and among them those whose run began with recovery from an unclean shutdown (they may
 * have lost records they had acknowledged, KIP-966).
 */
public record LiveNodes(Set<Integer> live, Set<Integer> unclean) {

    public LiveNodes {
        live = Set.copyOf(live);
        unclean = Set.copyOf(unclean);
    }

    public static LiveNodes of(List<Node> nodes) {
        Set<Integer> live = new HashSet<>();
        Set<Integer> unclean = new HashSet<>();
        for (Node n : nodes) {
            live.add(n.getNodeId());
            if (n.getUncleanShutdown()) {
                unclean.add(n.getNodeId());
            }
        }
        return new LiveNodes(live, unclean);
    }

    public boolean isLive(int node) {
        return live.contains(node);
    }

    /** Live, and its run began cleanly. */
    public boolean isLiveClean(int node) {
        return live.contains(node) && !unclean.contains(node);
    }

    /** Live after an unclean shutdown: such a node leaves every ELR. */
    public boolean isLiveUnclean(int node) {
        return live.contains(node) && unclean.contains(node);
    }
}
