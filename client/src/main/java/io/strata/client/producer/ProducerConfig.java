package io.strata.client.producer;

import io.strata.client.CommonClientConfigs;
import io.strata.client.internal.Backoff;
import io.strata.client.internal.ClientConfig;
import io.strata.client.internal.Address;
import io.strata.proto.v1.Acks;
import io.strata.records.Compression;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The producer's config keys (named as Kafka's), their defaults, and the validated values of
 * one producer. The keys of {@link CommonClientConfigs} apply as well; unknown keys are ignored
 * with a warning.
 */
public final class ProducerConfig {

    /** {@code 0}, {@code 1} or {@code all} (also {@code -1}); default {@code all}. */
    public static final String ACKS = "acks";
    /** How long a batch waits for more records before it is sent, in ms; default 5. */
    public static final String LINGER_MS = "linger.ms";
    /** Target uncompressed size of one batch, in bytes; default 65536. */
    public static final String BATCH_SIZE = "batch.size";
    /**
     * Memory for records not yet answered, in bytes; default 32 MiB. Each open, queued or
     * in-flight batch holds {@code batch.size} of it (or its record's size when larger) until it
     * completes, as in Kafka, and each record 160 bytes more for its future and bookkeeping
     * (which Kafka leaves out), so the producer's heap follows this setting; when it is used up,
     * {@code send} blocks up to {@code max.block.ms}. As in Kafka, buffers of exactly
     * {@code batch.size} are reused once their batch completes; free ones count as available
     * memory and are dropped when a reservation needs their room.
     */
    public static final String BUFFER_MEMORY = "buffer.memory";
    /** Longest time {@code send} blocks for metadata or buffer memory, in ms; default 60000. */
    public static final String MAX_BLOCK_MS = "max.block.ms";
    /** {@code none} or {@code lz4}; default {@code none}. */
    public static final String COMPRESSION_TYPE = "compression.type";
    /** Upper bound of the time from {@code send} to success or failure, in ms; default 120000. */
    public static final String DELIVERY_TIMEOUT_MS = "delivery.timeout.ms";
    /** How often a failed batch is retried (within {@code delivery.timeout.ms}); default unbounded. */
    public static final String RETRIES = "retries";
    /** Class name of a {@link Partitioner} with a no-arg constructor; default {@link DefaultPartitioner}. */
    public static final String PARTITIONER_CLASS = "partitioner.class";
    /**
     * Unanswered produce requests per partition (default 5); at least 1, and at most 5 with
     * idempotence (as Kafka requires). Kafka counts per connection; Strata's producer keeps one
     * ordered produce stream per leader node and counts per partition, because ordering is per
     * partition: the node appends a stream's requests in the order sent, so up to this many
     * requests of a partition are in flight at once, and a retry puts the partition back to one
     * request at a time until the retried batches are through, so records are never reordered
     * with idempotence (without it, a request that timed out may land after later ones, as in
     * Kafka). With idempotence the batches in flight per partition also stay within the 64 the
     * leader remembers per producer. Nodes without produce streams (older versions) get one
     * request per partition at a time.
     */
    public static final String MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION = "max.in.flight.requests.per.connection";
    /**
     * Whether the producer is idempotent (default {@code true}, Kafka's key and default): it gets a
     * producer id from coordination, numbers each partition's batches, and the leader drops a
     * retried batch it already wrote, so retries never duplicate records. Needs {@code acks=all},
     * {@code retries} above 0 and {@code max.in.flight.requests.per.connection} at most 5: set to
     * {@code true} explicitly with another value of those, it is a config error; left unset, it
     * turns off (Kafka 3's rule).
     */
    public static final String ENABLE_IDEMPOTENCE = "enable.idempotence";
    /**
     * Kafka's bound on one request's bytes (default 1 MiB): a produce request carries consecutive
     * batches of one partition up to this size (one batch is always sent, however large).
     */
    public static final String MAX_REQUEST_SIZE = "max.request.size";
    /**
     * About how many ms of sending the producer queues while its leaders answer (default 10; 0
     * turns the limit off). Kafka's producer queues until {@code buffer.memory} is full, and a
     * producer that outruns its leaders even for a moment (a stall of 100 ms) fills it: every
     * record then waits the time a full buffer takes to drain, with no more records per second
     * than a small queue gives. Here, while batches are answered, the memory {@code send} may use
     * is the peak answered rate of the last second times (the lowest batch latency of the last
     * 15–30 s + this), at least 16 batches or 1 MiB and at most {@code buffer.memory}; beyond it
     * {@code send} waits (within {@code max.block.ms}) as for a full buffer. The whole buffer is
     * usable until the first 100 ms of answers are measured, after a second without answers, and
     * while a partition is not moving (a request unanswered for a second, batches waiting for a
     * resend or a leader), so bursts after a pause and failovers still have {@code buffer.memory}.
     * See {@code QueueDelayLimiter}.
     */
    public static final String QUEUE_MAX_DELAY_MS = "queue.max.delay.ms";

    public static final String DEFAULT_ACKS = "all";
    public static final long DEFAULT_LINGER_MS = 5;
    public static final int DEFAULT_BATCH_SIZE = 65_536;
    public static final long DEFAULT_BUFFER_MEMORY = 32L * 1024 * 1024;
    public static final long DEFAULT_MAX_BLOCK_MS = 60_000;
    public static final long DEFAULT_DELIVERY_TIMEOUT_MS = 120_000;
    public static final int DEFAULT_MAX_IN_FLIGHT = 5;
    /** The most requests in flight per connection that idempotence allows (Kafka's limit). */
    public static final int MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5;
    public static final int DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;
    public static final long DEFAULT_QUEUE_MAX_DELAY_MS = 10;

    static final Set<String> KEYS = Set.of(ACKS, LINGER_MS, BATCH_SIZE, BUFFER_MEMORY, MAX_BLOCK_MS, COMPRESSION_TYPE,
            DELIVERY_TIMEOUT_MS, RETRIES, PARTITIONER_CLASS, MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, MAX_REQUEST_SIZE,
            ENABLE_IDEMPOTENCE, QUEUE_MAX_DELAY_MS);

    private static final System.Logger LOG = System.getLogger(ProducerConfig.class.getName());

    private final List<Address> bootstrapServers;
    private final String clientId;
    private final Acks acks;
    private final long lingerMs;
    private final int batchSize;
    private final long bufferMemory;
    private final long maxBlockMs;
    private final Compression compression;
    private final long deliveryTimeoutMs;
    private final int requestTimeoutMs;
    private final int retries;
    private final Backoff backoff;
    private final long metadataMaxAgeMs;
    private final String partitionerClass;
    private final int maxRequestSize;
    private final int maxInFlightRequestsPerConnection;
    private final boolean idempotence;
    private final long queueMaxDelayMs;

    /** Parses and validates {@code originals}. @throws IllegalArgumentException naming a bad key */
    public ProducerConfig(Map<String, ?> originals) {
        ClientConfig c = new ClientConfig(originals, KEYS, "producer");
        this.bootstrapServers = c.bootstrapServers();
        this.clientId = c.clientId();
        this.acks = parseAcks(c.string(ACKS, DEFAULT_ACKS));
        this.lingerMs = c.longValue(LINGER_MS, DEFAULT_LINGER_MS, 0, Long.MAX_VALUE);
        this.batchSize = c.intValue(BATCH_SIZE, DEFAULT_BATCH_SIZE, 0, Integer.MAX_VALUE);
        this.bufferMemory = c.longValue(BUFFER_MEMORY, DEFAULT_BUFFER_MEMORY, 1, Long.MAX_VALUE);
        this.maxBlockMs = c.longValue(MAX_BLOCK_MS, DEFAULT_MAX_BLOCK_MS, 0, Long.MAX_VALUE);
        try {
            this.compression = Compression.fromName(c.string(COMPRESSION_TYPE, Compression.NONE.configName()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid " + COMPRESSION_TYPE + ": " + e.getMessage(), e);
        }
        this.deliveryTimeoutMs = c.longValue(DELIVERY_TIMEOUT_MS, DEFAULT_DELIVERY_TIMEOUT_MS, 1, Long.MAX_VALUE);
        this.requestTimeoutMs = c.requestTimeoutMs();
        this.retries = c.intValue(RETRIES, Integer.MAX_VALUE, 0, Integer.MAX_VALUE);
        this.backoff = c.backoff();
        this.metadataMaxAgeMs = c.metadataMaxAgeMs();
        this.partitionerClass = c.string(PARTITIONER_CLASS, DefaultPartitioner.class.getName());
        this.maxInFlightRequestsPerConnection = c.intValue(MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, DEFAULT_MAX_IN_FLIGHT, 1,
                Integer.MAX_VALUE);
        this.maxRequestSize = c.intValue(MAX_REQUEST_SIZE, DEFAULT_MAX_REQUEST_SIZE, 1, Integer.MAX_VALUE);
        this.idempotence = idempotence(c.booleanValue(ENABLE_IDEMPOTENCE, true), c.isSet(ENABLE_IDEMPOTENCE));
        this.queueMaxDelayMs = c.longValue(QUEUE_MAX_DELAY_MS, DEFAULT_QUEUE_MAX_DELAY_MS, 0, Long.MAX_VALUE);
    }

    /**
     * Kafka 3's rule ({@code ProducerConfig.postProcessAndValidateIdempotenceConfigs}): idempotence
     * needs acks=all, retries > 0 and at most 5 requests in flight. A conflict is an error when
     * the user asked for idempotence, and turns idempotence off when it was only the default.
     */
    private boolean idempotence(boolean wanted, boolean explicit) {
        if (!wanted) {
            return false;
        }
        String conflict = null;
        if (acks != Acks.ACKS_ALL) {
            conflict = ACKS + " must be all";
        } else if (retries == 0) {
            conflict = RETRIES + " must be above 0";
        } else if (maxInFlightRequestsPerConnection > MAX_IN_FLIGHT_FOR_IDEMPOTENCE) {
            conflict = MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION + " must be at most " + MAX_IN_FLIGHT_FOR_IDEMPOTENCE
                    + ", not " + maxInFlightRequestsPerConnection;
        }
        if (conflict == null) {
            return true;
        }
        if (explicit) {
            throw new IllegalArgumentException("invalid config for " + ENABLE_IDEMPOTENCE + "=true: " + conflict);
        }
        LOG.log(System.Logger.Level.INFO, "idempotence is off because " + conflict + " for it (" + ENABLE_IDEMPOTENCE
                + " was not set)");
        return false;
    }

    /** {@code 0} → ACKS_NONE, {@code 1} → ACKS_LEADER, {@code all}/{@code -1} → ACKS_ALL. */
    static Acks parseAcks(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "0" -> Acks.ACKS_NONE;
            case "1" -> Acks.ACKS_LEADER;
            case "all", "-1" -> Acks.ACKS_ALL;
            default -> throw new IllegalArgumentException("invalid value '" + value + "' for " + ACKS
                    + ": expected 0, 1, all or -1");
        };
    }

    public List<Address> bootstrapServers() {
        return bootstrapServers;
    }

    public String clientId() {
        return clientId;
    }

    public Acks acks() {
        return acks;
    }

    public long lingerMs() {
        return lingerMs;
    }

    public int batchSize() {
        return batchSize;
    }

    public long bufferMemory() {
        return bufferMemory;
    }

    public long maxBlockMs() {
        return maxBlockMs;
    }

    public Compression compression() {
        return compression;
    }

    public long deliveryTimeoutMs() {
        return deliveryTimeoutMs;
    }

    public int requestTimeoutMs() {
        return requestTimeoutMs;
    }

    public int retries() {
        return retries;
    }

    public Backoff backoff() {
        return backoff;
    }

    public long metadataMaxAgeMs() {
        return metadataMaxAgeMs;
    }

    public String partitionerClass() {
        return partitionerClass;
    }

    public int maxRequestSize() {
        return maxRequestSize;
    }

    public int maxInFlightRequestsPerConnection() {
        return maxInFlightRequestsPerConnection;
    }

    /** Whether the producer is idempotent, after the rule of {@link #ENABLE_IDEMPOTENCE}. */
    public boolean idempotence() {
        return idempotence;
    }

    /** {@link #QUEUE_MAX_DELAY_MS}; 0 when the queue may fill the whole buffer. */
    public long queueMaxDelayMs() {
        return queueMaxDelayMs;
    }
}
