package io.strata.proto;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Topic-level config keys (Kafka's names), their defaults and validation. Coordination
 * validates overrides with {@link #validate(Map)} and answers effective configs with
 * {@link #effective(Map, Map)}; storage reads the effective values into its log config.
 *
 * <p>Cluster-wide defaults (e.g. {@code log.retention.hours}) are applied by coordination as
 * the {@code clusterDefaults} argument of {@link #effective(Map, Map)}.
 */
public final class TopicConfigs {

    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final String SEGMENT_MS = "segment.ms";
    public static final String RETENTION_MS = "retention.ms";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
    public static final String FLUSH_MESSAGES = "flush.messages";
    public static final String FLUSH_MS = "flush.ms";
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
    public static final String UNCLEAN_LEADER_ELECTION_ENABLE = "unclean.leader.election.enable";
    public static final String FILE_DELETE_DELAY_MS = "file.delete.delay.ms";

    /** A key, its default and the rule a value must follow. */
    public record Definition(String key, String defaultValue, String rule, Predicate<String> check) {
    }

    private static final Map<String, Definition> DEFINITIONS = new LinkedHashMap<>();

    static {
        define(SEGMENT_BYTES, "1073741824", "an integer >= 1048576 (1 MiB)", v -> longIn(v, 1_048_576, Integer.MAX_VALUE));
        define(SEGMENT_MS, "604800000", "an integer >= 1 (ms)", v -> longIn(v, 1, Long.MAX_VALUE));
        define(RETENTION_MS, "604800000", "an integer >= -1 (ms; -1 = keep forever)", v -> longIn(v, -1, Long.MAX_VALUE));
        define(RETENTION_BYTES, "-1", "an integer >= -1 (bytes; -1 = no size limit)", v -> longIn(v, -1, Long.MAX_VALUE));
        define(MAX_MESSAGE_BYTES, "1048576", "an integer in [1, 104857600] (bytes)", v -> longIn(v, 1, 104_857_600));
        define(INDEX_INTERVAL_BYTES, "4096", "an integer in [0, 2147483647] (bytes)", v -> longIn(v, 0, Integer.MAX_VALUE));
        define(FLUSH_MESSAGES, "9223372036854775807", "an integer >= 1", v -> longIn(v, 1, Long.MAX_VALUE));
        define(FLUSH_MS, "9223372036854775807", "an integer >= 0 (ms)", v -> longIn(v, 0, Long.MAX_VALUE));
        define(CLEANUP_POLICY, "delete", "'delete' (compaction comes later)", "delete"::equals);
        define(MIN_INSYNC_REPLICAS, "1", "an integer >= 1", v -> longIn(v, 1, Integer.MAX_VALUE));
        define(UNCLEAN_LEADER_ELECTION_ENABLE, "false", "true or false", v -> v.equals("true") || v.equals("false"));
        define(FILE_DELETE_DELAY_MS, "60000", "an integer >= 0 (ms)", v -> longIn(v, 0, Long.MAX_VALUE));
    }

    private TopicConfigs() {
    }

    private static void define(String key, String defaultValue, String rule, Predicate<String> check) {
        DEFINITIONS.put(key, new Definition(key, defaultValue, rule, check));
    }

    private static boolean longIn(String value, long min, long max) {
        try {
            long v = Long.parseLong(value.trim());
            return v >= min && v <= max;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    public static Set<String> keys() {
        return DEFINITIONS.keySet();
    }

    public static Definition definition(String key) {
        return DEFINITIONS.get(key);
    }

    /**
     * Checks every override; returns an error message naming the first bad key and the rule it
     * breaks, or null when all are valid.
     */
    public static String validate(Map<String, String> overrides) {
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            Definition d = DEFINITIONS.get(e.getKey());
            if (d == null) {
                return "unknown topic config '" + e.getKey() + "' (known: " + String.join(", ", DEFINITIONS.keySet()) + ")";
            }
            if (e.getValue() == null || !d.check().test(e.getValue())) {
                return "invalid value '" + e.getValue() + "' for " + e.getKey() + ": must be " + d.rule();
            }
        }
        return null;
    }

    /** Every key with its value: the override if set, else the cluster default, else the built-in default. */
    public static Map<String, String> effective(Map<String, String> overrides, Map<String, String> clusterDefaults) {
        Map<String, String> result = new TreeMap<>();
        for (Definition d : DEFINITIONS.values()) {
            String value = overrides.getOrDefault(d.key(), clusterDefaults.getOrDefault(d.key(), d.defaultValue()));
            result.put(d.key(), value.trim());
        }
        return result;
    }

    /** The long value of a key in an effective config map (falls back to the built-in default). */
    public static long longValue(Map<String, String> effective, String key) {
        String v = effective.get(key);
        return Long.parseLong((v != null ? v : DEFINITIONS.get(key).defaultValue()).trim());
    }
}
