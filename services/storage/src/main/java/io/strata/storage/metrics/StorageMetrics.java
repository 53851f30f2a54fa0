package io.strata.storage.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import io.strata.storage.StorageNode;
import io.strata.storage.partition.PartitionRegistry;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The storage node's replication gauges on {@code /q/metrics} (docs/METRICS.md), tagged
 * {@code node_id}. They are computed when scraped, from the partitions the node hosts, at most
 * once a second ({@link Memo}); nothing is recorded on the produce or fetch path. While the node
 * still recovers its logs every count is 0.
 */
@Singleton
public class StorageMetrics {

    /** Scrapes within this long of each other read the same count. */
    static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final String NODE_TAG = "node_id";

    private final StorageNode node;
    private final MeterRegistry registry;

    public StorageMetrics(StorageNode node, MeterRegistry registry) {
        this.node = node;
        this.registry = registry;
    }

    void register(@Observes StartupEvent event) {
        bind(registry, node.nodeId(), new Memo<>(this::count, MAX_AGE_NANOS, System::nanoTime));
    }

    private ReplicaCounts count() {
        return node.partitionsIfRecovered()
                .map(PartitionRegistry::all)
                .map(hosted -> ReplicaCounts.ofHosted(node.nodeId(), hosted))
                .orElse(ReplicaCounts.NONE);
    }

    /** Registers the gauges of node {@code nodeId}, each reading {@code counts} when scraped. */
    static void bind(MeterRegistry registry, int nodeId, Supplier<ReplicaCounts> counts) {
        Tags tags = Tags.of(NODE_TAG, Integer.toString(nodeId));
        gauge(registry, tags, counts, "strata.storage.partitions", ReplicaCounts::partitions,
                "Partitions this node hosts a replica of, led or followed");
        gauge(registry, tags, counts, "strata.storage.leader.partitions", ReplicaCounts::leaderPartitions,
                "Partitions this node leads");
        gauge(registry, tags, counts, "strata.storage.under.replicated.partitions", ReplicaCounts::underReplicated,
                "Partitions led here whose ISR is smaller than their replica set");
        gauge(registry, tags, counts, "strata.storage.under.min.isr.partitions", ReplicaCounts::underMinIsr,
                "Partitions led here whose ISR is smaller than min.insync.replicas: acks=all writes are refused");
        gauge(registry, tags, counts, "strata.storage.pending.acks", ReplicaCounts::pendingAcks,
                "acks=all produce requests waiting for the high watermark");
    }

    private static void gauge(MeterRegistry registry, Tags tags, Supplier<ReplicaCounts> counts, String name,
                              ToDoubleFunction<ReplicaCounts> value, String description) {
        Gauge.builder(name, () -> value.applyAsDouble(counts.get())).tags(tags).description(description).register(registry);
    }
}
