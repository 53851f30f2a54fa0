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
