package io.strata.replication.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.replication.ReplicationNode;
import io.strata.replication.controller.ReplicationController;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The replication controller's gauges on {@code /q/metrics} (docs/METRICS.md). The partition
 * counts are the active instance's view: computed when scraped from the newest WatchMetadata
 * snapshot its term holds, once per snapshot. A standby shows {@code strata_controller_active 0}
 * and 0 for every count, so summing over the instances gives the cluster's numbers.
 */
@Singleton
public class ReplicationMetrics implements ControllerView {

    private final ReplicationNode node;
    private final MeterRegistry registry;
    private volatile Counted counted;

    /** The counts of one snapshot, kept until a newer one arrives. */
    private record Counted(ClusterMetadata snapshot, ClusterCounts counts) {
    }

    public ReplicationMetrics(ReplicationNode node, MeterRegistry registry) {
        this.node = node;
        this.registry = registry;
    }

    void register(@Observes StartupEvent event) {
        bind(registry, this);
    }

    @Override
    public boolean active() {
        return node.controllerIfStarted().map(ReplicationController::isActive).orElse(false);
    }

    @Override
    public ClusterCounts counts() {
        return node.controllerIfStarted().flatMap(ReplicationController::latestSnapshot).map(this::count)
                .orElse(ClusterCounts.NONE);
    }

    @Override
    public long leaderChangesWritten() {
        return node.controllerIfStarted().map(ReplicationController::leaderChangesWritten).orElse(0L);
    }

    private ClusterCounts count(ClusterMetadata snapshot) {
        Counted c = counted;
        if (c == null || c.snapshot() != snapshot) {
            c = new Counted(snapshot, ClusterCounts.of(snapshot));
            counted = c;
        }
        return c.counts();
    }

    static void bind(MeterRegistry registry, ControllerView view) {
        Gauge.builder("strata.controller.active", () -> view.active() ? 1 : 0)
                .description("1 on the active replication controller, 0 on a standby").register(registry);
        gauge(registry, view::counts, "strata.controller.offline.partitions", ClusterCounts::offline,
                "Partitions without a leader: no produce or fetch is possible");
        gauge(registry, view::counts, "strata.controller.under.replicated.partitions", ClusterCounts::underReplicated,
                "Partitions with a leader whose ISR is smaller than their replica set");
        gauge(registry, view::counts, "strata.controller.preferred.replica.imbalance", ClusterCounts::preferredImbalance,
                "Partitions not led by their preferred (first) replica");
        gauge(registry, view::counts, "strata.controller.live.storage.nodes", ClusterCounts::liveStorageNodes,
                "Storage nodes registered and ready");
        FunctionCounter.builder("strata.controller.elections", view, v -> v.leaderChangesWritten())
                .description("Leader changes this instance wrote (elections, preferred-leader moves, partitions going offline)")
                .register(registry);
    }

    private static void gauge(MeterRegistry registry, Supplier<ClusterCounts> counts, String name,
                              ToDoubleFunction<ClusterCounts> value, String description) {
        Gauge.builder(name, () -> value.applyAsDouble(counts.get())).description(description).register(registry);
    }
}
