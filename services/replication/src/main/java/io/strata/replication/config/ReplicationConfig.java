package io.strata.replication.config;

import io.strata.runtime.HostPort;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The replication controller's settings ({@code strata.*}; docs/CONFIGURATION.md), besides the
 * listener keys every role shares ({@code strata.listeners}, {@code strata.advertised.listeners}):
 * <ul>
 *   <li>{@code strata.coordination.endpoints} — coordination instances, {@code host:port,...};
 *       empty = this process (standalone)</li>
 *   <li>{@code strata.replication.instance.id} — this instance's registration id (role
 *       REPLICATION); default its advertised {@code host:port}</li>
 *   <li>{@code strata.session.timeout.ms} — the registration's and the campaign's session lease
 *       (6000, at least 1000): how long a dead active controller keeps the standbys waiting</li>
 *   <li>{@code strata.auto.leader.rebalance.enable} — move leadership back to each partition's
 *       preferred replica (Kafka's {@code auto.leader.rebalance.enable}; default true)</li>
 *   <li>{@code strata.leader.imbalance.check.interval.seconds} — how often that is checked
 *       (Kafka's {@code leader.imbalance.check.interval.seconds}; default 30, at least 1)</li>
 *   <li>{@code strata.replication.max.inflight.writes} — partition-state writes in flight at once
 *       (default 256, at least 1): bounds the burst when a node holding thousands of leaders dies</li>
 * </ul>
 */
@Singleton
public class ReplicationConfig {

    private final Optional<List<HostPort>> coordinationEndpoints;
    private final Optional<String> instanceId;
    private final int sessionTimeoutMs;
    private final boolean autoLeaderRebalance;
    private final Duration leaderImbalanceCheckInterval;
    private final int maxInflightWrites;

    public ReplicationConfig() {
        this(ConfigProvider.getConfig());
    }

    /**
     * The settings in {@code config}.
     *
     * @throws IllegalArgumentException naming the key of a bad value
     */
    public ReplicationConfig(Config config) {
        this.coordinationEndpoints = config.getOptionalValue("strata.coordination.endpoints", String.class)
                .filter(s -> !s.isBlank()).map(HostPort::parseList);
        this.instanceId = config.getOptionalValue("strata.replication.instance.id", String.class).filter(s -> !s.isBlank());
        this.sessionTimeoutMs = atLeast(config, "strata.session.timeout.ms", 6000, 1000);
        this.autoLeaderRebalance = config.getOptionalValue("strata.auto.leader.rebalance.enable", Boolean.class).orElse(true);
        this.leaderImbalanceCheckInterval = Duration.ofSeconds(atLeast(config, "strata.leader.imbalance.check.interval.seconds", 30, 1));
        this.maxInflightWrites = atLeast(config, "strata.replication.max.inflight.writes", 256, 1);
    }

    private ReplicationConfig(Optional<List<HostPort>> coordinationEndpoints, Optional<String> instanceId, int sessionTimeoutMs,
                              boolean autoLeaderRebalance, Duration leaderImbalanceCheckInterval, int maxInflightWrites) {
        this.coordinationEndpoints = coordinationEndpoints;
        this.instanceId = instanceId;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.autoLeaderRebalance = autoLeaderRebalance;
        this.leaderImbalanceCheckInterval = leaderImbalanceCheckInterval;
        this.maxInflightWrites = maxInflightWrites;
    }

    private static int atLeast(Config config, String key, int fallback, int min) {
        int value = config.getOptionalValue(key, Integer.class).orElse(fallback);
        if (value < min) {
            throw new IllegalArgumentException(key + "=" + value + " must be at least " + min);
        }
        return value;
    }

    /** A copy with another rebalance schedule (for tests and embedding). */
    public ReplicationConfig withLeaderRebalance(boolean enabled, Duration interval) {
        return new ReplicationConfig(coordinationEndpoints, instanceId, sessionTimeoutMs, enabled, interval, maxInflightWrites);
    }

    /** Empty means "this process's own listener" (standalone). */
    public Optional<List<HostPort>> coordinationEndpoints() {
        return coordinationEndpoints;
    }

    /** Empty means "the advertised host:port". */
    public Optional<String> instanceId() {
        return instanceId;
    }

    public int sessionTimeoutMs() {
        return sessionTimeoutMs;
    }

    public boolean autoLeaderRebalance() {
        return autoLeaderRebalance;
    }

    public Duration leaderImbalanceCheckInterval() {
        return leaderImbalanceCheckInterval;
    }

    public int maxInflightWrites() {
        return maxInflightWrites;
    }
}
