package io.strata.groups.config;

import io.strata.groups.assignor.Assignors;
import io.strata.groups.coordinator.GroupSettings;
import io.strata.runtime.HostPort;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The groups role's settings (docs/CONFIGURATION.md), besides the listener keys every role shares
 * ({@code strata.listeners}, {@code strata.advertised.listeners}). Read like
 * {@code ReplicationConfig}: one class, every key with its default and check, constructible from
 * any {@link Config} (tests, standalone).
 * <ul>
 *   <li>{@code strata.coordination.endpoints} — coordination instances, {@code host:port,...};
 *       empty = this process (standalone)</li>
 *   <li>{@code strata.session.timeout.ms} — this instance's registration and campaign lease with
 *       coordination (6000, at least 1000; shared with the other roles): how long a dead active
 *       groups instance keeps the standbys waiting</li>
 *   <li>{@code strata.groups.instance.id} — registration id (role GROUPS); default the advertised
 *       {@code host:port}</li>
 *   <li>{@code strata.groups.session.timeout.ms} — a member's session when it asks for none (10000;
 *       Kafka's {@code group.consumer.session.timeout.ms})</li>
 *   <li>{@code strata.groups.min.session.timeout.ms} / {@code strata.groups.max.session.timeout.ms}
 *       — the range a member may ask for (1000 / 300000)</li>
 *   <li>{@code strata.groups.heartbeat.interval.ms} — what stable members are told (1000; below the
 *       default session timeout)</li>
 *   <li>{@code strata.groups.reconciling.heartbeat.interval.ms} — what members still converging are
 *       told (100; at most the heartbeat interval)</li>
 *   <li>{@code strata.groups.rebalance.timeout.ms} — a member's rebalance timeout when it asks for
 *       none (300000)</li>
 *   <li>{@code strata.groups.max.size} — members per group (1000; Kafka's {@code group.consumer.max.size})</li>
 *   <li>{@code strata.groups.assignor} — the server assignor when a member names none
 *       ({@code uniform} or {@code range}; default {@code uniform})</li>
 *   <li>{@code strata.groups.lag.refresh.interval.ms} — how often the active instance recomputes
 *       the lag metrics (5000, at least 100)</li>
 * </ul>
 */
@Singleton
public class GroupsConfig {

    private final Optional<List<HostPort>> coordinationEndpoints;
    private final Optional<String> instanceId;
    private final int coordinationSessionTimeoutMs;
    private final GroupSettings settings;
    private final Duration lagRefreshInterval;

    public GroupsConfig() {
        this(ConfigProvider.getConfig());
    }

    /**
     * The settings in {@code config}.
     *
     * @throws IllegalArgumentException naming the key of a bad value
     */
    public GroupsConfig(Config config) {
        this.coordinationEndpoints = config.getOptionalValue("strata.coordination.endpoints", String.class)
                .filter(s -> !s.isBlank()).map(HostPort::parseList);
        this.instanceId = config.getOptionalValue("strata.groups.instance.id", String.class).filter(s -> !s.isBlank());
        this.coordinationSessionTimeoutMs = atLeast(config, "strata.session.timeout.ms", 6000, 1000);
        int minSession = atLeast(config, "strata.groups.min.session.timeout.ms", 1000, 1);
        int maxSession = atLeast(config, "strata.groups.max.session.timeout.ms", 300_000, minSession);
        int session = atLeast(config, "strata.groups.session.timeout.ms", 10_000, minSession);
        if (session > maxSession) {
            throw new IllegalArgumentException("strata.groups.session.timeout.ms=" + session
                    + " must be at most strata.groups.max.session.timeout.ms=" + maxSession);
        }
        int heartbeat = atLeast(config, "strata.groups.heartbeat.interval.ms", 1000, 1);
        if (heartbeat >= session) {
            throw new IllegalArgumentException("strata.groups.heartbeat.interval.ms=" + heartbeat
                    + " must be below strata.groups.session.timeout.ms=" + session);
        }
        int reconciling = atLeast(config, "strata.groups.reconciling.heartbeat.interval.ms", 100, 1);
        if (reconciling > heartbeat) {
            throw new IllegalArgumentException("strata.groups.reconciling.heartbeat.interval.ms=" + reconciling
                    + " must be at most strata.groups.heartbeat.interval.ms=" + heartbeat);
        }
        int rebalance = atLeast(config, "strata.groups.rebalance.timeout.ms", 300_000, 1);
        int maxSize = atLeast(config, "strata.groups.max.size", 1000, 1);
        String assignor = config.getOptionalValue("strata.groups.assignor", String.class).map(String::trim)
                .filter(s -> !s.isEmpty()).orElse("uniform");
        try {
            Assignors.byName(assignor);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("strata.groups.assignor=" + assignor + ": " + e.getMessage());
        }
        this.settings = new GroupSettings(Duration.ofMillis(session), Duration.ofMillis(minSession), Duration.ofMillis(maxSession),
                Duration.ofMillis(heartbeat), Duration.ofMillis(reconciling), Duration.ofMillis(rebalance), maxSize, assignor);
        this.lagRefreshInterval = Duration.ofMillis(atLeast(config, "strata.groups.lag.refresh.interval.ms", 5000, 100));
    }

    private static int atLeast(Config config, String key, int fallback, int min) {
        int value = config.getOptionalValue(key, Integer.class).orElse(fallback);
        if (value < min) {
            throw new IllegalArgumentException(key + "=" + value + " must be at least " + min);
        }
        return value;
    }

    /** Empty means "this process's own listener" (standalone). */
    public Optional<List<HostPort>> coordinationEndpoints() {
        return coordinationEndpoints;
    }

    /** Empty means "the advertised host:port". */
    public Optional<String> instanceId() {
        return instanceId;
    }

    /** The registration's and the campaign's lease with coordination. */
    public int coordinationSessionTimeoutMs() {
        return coordinationSessionTimeoutMs;
    }

    /** The coordinator's limits and defaults. */
    public GroupSettings settings() {
        return settings;
    }

    public Duration lagRefreshInterval() {
        return lagRefreshInterval;
    }
}
