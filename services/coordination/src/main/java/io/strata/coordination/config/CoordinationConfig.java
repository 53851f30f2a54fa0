package io.strata.coordination.config;

import io.strata.coordination.topics.TopicDefaults;
import io.strata.proto.TopicConfigs;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every setting of the coordination role, with Kafka's names under {@code strata.} (settable
 * as system properties, environment variables such as {@code STRATA_NUM_PARTITIONS}, or
 * application.properties). Invalid values stop start-up with a message naming the key.
 * <ul>
 *   <li>{@value #METADATA_DIR} — directory of the embedded metadata store; default
 *       {@code ${strata.data.dir}/metadata}, where {@value #DATA_DIR} defaults to {@code data}.</li>
 *   <li>{@value #METADATA_ROOT} — root of every key in the metadata store (for etcd, shared by
 *       several clusters); default {@code /strata}. Starts with '/', no trailing '/'.</li>
 *   <li>{@value #NUM_PARTITIONS} — partitions of a topic created with 0 partitions; default 1, at least 1.</li>
 *   <li>{@value #DEFAULT_REPLICATION_FACTOR} — replicas of a topic created with replication
 *       factor 0; default 1, in [1, 32767].</li>
 *   <li>{@value #LOG_RETENTION_HOURS} — the cluster default of the topic config
 *       {@code retention.ms} (hours × 3600000); default 168 (7 days); -1 keeps data forever.</li>
 *   <li>{@value #SESSION_TIMEOUT_MS} — lease time-to-live of a node session or election
 *       candidate that asks for 0; default 6000, in [{@value #MIN_SESSION_TIMEOUT_MS},
 *       {@value #MAX_SESSION_TIMEOUT_MS}]. Sessions may ask for their own value in that range.</li>
 * </ul>
 * A CDI bean for the running role; tests and standalone may build one with {@link #from(Function)}.
 */
@Singleton
public class CoordinationConfig {

    public static final String DATA_DIR = "strata.data.dir";
    public static final String METADATA_DIR = "strata.metadata.dir";
    public static final String METADATA_ROOT = "strata.metadata.root";
    public static final String NUM_PARTITIONS = "strata.num.partitions";
    public static final String DEFAULT_REPLICATION_FACTOR = "strata.default.replication.factor";
    public static final String LOG_RETENTION_HOURS = "strata.log.retention.hours";
    public static final String SESSION_TIMEOUT_MS = "strata.session.timeout.ms";

    public static final int MIN_SESSION_TIMEOUT_MS = 100;
    public static final int MAX_SESSION_TIMEOUT_MS = 300_000;

    private final Path metadataDir;
    private final String metadataRoot;
    private final int numPartitions;
    private final int defaultReplicationFactor;
    private final long logRetentionHours;
    private final int sessionTimeoutMs;

    /** The running role's config (MicroProfile Config). */
    public CoordinationConfig() {
        this(key -> ConfigProvider.getConfig().getOptionalValue(key, String.class));
    }

    private CoordinationConfig(Function<String, Optional<String>> source) {
        String dataDir = source.apply(DATA_DIR).filter(s -> !s.isBlank()).orElse("data");
        this.metadataDir = Path.of(source.apply(METADATA_DIR).filter(s -> !s.isBlank())
                .orElse(Path.of(dataDir, "metadata").toString()));
        this.metadataRoot = source.apply(METADATA_ROOT).orElse("/strata").trim();
        if (!metadataRoot.matches("(/[^/\\s]+)+")) {
            throw new IllegalArgumentException(METADATA_ROOT + "='" + metadataRoot
                    + "' must be a path like /strata: starting with '/', no empty segment, no trailing '/', no spaces");
        }
        this.numPartitions = (int) integer(source, NUM_PARTITIONS, 1, 1, Integer.MAX_VALUE);
        this.defaultReplicationFactor = (int) integer(source, DEFAULT_REPLICATION_FACTOR, 1, 1, Short.MAX_VALUE);
        this.logRetentionHours = integer(source, LOG_RETENTION_HOURS, 168, -1, Long.MAX_VALUE / 3_600_000L);
        this.sessionTimeoutMs = (int) integer(source, SESSION_TIMEOUT_MS, 6000, MIN_SESSION_TIMEOUT_MS, MAX_SESSION_TIMEOUT_MS);
    }

    /** A config read from {@code source} (key to value); absent keys take their defaults. */
    public static CoordinationConfig from(Function<String, Optional<String>> source) {
        return new CoordinationConfig(source);
    }

    /** A config from a map of keys (tests, tools). */
    public static CoordinationConfig of(Map<String, String> values) {
        return new CoordinationConfig(key -> Optional.ofNullable(values.get(key)));
    }

    private static long integer(Function<String, Optional<String>> source, String key, long defaultValue, long min, long max) {
        Optional<String> raw = source.apply(key).map(String::trim).filter(s -> !s.isEmpty());
        if (raw.isEmpty()) {
            return defaultValue;
        }
        long value;
        try {
            value = Long.parseLong(raw.get());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "='" + raw.get() + "' is not an integer");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + "=" + value + " must be in [" + min + ", " + max + "]");
        }
        return value;
    }

    public Path metadataDir() {
        return metadataDir;
    }

    public String metadataRoot() {
        return metadataRoot;
    }

    public int numPartitions() {
        return numPartitions;
    }

    public int defaultReplicationFactor() {
        return defaultReplicationFactor;
    }

    public long logRetentionHours() {
        return logRetentionHours;
    }

    /** The cluster default of {@code retention.ms}: -1 (forever) or hours × 3600000. */
    public long retentionMs() {
        return logRetentionHours < 0 ? -1 : logRetentionHours * 3_600_000L;
    }

    public int sessionTimeoutMs() {
        return sessionTimeoutMs;
    }

    public Duration sessionTimeout() {
        return Duration.ofMillis(sessionTimeoutMs);
    }

    /** What a topic gets when its request leaves something out. */
    public TopicDefaults topicDefaults() {
        return new TopicDefaults(numPartitions, defaultReplicationFactor, Map.of(TopicConfigs.RETENTION_MS, Long.toString(retentionMs())));
    }

    @Override
    public String toString() {
        return "CoordinationConfig[" + METADATA_DIR + "=" + metadataDir + ", " + METADATA_ROOT + "=" + metadataRoot + ", "
                + NUM_PARTITIONS + "=" + numPartitions + ", " + DEFAULT_REPLICATION_FACTOR + "=" + defaultReplicationFactor + ", "
                + LOG_RETENTION_HOURS + "=" + logRetentionHours + ", " + SESSION_TIMEOUT_MS + "=" + sessionTimeoutMs + "]";
    }
}
