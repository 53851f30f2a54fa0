package io.strata.coordination.nodes;

import io.strata.proto.v1.Node;
import io.strata.proto.v1.NodeRecord;

/** How a stored {@link NodeRecord} is shown on the wire as a {@link Node}. */
public final class NodeRecords {

    private NodeRecords() {
    }

    /** The node as the API shows it: id, address, rack, unclean-shutdown flag. */
    public static Node toNode(NodeRecord record) {
        return Node.newBuilder()
                .setNodeId(record.getNodeId())
                .setHost(record.getHost())
                .setPort(record.getPort())
                .setRack(record.getRack())
                .setUncleanShutdown(record.getUncleanShutdown())
                .build();
    }
}
