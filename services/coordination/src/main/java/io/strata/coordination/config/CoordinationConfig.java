package io.strata.coordination.config;

import io.strata.coordination.topics.TopicDefaults;
import io.strata.proto.TopicConfigs;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * Every setting of the coordination role, with Kafka's names under {@code strata.} (settable
 * as system properties, environment variables such as {@code STRATA_NUM_PARTITIONS}, or
 * application.properties). Invalid values stop start-up with a message naming the key.
 * <ul>
 *   <li>{@value #METADATA_STORE} — which metadata store holds the cluster's state:
 *       {@code embedded} (default; files in {@value #METADATA_DIR}, one coordination instance)
 *       or {@code etcd} (an etcd v3 cluster at {@value #METADATA_ENDPOINTS}, shared by every
 *       coordination instance).</li>
 *   <li>{@value #METADATA_ENDPOINTS} — comma-separated etcd client URLs, e.g.
 *       {@code http://etcd-0:2379,http://etcd-1:2379} ({@code http} with host and port; TLS is
 *       not supported yet). Required when {@value #METADATA_STORE} is {@code etcd}, refused
 *       otherwise (so a forgotten {@value #METADATA_STORE} cannot silently keep a cluster on
 *       the embedded store).</li>
 *   <li>{@value #METADATA_REQUEST_TIMEOUT_MS} — the longest one etcd call may take, waiting
 *       for a connection included, before it fails as unavailable; default 5000, in
 *       [{@value #MIN_REQUEST_TIMEOUT_MS}, {@value #MAX_REQUEST_TIMEOUT_MS}]. Used by the etcd store only.</li>
 *   <li>{@value #METADATA_DIR} — directory of the embedded metadata store; default
 *       {@code ${strata.data.dir}/metadata}, where {@value #DATA_DIR} defaults to {@code data}.</li>
 *   <li>{@value #METADATA_ROOT} — root of every key in the metadata store (for etcd, shared by
 *       several clusters); default {@code /strata}. Starts with '/', no trailing '/'.</li>
 *   <li>{@value #NUM_PARTITIONS} — partitions of a topic created with 0 partitions; default 1, at least 1.</li>
 *   <li>{@value #DEFAULT_REPLICATION_FACTOR} — replicas of a topic created with replication
 *       factor 0, used as is; in [1, 32767]. Not set (the default): min(3, live storage nodes)
 *       at each creation ({@link TopicDefaults}).</li>
 *   <li>{@value #MIN_INSYNC_REPLICAS} — the cluster default of the topic config
 *       {@code min.insync.replicas}; default 1, in [1, 32767]. While it is below 2, a topic created
 *       with 3 or more replicas and no {@code min.insync.replicas} of its own gets the override 2.</li>
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
    public static final String METADATA_STORE = "strata.metadata.store";
    public static final String METADATA_ENDPOINTS = "strata.metadata.endpoints";
    public static final String METADATA_REQUEST_TIMEOUT_MS = "strata.metadata.request.timeout.ms";
    public static final String NUM_PARTITIONS = "strata.num.partitions";
    public static final String DEFAULT_REPLICATION_FACTOR = "strata.default.replication.factor";
    public static final String MIN_INSYNC_REPLICAS = "strata.min.insync.replicas";
    public static final String LOG_RETENTION_HOURS = "strata.log.retention.hours";
    public static final String SESSION_TIMEOUT_MS = "strata.session.timeout.ms";

    public static final int MIN_SESSION_TIMEOUT_MS = 100;
    public static final int MAX_SESSION_TIMEOUT_MS = 300_000;
    public static final int MIN_REQUEST_TIMEOUT_MS = 100;
    public static final int MAX_REQUEST_TIMEOUT_MS = 120_000;

    /** The metadata store implementations {@value #METADATA_STORE} chooses from. */
    public enum MetadataStoreKind {
        /** {@code io.strata.coordination.store.EmbeddedMetadataStore} in {@value #METADATA_DIR}. */
        EMBEDDED,
        /** {@code io.strata.coordination.store.EtcdMetadataStore} at {@value #METADATA_ENDPOINTS}. */
        ETCD
    }

    private final MetadataStoreKind metadataStore;
    private final List<URI> metadataEndpoints;
    private final Duration metadataRequestTimeout;
    private final Path metadataDir;
    private final String metadataRoot;
    private final int numPartitions;
    private final OptionalInt defaultReplicationFactor;
    private final int minInsyncReplicas;
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
        this.metadataStore = storeKind(source);
        this.metadataEndpoints = endpoints(source, metadataStore);
        this.metadataRequestTimeout = Duration.ofMillis(integer(source, METADATA_REQUEST_TIMEOUT_MS, 5000,
                MIN_REQUEST_TIMEOUT_MS, MAX_REQUEST_TIMEOUT_MS));
        this.numPartitions = (int) integer(source, NUM_PARTITIONS, 1, 1, Integer.MAX_VALUE);
        this.defaultReplicationFactor = isSet(source, DEFAULT_REPLICATION_FACTOR)
                ? OptionalInt.of((int) integer(source, DEFAULT_REPLICATION_FACTOR, 1, 1, Short.MAX_VALUE)) : OptionalInt.empty();
        this.minInsyncReplicas = (int) integer(source, MIN_INSYNC_REPLICAS, 1, 1, Short.MAX_VALUE);
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

    private static MetadataStoreKind storeKind(Function<String, Optional<String>> source) {
        String raw = source.apply(METADATA_STORE).map(String::trim).filter(s -> !s.isEmpty()).orElse("embedded");
        return switch (raw.toLowerCase(Locale.ROOT)) {
            case "embedded" -> MetadataStoreKind.EMBEDDED;
            case "etcd" -> MetadataStoreKind.ETCD;
            default -> throw new IllegalArgumentException(METADATA_STORE + "='" + raw + "' must be 'embedded' or 'etcd'");
        };
    }

    private static List<URI> endpoints(Function<String, Optional<String>> source, MetadataStoreKind kind) {
        String raw = source.apply(METADATA_ENDPOINTS).map(String::trim).orElse("");
        if (kind == MetadataStoreKind.EMBEDDED) {
            if (!raw.isEmpty()) {
                throw new IllegalArgumentException(METADATA_ENDPOINTS + "='" + raw + "' is set but " + METADATA_STORE
                        + " is 'embedded': set " + METADATA_STORE + "=etcd to keep the metadata in etcd, or remove the endpoints");
            }
            return List.of();
        }
        List<URI> uris = new ArrayList<>();
        for (String part : raw.split(",")) {
            String endpoint = part.trim();
            if (endpoint.isEmpty()) {
                continue;
            }
            URI uri;
            try {
                uri = new URI(endpoint);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(METADATA_ENDPOINTS + ": '" + endpoint + "' is not a URL: " + e.getMessage());
            }
            if ("https".equals(uri.getScheme())) {
                throw new IllegalArgumentException(METADATA_ENDPOINTS + ": '" + endpoint
                        + "' uses https, but TLS to etcd is not supported yet; use http:// endpoints");
            }
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0
                    || !(uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/"))) {
                throw new IllegalArgumentException(METADATA_ENDPOINTS + ": '" + endpoint
                        + "' must be an etcd client URL like http://127.0.0.1:2379 (scheme http, host and port, no path)");
            }
            uris.add(URI.create("http://" + uri.getRawAuthority()));
        }
        if (uris.isEmpty()) {
            throw new IllegalArgumentException(METADATA_ENDPOINTS + " is required when " + METADATA_STORE
                    + "=etcd: list the etcd client URLs, comma-separated, e.g. http://127.0.0.1:2379");
        }
        return List.copyOf(uris);
    }

    private static boolean isSet(Function<String, Optional<String>> source, String key) {
        return source.apply(key).filter(s -> !s.isBlank()).isPresent();
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

    public MetadataStoreKind metadataStore() {
        return metadataStore;
    }

    /** The etcd client URLs; empty for the embedded store. */
    public List<URI> metadataEndpoints() {
        return metadataEndpoints;
    }

    public Duration metadataRequestTimeout() {
        return metadataRequestTimeout;
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

    /** {@value #DEFAULT_REPLICATION_FACTOR}; empty when not set (each topic then gets min(3, live storage nodes)). */
    public OptionalInt defaultReplicationFactor() {
        return defaultReplicationFactor;
    }

    /** The cluster default of the topic config {@code min.insync.replicas}. */
    public int minInsyncReplicas() {
        return minInsyncReplicas;
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
        return new TopicDefaults(numPartitions, defaultReplicationFactor, Map.of(TopicConfigs.RETENTION_MS, Long.toString(retentionMs()),
                TopicConfigs.MIN_INSYNC_REPLICAS, Integer.toString(minInsyncReplicas)));
    }

    @Override
    public String toString() {
        return "CoordinationConfig[" + METADATA_STORE + "=" + metadataStore.name().toLowerCase(Locale.ROOT) + ", "
                + (metadataStore == MetadataStoreKind.ETCD ? METADATA_ENDPOINTS + "=" + metadataEndpoints + ", "
                        + METADATA_REQUEST_TIMEOUT_MS + "=" + metadataRequestTimeout.toMillis() : METADATA_DIR + "=" + metadataDir)
                + ", " + METADATA_ROOT + "=" + metadataRoot + ", "
                + NUM_PARTITIONS + "=" + numPartitions + ", " + DEFAULT_REPLICATION_FACTOR + "="
                + (defaultReplicationFactor.isPresent() ? Integer.toString(defaultReplicationFactor.getAsInt()) : "min(3, live storage nodes)")
                + ", " + MIN_INSYNC_REPLICAS + "=" + minInsyncReplicas + ", "
                + LOG_RETENTION_HOURS + "=" + logRetentionHours + ", " + SESSION_TIMEOUT_MS + "=" + sessionTimeoutMs + "]";
    }
}
