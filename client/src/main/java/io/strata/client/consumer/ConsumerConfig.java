package io.strata.client.consumer;

import io.strata.client.CommonClientConfigs;
import io.strata.client.internal.Address;
import io.strata.client.internal.Backoff;
import io.strata.client.internal.ClientConfig;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The consumer's config keys (named as Kafka's), their defaults, and the validated values of
 * one consumer. The keys of {@link CommonClientConfigs} apply as well; unknown keys are ignored
 * with a warning.
 */
public final class ConsumerConfig {

    /** Longest time the leader holds a fetch waiting for {@code fetch.min.bytes}, in ms; default 500. */
    public static final String FETCH_MAX_WAIT_MS = "fetch.max.wait.ms";
    /** Bytes a fetch waits for before the leader answers; default 1. */
    public static final String FETCH_MIN_BYTES = "fetch.min.bytes";
    /** Upper bound of one partition's fetch answer, in bytes (one batch is always returned); default 1 MiB. */
    public static final String MAX_PARTITION_FETCH_BYTES = "max.partition.fetch.bytes";
    /** Most records one {@code poll} returns; default 500. */
    public static final String MAX_POLL_RECORDS = "max.poll.records";
    /** {@code earliest}, {@code latest} or {@code none}; default {@code latest}. */
    public static final String AUTO_OFFSET_RESET = "auto.offset.reset";
    /** Time limit of blocking calls such as {@code position} and {@code endOffsets}, in ms; default 60000. */
    public static final String DEFAULT_API_TIMEOUT_MS = "default.api.timeout.ms";

    public static final int DEFAULT_FETCH_MAX_WAIT_MS = 500;
    public static final int DEFAULT_FETCH_MIN_BYTES = 1;
    public static final int DEFAULT_MAX_PARTITION_FETCH_BYTES = 1024 * 1024;
    public static final int DEFAULT_MAX_POLL_RECORDS = 500;
    public static final String DEFAULT_AUTO_OFFSET_RESET = "latest";
    public static final long DEFAULT_DEFAULT_API_TIMEOUT_MS = 60_000;

    static final Set<String> KEYS = Set.of(FETCH_MAX_WAIT_MS, FETCH_MIN_BYTES, MAX_PARTITION_FETCH_BYTES,
            MAX_POLL_RECORDS, AUTO_OFFSET_RESET, DEFAULT_API_TIMEOUT_MS);

    private final List<Address> bootstrapServers;
    private final String clientId;
    private final int requestTimeoutMs;
    private final Backoff backoff;
    private final long metadataMaxAgeMs;
    private final int fetchMaxWaitMs;
    private final int fetchMinBytes;
    private final int maxPartitionFetchBytes;
    private final int maxPollRecords;
    private final OffsetResetStrategy autoOffsetReset;
    private final long defaultApiTimeoutMs;

    /** Parses and validates {@code originals}. @throws IllegalArgumentException naming a bad key */
    public ConsumerConfig(Map<String, ?> originals) {
        ClientConfig c = new ClientConfig(originals, KEYS, "consumer");
        this.bootstrapServers = c.bootstrapServers();
        this.clientId = c.clientId();
        this.requestTimeoutMs = c.requestTimeoutMs();
        this.backoff = c.backoff();
        this.metadataMaxAgeMs = c.metadataMaxAgeMs();
        this.fetchMaxWaitMs = c.intValue(FETCH_MAX_WAIT_MS, DEFAULT_FETCH_MAX_WAIT_MS, 0, 30_000);
        this.fetchMinBytes = c.intValue(FETCH_MIN_BYTES, DEFAULT_FETCH_MIN_BYTES, 0, Integer.MAX_VALUE);
        this.maxPartitionFetchBytes = c.intValue(MAX_PARTITION_FETCH_BYTES, DEFAULT_MAX_PARTITION_FETCH_BYTES,
                1, Integer.MAX_VALUE);
        this.maxPollRecords = c.intValue(MAX_POLL_RECORDS, DEFAULT_MAX_POLL_RECORDS, 1, Integer.MAX_VALUE);
        this.autoOffsetReset = OffsetResetStrategy.fromName(c.string(AUTO_OFFSET_RESET, DEFAULT_AUTO_OFFSET_RESET));
        this.defaultApiTimeoutMs = c.longValue(DEFAULT_API_TIMEOUT_MS, DEFAULT_DEFAULT_API_TIMEOUT_MS, 1, Long.MAX_VALUE);
    }

    public List<Address> bootstrapServers() {
        return bootstrapServers;
    }

    public String clientId() {
        return clientId;
    }

    public int requestTimeoutMs() {
        return requestTimeoutMs;
    }

    public Backoff backoff() {
        return backoff;
    }

    public long metadataMaxAgeMs() {
        return metadataMaxAgeMs;
    }

    public int fetchMaxWaitMs() {
        return fetchMaxWaitMs;
    }

    public int fetchMinBytes() {
        return fetchMinBytes;
    }

    public int maxPartitionFetchBytes() {
        return maxPartitionFetchBytes;
    }

    public int maxPollRecords() {
        return maxPollRecords;
    }

    public OffsetResetStrategy autoOffsetReset() {
        return autoOffsetReset;
    }

    public long defaultApiTimeoutMs() {
        return defaultApiTimeoutMs;
    }
}
