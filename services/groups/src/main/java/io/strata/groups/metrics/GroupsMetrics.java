package io.strata.groups.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.groups.GroupsNode;
import io.strata.groups.config.GroupsConfig;
import io.strata.groups.instance.GroupsInstance;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The groups role's meters on {@code /q/metrics} (docs/METRICS.md): {@code strata_groups_active}
 * (1 on the instance that serves the groups, 0 on a standby) and, on the active instance only, the
 * consumer-group gauges with kafka_exporter's names ({@link LagSnapshot}), recomputed every
 * {@code strata.groups.lag.refresh.interval.ms} after the previous refresh ended ({@link LagRefresher}).
 */
@Singleton
public class GroupsMetrics {

    /** Longer than the log end offset lookups may take (StoragePartitionOffsets bounds them at 10 s). */
    static final Duration REFRESH_TIMEOUT = Duration.ofSeconds(30);

    private final GroupsNode node;
    private final GroupsConfig config;
    private final MeterRegistry registry;
    private volatile ScheduledExecutorService refresher;

    public GroupsMetrics(GroupsNode node, GroupsConfig config, MeterRegistry registry) {
        this.node = node;
        this.config = config;
        this.registry = registry;
    }

    void register(@Observes StartupEvent event) {
        bindActive(registry, () -> node.instanceIfStarted().map(GroupsInstance::isActive).orElse(false));
        LagRefresher lag = new LagRefresher(() -> node.instanceIfStarted().flatMap(GroupsInstance::activeCoordinator)
                .map(c -> c.describeAll()), new LagGauges(registry), REFRESH_TIMEOUT);
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strata-groups-lag");
            t.setDaemon(true);
            return t;
        });
        long ms = config.lagRefreshInterval().toMillis();
        s.scheduleWithFixedDelay(() -> lag.refresh().join(), ms, ms, TimeUnit.MILLISECONDS);
        refresher = s;
    }

    void stop(@Observes ShutdownEvent event) {
        ScheduledExecutorService s = refresher;
        if (s != null) {
            s.shutdownNow();
        }
    }

    static void bindActive(MeterRegistry registry, BooleanSupplier active) {
        Gauge.builder("strata.groups.active", () -> active.getAsBoolean() ? 1 : 0)
                .description("1 on the groups instance that serves the consumer groups, 0 on a standby").register(registry);
    }
}
