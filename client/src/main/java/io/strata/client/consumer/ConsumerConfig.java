package io.strata.client.consumer;

import io.strata.client.CommonClientConfigs;
import io.strata.client.internal.Address;
import io.strata.client.internal.Backoff;
import io.strata.client.internal.ClientConfig;

import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    /** The consumer group; required by {@code subscribe} and by commits. Unset by default. */
    public static final String GROUP_ID = "group.id";
    /** Static membership: a stable id for this member across restarts. Unset (dynamic member) by default. */
    public static final String GROUP_INSTANCE_ID = "group.instance.id";
    /** The coordinator expels a member it has not heard from for this long, in ms; default 10000. */
    public static final String SESSION_TIMEOUT_MS = "session.timeout.ms";
    /** Accepted for compatibility and ignored: the groups coordinator decides the heartbeat interval. */
    public static final String HEARTBEAT_INTERVAL_MS = "heartbeat.interval.ms";
    /**
     * Longest time between two {@code poll} calls of a group member, in ms; default 300000. Sent as
     * the member's rebalance timeout; when the application does not poll within it, the consumer
     * leaves the group (its partitions go to others) and rejoins at the next {@code poll}.
     */
    public static final String MAX_POLL_INTERVAL_MS = "max.poll.interval.ms";
    /** The server-side assignor: {@code uniform} (sticky, the default) or {@code range}. */
    public static final String GROUP_REMOTE_ASSIGNOR = "group.remote.assignor";
    /** Commit positions in the background (every auto.commit.interval.ms, before a revocation, on close); default false. */
    public static final String ENABLE_AUTO_COMMIT = "enable.auto.commit";
    /** How often positions are committed when {@code enable.auto.commit} is true, in ms; default 5000. */
    public static final String AUTO_COMMIT_INTERVAL_MS = "auto.commit.interval.ms";
    /** The member's rack, sent to the group (the assignors do not place by rack yet); empty by default. */
    public static final String CLIENT_RACK = "client.rack";

    public static final int DEFAULT_FETCH_MAX_WAIT_MS = 500;
    public static final int DEFAULT_FETCH_MIN_BYTES = 1;
    public static final int DEFAULT_MAX_PARTITION_FETCH_BYTES = 1024 * 1024;
    public static final int DEFAULT_MAX_POLL_RECORDS = 500;
    public static final String DEFAULT_AUTO_OFFSET_RESET = "latest";
    public static final long DEFAULT_DEFAULT_API_TIMEOUT_MS = 60_000;
    public static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;
    public static final int DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;
    public static final String DEFAULT_GROUP_REMOTE_ASSIGNOR = "uniform";
    public static final boolean DEFAULT_ENABLE_AUTO_COMMIT = false;
    public static final long DEFAULT_AUTO_COMMIT_INTERVAL_MS = 5_000;

    static final Set<String> KEYS = Set.of(FETCH_MAX_WAIT_MS, FETCH_MIN_BYTES, MAX_PARTITION_FETCH_BYTES,
            MAX_POLL_RECORDS, AUTO_OFFSET_RESET, DEFAULT_API_TIMEOUT_MS, GROUP_ID, GROUP_INSTANCE_ID,
            SESSION_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS, MAX_POLL_INTERVAL_MS, GROUP_REMOTE_ASSIGNOR,
            ENABLE_AUTO_COMMIT, AUTO_COMMIT_INTERVAL_MS, CLIENT_RACK);

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
    private final Optional<String> groupId;
    private final Optional<String> groupInstanceId;
    private final int sessionTimeoutMs;
    private final int maxPollIntervalMs;
    private final String groupRemoteAssignor;
    private final boolean enableAutoCommit;
    private final long autoCommitIntervalMs;
    private final String clientRack;

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
        this.groupId = optional(c, GROUP_ID);
        this.groupInstanceId = optional(c, GROUP_INSTANCE_ID);
        this.sessionTimeoutMs = c.intValue(SESSION_TIMEOUT_MS, DEFAULT_SESSION_TIMEOUT_MS, 1, Integer.MAX_VALUE);
        c.intValue(HEARTBEAT_INTERVAL_MS, 0, 0, Integer.MAX_VALUE); // validated, then ignored: the server decides
        this.maxPollIntervalMs = c.intValue(MAX_POLL_INTERVAL_MS, DEFAULT_MAX_POLL_INTERVAL_MS, 1, Integer.MAX_VALUE);
        this.groupRemoteAssignor = c.string(GROUP_REMOTE_ASSIGNOR, DEFAULT_GROUP_REMOTE_ASSIGNOR);
        if (groupRemoteAssignor.isEmpty()) {
            throw new IllegalArgumentException(GROUP_REMOTE_ASSIGNOR + " must not be empty");
        }
        this.enableAutoCommit = c.booleanValue(ENABLE_AUTO_COMMIT, DEFAULT_ENABLE_AUTO_COMMIT);
        this.autoCommitIntervalMs = c.longValue(AUTO_COMMIT_INTERVAL_MS, DEFAULT_AUTO_COMMIT_INTERVAL_MS, 1, Long.MAX_VALUE);
        this.clientRack = c.string(CLIENT_RACK, "");
        if (groupInstanceId.isPresent() && groupId.isEmpty()) {
            throw new IllegalArgumentException(GROUP_INSTANCE_ID + " needs " + GROUP_ID);
        }
    }

    private static Optional<String> optional(ClientConfig c, String key) {
        String v = c.string(key, "");
        return v.isEmpty() ? Optional.empty() : Optional.of(v);
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

    /** {@code group.id}; empty when unset. */
    public Optional<String> groupId() {
        return groupId;
    }

    /** {@code group.instance.id}; empty for a dynamic member. */
    public Optional<String> groupInstanceId() {
        return groupInstanceId;
    }

    public int sessionTimeoutMs() {
        return sessionTimeoutMs;
    }

    public int maxPollIntervalMs() {
        return maxPollIntervalMs;
    }

    public String groupRemoteAssignor() {
        return groupRemoteAssignor;
    }

    public boolean enableAutoCommit() {
        return enableAutoCommit;
    }

    public long autoCommitIntervalMs() {
        return autoCommitIntervalMs;
    }

    /** {@code client.rack}; empty when unset. */
    public String clientRack() {
        return clientRack;
    }
}
