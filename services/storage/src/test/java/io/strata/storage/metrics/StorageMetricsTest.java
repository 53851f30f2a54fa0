package io.strata.storage.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strata.proto.v1.PartitionState;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The storage gauges' counts from handmade partition states, and the gauges that show them. */
class StorageMetricsTest {

    private static final int LOCAL = 1;

    private static ReplicaCounts.Sample partition(int number, int leader, List<Integer> replicas, List<Integer> isr,
                                                  int minInsync, int pendingAcks) {
        PartitionState state = PartitionState.newBuilder().setTopic("orders").setPartition(number).setLeader(leader)
                .setLeaderEpoch(3).addAllReplicas(replicas).addAllIsr(isr).build();
        return new ReplicaCounts.Sample(state, minInsync, pendingAcks);
    }

    @Test
    void countsOnlyWhatThisNodeLeadsAsUnderReplicated() {
        ReplicaCounts counts = ReplicaCounts.of(LOCAL, List.of(
                partition(0, LOCAL, List.of(1, 2, 3), List.of(1, 2, 3), 2, 0),  // led, fully in sync
                partition(1, LOCAL, List.of(1, 2, 3), List.of(1, 2), 2, 4),     // led, one follower out: under-replicated
                partition(2, LOCAL, List.of(1, 2, 3), List.of(1), 2, 1),        // led, alone: under-replicated and under min ISR
                partition(3, 2, List.of(2, 1, 3), List.of(2), 2, 0),            // followed here: the leader's business
                partition(4, -1, List.of(3, 1), List.of(3), 1, 0),              // offline: nobody leads it
                partition(5, LOCAL, List.of(1), List.of(1), 1, 7)));            // single replica: complete

        assertThat(counts).isEqualTo(new ReplicaCounts(6, 4, 2, 1, 12));
    }

    @Test
    void underMinIsrIsTheTestThatRefusesAcksAllWrites() {
        // A topic whose min.insync.replicas exceeds its replica count can never take acks=all
        // writes; it counts as under min ISR (though not under-replicated) so that is visible.
        ReplicaCounts counts = ReplicaCounts.of(LOCAL, List.of(partition(0, LOCAL, List.of(1), List.of(1), 2, 0)));

        assertThat(counts.underReplicated()).isZero();
        assertThat(counts.underMinIsr()).isEqualTo(1);
    }

    @Test
    void aNodeWithoutPartitionsCountsNothing() {
        assertThat(ReplicaCounts.of(LOCAL, List.of())).isEqualTo(ReplicaCounts.NONE);
    }

    @Test
    void theGaugesShowTheCountsTaggedWithTheNodeId() {
        MeterRegistry registry = new SimpleMeterRegistry();
        StorageMetrics.bind(registry, 7, () -> new ReplicaCounts(10, 4, 2, 1, 5));

        assertThat(gauge(registry, "strata.storage.partitions")).isEqualTo(10);
        assertThat(gauge(registry, "strata.storage.leader.partitions")).isEqualTo(4);
        assertThat(gauge(registry, "strata.storage.under.replicated.partitions")).isEqualTo(2);
        assertThat(gauge(registry, "strata.storage.under.min.isr.partitions")).isEqualTo(1);
        assertThat(gauge(registry, "strata.storage.pending.acks")).isEqualTo(5);
    }

    @Test
    void oneScrapeCountsOnceAndTheNextSecondCountsAgain() {
        AtomicInteger computed = new AtomicInteger();
        AtomicLong now = new AtomicLong(0);
        Memo<ReplicaCounts> memo = new Memo<>(() -> {
            computed.incrementAndGet();
            return ReplicaCounts.NONE;
        }, StorageMetrics.MAX_AGE_NANOS, now::get);
        MeterRegistry registry = new SimpleMeterRegistry();
        StorageMetrics.bind(registry, 7, memo);

        registry.getMeters().forEach(m -> m.measure().forEach(ms -> ms.getValue()));
        assertThat(computed).hasValue(1);

        now.set(StorageMetrics.MAX_AGE_NANOS);
        registry.getMeters().forEach(m -> m.measure().forEach(ms -> ms.getValue()));
        assertThat(computed).hasValue(2);
    }

    private static double gauge(MeterRegistry registry, String name) {
        return registry.get(name).tag(StorageMetrics.NODE_TAG, "7").gauge().value();
    }
}
