package io.strata.coordination.nodes;

import io.strata.proto.v1.NodeRecord;
import io.strata.proto.v1.NodeRole;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class NodeRecordsTest {

    private static NodeRecord.Builder record() {
        return NodeRecord.newBuilder().setRole(NodeRole.STORAGE).setNodeId(3).setInstanceId("i").setHost("h").setPort(1).setReady(true);
    }

    @Test
    void theUncleanShutdownFlagSurvivesAReadinessRewriteAndReachesTheApiNode() throws Exception {
        NodeRecord stored = record().setUncleanShutdown(true).build();
        NodeRecord rebuilt = NodeRecord.parseFrom(stored.toByteArray()).toBuilder().setReady(false).build();

        assertThat(NodeRecords.toNode(NodeRecord.parseFrom(rebuilt.toByteArray())).getUncleanShutdown()).isTrue();
        assertThat(NodeRecords.toNode(record().build()).getUncleanShutdown()).isFalse();
        assertThat(NodeRecords.toNode(stored).getNodeId()).isEqualTo(3);
    }
}
