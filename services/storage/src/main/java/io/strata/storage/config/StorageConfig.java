package io.strata.storage.config;

import io.strata.runtime.HostPort;
import io.strata.runtime.quota.QuotaDefaults;
import io.strata.storage.log.LogManager;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The storage role's settings, with Kafka's names under {@code strata.} (environment:
 * {@code STRATA_NODE_ID}, {@code STRATA_LOG_DIRS}, ...):
 * <ul>
 *   <li>{@code strata.node.id} (alias {@code strata.broker.id}) — this node's id, >= 0; default 1</li>
 *   <li>{@code strata.log.dirs} — comma-separated data directories; default
 *       {@code ${strata.data.dir}/logs}, with {@code strata.data.dir} defaulting to {@code data}</li>
 *   <li>{@code strata.coordination.endpoints} — comma-separated {@code host:port} of
 *       coordination; default the local listener (standalone)</li>
 *   <li>{@code strata.rack} — failure domain for rack-aware placement; default none</li>
 *   <li>{@code strata.session.timeout.ms} — the node's session lease; default 6000</li>
 *   <li>{@code strata.producer.id.expiration.ms} — how long a partition keeps the state of an
 *       idempotent producer that stopped writing to it (Kafka's {@code producer.id.expiration.ms});
 *       default 86400000 (one day), >= 1</li>
 *   <li>{@code quota.producer.default}, {@code quota.consumer.default} — bytes per second per client
 *       id on this node when coordination sets no quota for it; default 0 = unlimited ({@link QuotaDefaults})</li>
 *   <li>{@code strata.replica.lag.time.max.ms} — a follower that has not caught up with the leader's log end
 *       for this long leaves the ISR (Kafka's {@code replica.lag.time.max.ms}); default 30000, >= 100</li>
 *   <li>{@code strata.replica.fetch.max.wait.ms} — how long a leader holds a follower's fetch that finds
 *       nothing new; default 500, >= 0</li>
 *   <li>{@code strata.replica.fetch.max.bytes} — batch bytes per partition per follower fetch; default
 *       1048576, >= 1024</li>
 * </ul>
 */
@Singleton
public class StorageConfig {

    private final int nodeId;
    private final List<Path> logDirs;
    private final Optional<List<HostPort>> coordinationEndpoints;
    private final String rack;
    private final int sessionTimeoutMs;
    private final long producerIdExpirationMs;
    private final QuotaDefaults quotaDefaults;
    private final long replicaLagTimeMaxMs;
    private final int replicaFetchMaxWaitMs;
    private final int replicaFetchMaxBytes;
    private final Optional<Path> testingCutCoordinationFile;

    public StorageConfig() {
        this(ConfigProvider.getConfig());
    }

    StorageConfig(Config config) {
        Optional<Integer> id = config.getOptionalValue("strata.node.id", Integer.class)
                .or(() -> config.getOptionalValue("strata.broker.id", Integer.class));
        this.nodeId = id.orElse(1);
        if (nodeId < 0) {
            throw new IllegalArgumentException("strata.node.id=" + nodeId + " must be >= 0");
        }
        String dataDir = config.getOptionalValue("strata.data.dir", String.class).orElse("data");
        String dirs = config.getOptionalValue("strata.log.dirs", String.class).orElse(Path.of(dataDir, "logs").toString());
        this.logDirs = Arrays.stream(dirs.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of).toList();
        if (logDirs.isEmpty()) {
            throw new IllegalArgumentException("strata.log.dirs is empty: name at least one data directory");
        }
        this.coordinationEndpoints = config.getOptionalValue("strata.coordination.endpoints", String.class)
                .filter(s -> !s.isBlank())
                .map(HostPort::parseList);
        this.rack = config.getOptionalValue("strata.rack", String.class).orElse("");
        this.sessionTimeoutMs = config.getOptionalValue("strata.session.timeout.ms", Integer.class).orElse(6000);
        if (sessionTimeoutMs < 1000) {
            throw new IllegalArgumentException("strata.session.timeout.ms=" + sessionTimeoutMs + " must be at least 1000");
        }
        this.producerIdExpirationMs = config.getOptionalValue("strata.producer.id.expiration.ms", Long.class)
                .orElse(LogManager.DEFAULT_PRODUCER_ID_EXPIRATION_MS);
        if (producerIdExpirationMs < 1) {
            throw new IllegalArgumentException("strata.producer.id.expiration.ms=" + producerIdExpirationMs
                    + " must be at least 1");
        }
        this.quotaDefaults = QuotaDefaults.from(config);
        this.replicaLagTimeMaxMs = atLeast(config, "strata.replica.lag.time.max.ms", 30_000, 100);
        this.replicaFetchMaxWaitMs = (int) atLeast(config, "strata.replica.fetch.max.wait.ms", 500, 0);
        this.replicaFetchMaxBytes = (int) Math.min(Integer.MAX_VALUE,
                atLeast(config, "strata.replica.fetch.max.bytes", 1024 * 1024, 1024));
        this.testingCutCoordinationFile = config.getOptionalValue("strata.testing.cut-coordination-file", String.class)
                .filter(s -> !s.isBlank())
                .map(name -> Path.of(dataDir).resolve(name));
    }

    /**
     * Test hook for system tests: while this file (relative to {@code strata.data.dir}) exists, the
     * node has no contact with coordination. Unset in production.
     */
    public Optional<Path> testingCutCoordinationFile() {
        return testingCutCoordinationFile;
    }

    private static long atLeast(Config config, String key, long defaultValue, long min) {
        long v = config.getOptionalValue(key, Long.class).orElse(defaultValue);
        if (v < min) {
            throw new IllegalArgumentException(key + "=" + v + " must be at least " + min);
        }
        return v;
    }

    public long replicaLagTimeMaxMs() {
        return replicaLagTimeMaxMs;
    }

    public int replicaFetchMaxWaitMs() {
        return replicaFetchMaxWaitMs;
    }

    public int replicaFetchMaxBytes() {
        return replicaFetchMaxBytes;
    }

    public int nodeId() {
        return nodeId;
    }

    public List<Path> logDirs() {
        return logDirs;
    }

    /** Empty means "this process's own listener" (standalone). */
    public Optional<List<HostPort>> coordinationEndpoints() {
        return coordinationEndpoints;
    }

    public String rack() {
        return rack;
    }

    public int sessionTimeoutMs() {
        return sessionTimeoutMs;
    }

    public long producerIdExpirationMs() {
        return producerIdExpirationMs;
    }

    public QuotaDefaults quotaDefaults() {
        return quotaDefaults;
    }
}
