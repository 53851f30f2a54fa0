package io.strata.ingestion.config;

import io.strata.runtime.HostPort;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The ingestion role's settings ({@code strata.*}; docs/CONFIGURATION.md):
 * <ul>
 *   <li>{@code strata.coordination.endpoints} — coordination instances, {@code host:port,...};
 *       empty = this process (standalone)</li>
 *   <li>{@code strata.ingestion.instance.id} — this instance's registration id; default a fresh
 *       UUID per start (the role is stateless)</li>
 *   <li>{@code strata.ingestion.buffer.memory} (64 MiB), {@code .batch.size} (65536),
 *       {@code .linger.ms} (5), {@code .compression.type} (lz4), {@code .delivery.timeout.ms}
 *       (30000), {@code .max.block.ms} (5000: how long a request may wait for a topic's first metadata or for buffer memory
 *       before it is answered RESOURCE_EXHAUSTED), {@code .max.request.records} (10000),
 *       {@code .queue.max.delay.ms} (10: the producer's {@code queue.max.delay.ms}; 0 lets the queue fill the buffer)</li>
 *   <li>{@code strata.session.timeout.ms} — the registration's session lease (6000)</li>
 *   <li>{@code strata.ingestion.spool.dir} — the store-and-forward spool ({@code ${strata.data.dir}/spool},
 *       {@code strata.data.dir} defaulting to {@code data}); {@code .spool.max.bytes} (1 GiB, at least 1 MiB:
 *       a full spool refuses spooled requests RESOURCE_EXHAUSTED), {@code .spool.segment.bytes} (64 MiB, at
 *       least 64 KiB and at most half of {@code .spool.max.bytes}: the unit in which forwarded records free
 *       space; the segment being written is never freed, so a larger one could fill the spool for good)</li>
 * </ul>
 */
@Singleton
public class IngestionConfig {

    private final Optional<List<HostPort>> coordinationEndpoints;
    private final String instanceId;
    private final long bufferMemory;
    private final int batchSize;
    private final int lingerMs;
    private final String compressionType;
    private final int deliveryTimeoutMs;
    private final int maxBlockMs;
    private final int queueMaxDelayMs;
    private final int maxRequestRecords;
    private final int sessionTimeoutMs;
    private final Path spoolDir;
    private final long spoolMaxBytes;
    private final long spoolSegmentBytes;

    public IngestionConfig() {
        this(ConfigProvider.getConfig());
    }

    /**
     * The settings in {@code config}.
     *
     * @throws IllegalArgumentException naming the key (or keys) of a bad value
     */
    public IngestionConfig(Config config) {
        this.coordinationEndpoints = config.getOptionalValue("strata.coordination.endpoints", String.class)
                .filter(s -> !s.isBlank()).map(HostPort::parseList);
        this.instanceId = config.getOptionalValue("strata.ingestion.instance.id", String.class)
                .filter(s -> !s.isBlank()).orElseGet(() -> "ingestion-" + UUID.randomUUID());
        this.bufferMemory = atLeast(config, "strata.ingestion.buffer.memory", Long.class, 64L << 20, 1L << 20);
        this.batchSize = atLeast(config, "strata.ingestion.batch.size", Integer.class, 65536, 1);
        this.lingerMs = atLeast(config, "strata.ingestion.linger.ms", Integer.class, 5, 0);
        this.compressionType = config.getOptionalValue("strata.ingestion.compression.type", String.class).orElse("lz4");
        this.deliveryTimeoutMs = atLeast(config, "strata.ingestion.delivery.timeout.ms", Integer.class, 30000, 1);
        this.maxBlockMs = atLeast(config, "strata.ingestion.max.block.ms", Integer.class, 5000, 0);
        this.queueMaxDelayMs = atLeast(config, "strata.ingestion.queue.max.delay.ms", Integer.class, 10, 0);
        this.maxRequestRecords = atLeast(config, "strata.ingestion.max.request.records", Integer.class, 10000, 1);
        this.sessionTimeoutMs = atLeast(config, "strata.session.timeout.ms", Integer.class, 6000, 1000);
        this.spoolDir = Path.of(config.getOptionalValue("strata.ingestion.spool.dir", String.class).filter(s -> !s.isBlank())
                .orElseGet(() -> Path.of(config.getOptionalValue("strata.data.dir", String.class).orElse("data"), "spool")
                        .toString()));
        this.spoolMaxBytes = atLeast(config, "strata.ingestion.spool.max.bytes", Long.class, 1L << 30, 1L << 20);
        this.spoolSegmentBytes = atLeast(config, "strata.ingestion.spool.segment.bytes", Long.class, 64L << 20, 64L << 10);
        if (spoolSegmentBytes > spoolMaxBytes / 2) {
            throw new IllegalArgumentException("strata.ingestion.spool.segment.bytes=" + spoolSegmentBytes + " must be at most"
                    + " half of strata.ingestion.spool.max.bytes=" + spoolMaxBytes + ": the spool frees space a whole segment"
                    + " at a time and never the one being written, so a larger segment could leave it full for good");
        }
    }

    private static <T extends Number & Comparable<T>> T atLeast(Config config, String key, Class<T> type, T fallback, T min) {
        T value = config.getOptionalValue(key, type).orElse(fallback);
        if (value.compareTo(min) < 0) {
            throw new IllegalArgumentException(key + "=" + value + " must be at least " + min);
        }
        return value;
    }

    /** Empty means "this process's own listener" (standalone). */
    public Optional<List<HostPort>> coordinationEndpoints() {
        return coordinationEndpoints;
    }

    public String instanceId() {
        return instanceId;
    }

    public long bufferMemory() {
        return bufferMemory;
    }

    public int batchSize() {
        return batchSize;
    }

    public int lingerMs() {
        return lingerMs;
    }

    public String compressionType() {
        return compressionType;
    }

    public int deliveryTimeoutMs() {
        return deliveryTimeoutMs;
    }

    public int maxBlockMs() {
        return maxBlockMs;
    }

    /** The producers' {@code queue.max.delay.ms}: 0 lets their queue fill the whole buffer. */
    public int queueMaxDelayMs() {
        return queueMaxDelayMs;
    }

    public int maxRequestRecords() {
        return maxRequestRecords;
    }

    public int sessionTimeoutMs() {
        return sessionTimeoutMs;
    }

    public Path spoolDir() {
        return spoolDir;
    }

    public long spoolMaxBytes() {
        return spoolMaxBytes;
    }

    public long spoolSegmentBytes() {
        return spoolSegmentBytes;
    }
}
