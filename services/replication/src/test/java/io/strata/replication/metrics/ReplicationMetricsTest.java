package io.strata.replication.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicMetadata;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The controller gauges' counts from handmade cluster snapshots, and the meters that show them. */
class ReplicationMetricsTest {

    private static PartitionState partition(int number, int leader, List<Integer> replicas, List<Integer> isr) {
        return PartitionState.newBuilder().setTopic("t").setPartition(number).setLeader(leader).setLeaderEpoch(1)
                .addAllReplicas(replicas).addAllIsr(isr).build();
    }

    private static ClusterMetadata snapshot(int liveNodes, PartitionState... partitions) {
        ClusterMetadata.Builder b = ClusterMetadata.newBuilder().setRevision(9);
        for (int n = 1; n <= liveNodes; n++) {
            b.addNodes(Node.newBuilder().setNodeId(n).setHost("127.0.0.1").setPort(9000 + n));
        }
        return b.addTopics(TopicMetadata.newBuilder().setName("t").setTopicId("id").addAllPartitions(List.of(partitions)))
                .build();
    }

    @Test
    void countsOfflineUnderReplicatedAndImbalancedPartitions() {
        ClusterCounts counts = ClusterCounts.of(snapshot(2,
                partition(0, 1, List.of(1, 2, 3), List.of(1, 2, 3)),  // healthy, preferred leader
                partition(1, 2, List.of(1, 2, 3), List.of(2, 3)),     // node 1 out: under-replicated and not on its preferred leader
                partition(2, -1, List.of(3, 1), List.of(3)),          // last ISR member dead: offline (and so not on its preferred leader)
                partition(3, 2, List.of(2), List.of(2)),              // single replica, healthy
                partition(4, 3, List.of(1, 3), List.of(1, 3))));      // complete ISR, moved off node 1: imbalanced only

        assertThat(counts).isEqualTo(new ClusterCounts(1, 1, 3, 2));
    }

    @Test
    void anEmptyClusterCountsNothing() {
        assertThat(ClusterCounts.of(ClusterMetadata.getDefaultInstance())).isEqualTo(ClusterCounts.NONE);
    }

    @Test
    void theMetersReadTheViewWhenScraped() {
        AtomicBoolean active = new AtomicBoolean();
        AtomicReference<ClusterCounts> counts = new AtomicReference<>(ClusterCounts.NONE);
        AtomicLong elections = new AtomicLong();
        MeterRegistry registry = new SimpleMeterRegistry();
        ReplicationMetrics.bind(registry, new ControllerView() {
            @Override
            public boolean active() {
                return active.get();
            }

            @Override
            public ClusterCounts counts() {
                return counts.get();
            }

            @Override
            public long leaderChangesWritten() {
                return elections.get();
            }
        });

        assertThat(registry.get("strata.controller.active").gauge().value()).isZero();
        assertThat(registry.get("strata.controller.offline.partitions").gauge().value()).isZero();

        active.set(true);
        counts.set(new ClusterCounts(2, 5, 7, 3));
        elections.set(11);

        assertThat(registry.get("strata.controller.active").gauge().value()).isEqualTo(1);
        assertThat(registry.get("strata.controller.offline.partitions").gauge().value()).isEqualTo(2);
        assertThat(registry.get("strata.controller.under.replicated.partitions").gauge().value()).isEqualTo(5);
        assertThat(registry.get("strata.controller.preferred.replica.imbalance").gauge().value()).isEqualTo(7);
        assertThat(registry.get("strata.controller.live.storage.nodes").gauge().value()).isEqualTo(3);
        assertThat(registry.get("strata.controller.elections").functionCounter().count()).isEqualTo(11);
    }
}
