package io.strata.storage.log;

import java.util.Map;

/**
 * Per-partition log settings, taken from the topic's effective configuration. Keys, defaults and
 * meaning (Kafka's names and defaults):
 *
 * <pre>
 * key                   component           default          validation       meaning
 * segment.bytes         segmentBytes        1073741824       [14, 2^31-1]     roll before an append that would exceed it
 * segment.ms            segmentMs           604800000 (7d)   &gt; 0              roll when the active segment is older
 * retention.ms          retentionMs         604800000 (7d)   &gt;= -1            delete segments whose max timestamp is older; -1 = forever
 * retention.bytes       retentionBytes      -1               &gt;= -1            delete oldest segments while the log is larger; -1 = no limit
 * index.interval.bytes  indexIntervalBytes  4096             &gt;= 0             bytes of log between two offset-index entries
 * max.message.bytes     maxMessageBytes     1048576          &gt; 0              largest batch accepted by append
 * flush.messages        flushMessages       Long.MAX_VALUE   &gt; 0              fsync after this many unflushed records (1 = every append)
 * flush.ms              flushMs             Long.MAX_VALUE   &gt;= 0             fsync when the oldest unflushed data is this old
 * file.delete.delay.ms  fileDeleteDelayMs   60000            &gt;= 0             how long deleted segments stay readable by in-flight reads
 * </pre>
 */
public record LogConfig(long segmentBytes, long segmentMs, long retentionMs, long retentionBytes,
                        int indexIntervalBytes, int maxMessageBytes, long flushMessages, long flushMs,
                        long fileDeleteDelayMs) {

    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final String SEGMENT_MS = "segment.ms";
    public static final String RETENTION_MS = "retention.ms";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final String FLUSH_MESSAGES = "flush.messages";
    public static final String FLUSH_MS = "flush.ms";
    public static final String FILE_DELETE_DELAY_MS = "file.delete.delay.ms";

    private static final LogConfig DEFAULTS = new LogConfig(1L << 30, 7 * 24 * 3600_000L, 7 * 24 * 3600_000L, -1,
            4096, 1 << 20, Long.MAX_VALUE, Long.MAX_VALUE, 60_000);

    public LogConfig {
        check(SEGMENT_BYTES, segmentBytes, segmentBytes >= 14 && segmentBytes <= Integer.MAX_VALUE);
        check(SEGMENT_MS, segmentMs, segmentMs > 0);
        check(RETENTION_MS, retentionMs, retentionMs >= -1);
        check(RETENTION_BYTES, retentionBytes, retentionBytes >= -1);
        check(INDEX_INTERVAL_BYTES, indexIntervalBytes, indexIntervalBytes >= 0);
        check(MAX_MESSAGE_BYTES, maxMessageBytes, maxMessageBytes > 0);
        check(FLUSH_MESSAGES, flushMessages, flushMessages > 0);
        check(FLUSH_MS, flushMs, flushMs >= 0);
        check(FILE_DELETE_DELAY_MS, fileDeleteDelayMs, fileDeleteDelayMs >= 0);
    }

    /** Kafka's defaults: 1 GiB / 7 days segments, 7 days retention, no size limit, no forced fsync. */
    public static LogConfig defaults() {
        return DEFAULTS;
    }

    /**
     * Builds a config from a topic's effective configuration; keys not present take their
     * defaults, keys this class does not know are ignored.
     *
     * @throws IllegalArgumentException when a value is not a number or fails validation
     */
    public static LogConfig fromEffective(Map<String, String> effectiveTopicConfig) {
        Map<String, String> c = effectiveTopicConfig;
        LogConfig d = DEFAULTS;
        return new LogConfig(
                longOf(c, SEGMENT_BYTES, d.segmentBytes),
                longOf(c, SEGMENT_MS, d.segmentMs),
                longOf(c, RETENTION_MS, d.retentionMs),
                longOf(c, RETENTION_BYTES, d.retentionBytes),
                intOf(c, INDEX_INTERVAL_BYTES, d.indexIntervalBytes),
                intOf(c, MAX_MESSAGE_BYTES, d.maxMessageBytes),
                longOf(c, FLUSH_MESSAGES, d.flushMessages),
                longOf(c, FLUSH_MS, d.flushMs),
                longOf(c, FILE_DELETE_DELAY_MS, d.fileDeleteDelayMs));
    }

    /** A copy with {@code segment.bytes} replaced. */
    public LogConfig withSegmentBytes(long value) {
        return new LogConfig(value, segmentMs, retentionMs, retentionBytes, indexIntervalBytes, maxMessageBytes,
                flushMessages, flushMs, fileDeleteDelayMs);
    }

    /** A copy with {@code segment.ms} replaced. */
    public LogConfig withSegmentMs(long value) {
        return new LogConfig(segmentBytes, value, retentionMs, retentionBytes, indexIntervalBytes, maxMessageBytes,
                flushMessages, flushMs, fileDeleteDelayMs);
    }

    /** A copy with {@code retention.ms} and {@code retention.bytes} replaced. */
    public LogConfig withRetention(long ms, long bytes) {
        return new LogConfig(segmentBytes, segmentMs, ms, bytes, indexIntervalBytes, maxMessageBytes,
                flushMessages, flushMs, fileDeleteDelayMs);
    }

    /** A copy with {@code index.interval.bytes} replaced. */
    public LogConfig withIndexIntervalBytes(int value) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, value, maxMessageBytes,
                flushMessages, flushMs, fileDeleteDelayMs);
    }

    /** A copy with {@code flush.messages} and {@code flush.ms} replaced. */
    public LogConfig withFlush(long messages, long ms) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, indexIntervalBytes,
                maxMessageBytes, messages, ms, fileDeleteDelayMs);
    }

    /** A copy with {@code file.delete.delay.ms} replaced. */
    public LogConfig withFileDeleteDelayMs(long value) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, indexIntervalBytes,
                maxMessageBytes, flushMessages, flushMs, value);
    }

    private static long longOf(Map<String, String> config, String key, long fallback) {
        String value = config.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + value + " is not a number", e);
        }
    }

    private static int intOf(Map<String, String> config, String key, int fallback) {
        long value = longOf(config, key, fallback);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(key + "=" + value + " does not fit an int");
        }
        return (int) value;
    }

    private static void check(String key, long value, boolean valid) {
        if (!valid) {
            throw new IllegalArgumentException("invalid " + key + "=" + value);
        }
    }
}
