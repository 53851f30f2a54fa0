package io.strata.client;

/**
 * Config keys every Strata client (producer, consumer, admin) understands. Keys and defaults
 * follow Kafka's where Kafka has the same knob.
 */
public final class CommonClientConfigs {

    /** Comma-separated {@code host:port} coordination endpoints used to find the cluster. Required. */
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    /** A name for this client in server logs; default empty. */
    public static final String CLIENT_ID = "client.id";
    /** Longest wait for one request's answer, in ms; default {@value #DEFAULT_REQUEST_TIMEOUT_MS}. */
    public static final String REQUEST_TIMEOUT_MS = "request.timeout.ms";
    /** First wait before retrying a failed request, in ms; default {@value #DEFAULT_RETRY_BACKOFF_MS}. */
    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
    /** Upper bound of the exponential retry backoff, in ms; default {@value #DEFAULT_RETRY_BACKOFF_MAX_MS}. */
    public static final String RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms";
    /** Routing metadata older than this is refreshed, in ms; default {@value #DEFAULT_METADATA_MAX_AGE_MS}. */
    public static final String METADATA_MAX_AGE_MS = "metadata.max.age.ms";

    public static final int DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
    public static final long DEFAULT_RETRY_BACKOFF_MS = 100;
    public static final long DEFAULT_RETRY_BACKOFF_MAX_MS = 1_000;
    public static final long DEFAULT_METADATA_MAX_AGE_MS = 300_000;

    private CommonClientConfigs() {
    }
}
