package io.strata.client.internal;

import io.strata.client.CommonClientConfigs;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, validated reads of a client's config map. Values may be given as strings or as
 * numbers; an invalid value fails with {@link IllegalArgumentException} naming the key. Keys
 * the client does not know are ignored with one warning, as Kafka clients do.
 */
public final class ClientConfig {

    private static final System.Logger LOG = System.getLogger(ClientConfig.class.getName());

    /** Keys shared by every client. */
    public static final Set<String> COMMON_KEYS = Set.of(
            CommonClientConfigs.BOOTSTRAP_SERVERS, CommonClientConfigs.CLIENT_ID,
            CommonClientConfigs.REQUEST_TIMEOUT_MS, CommonClientConfigs.RETRY_BACKOFF_MS,
            CommonClientConfigs.RETRY_BACKOFF_MAX_MS, CommonClientConfigs.METADATA_MAX_AGE_MS);

    private final Map<String, Object> values;

    /**
     * @param originals the user's config
     * @param knownKeys the keys this client understands besides {@link #COMMON_KEYS}
     * @param clientKind "producer", "consumer" or "admin", for the warning
     */
    public ClientConfig(Map<String, ?> originals, Set<String> knownKeys, String clientKind) {
        this.values = new LinkedHashMap<>(originals);
        Set<String> unknown = new TreeSet<>(originals.keySet());
        unknown.removeAll(COMMON_KEYS);
        unknown.removeAll(knownKeys);
        if (!unknown.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "ignoring unknown " + clientKind + " config keys: " + unknown);
        }
    }

    /** A {@link Properties} object as a config map. */
    public static Map<String, Object> toMap(Properties properties) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            map.put(name, properties.getProperty(name));
        }
        return map;
    }

    /** A string value, trimmed; {@code defaultValue} when unset. */
    public String string(String key, String defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Class<?> c) {
            return c.getName();
        }
        return v.toString().trim();
    }

    /** Whether the user set {@code key} at all (some defaults yield to other settings only when unset). */
    public boolean isSet(String key) {
        return values.get(key) != null;
    }

    /** {@code true} or {@code false} (any case, or a {@link Boolean}); {@code defaultValue} when unset. */
    public boolean booleanValue(String key, boolean defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim();
        if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException("invalid value '" + v + "' for " + key + ": expected true or false");
    }

    /** A long in {@code [min, max]}; {@code defaultValue} when unset. */
    public long longValue(String key, long defaultValue, long min, long max) {
        Object v = values.get(key);
        long parsed;
        if (v == null) {
            return defaultValue;
        } else if (v instanceof Number n) {
            parsed = n.longValue();
        } else {
            try {
                parsed = Long.parseLong(v.toString().trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid value '" + v + "' for " + key + ": expected a whole number");
            }
        }
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException("invalid value " + parsed + " for " + key + ": must be in ["
                    + min + ", " + max + "]");
        }
        return parsed;
    }

    /** An int in {@code [min, max]}; {@code defaultValue} when unset. */
    public int intValue(String key, int defaultValue, int min, int max) {
        return (int) longValue(key, defaultValue, min, max);
    }

    /** The required {@code bootstrap.servers} list. */
    public List<Address> bootstrapServers() {
        Object v = values.get(CommonClientConfigs.BOOTSTRAP_SERVERS);
        if (v == null) {
            throw new IllegalArgumentException(CommonClientConfigs.BOOTSTRAP_SERVERS + " is required");
        }
        String csv = v instanceof List<?> list ? String.join(",", list.stream().map(Object::toString).toList())
                : v.toString();
        try {
            return Address.parseList(csv);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid " + CommonClientConfigs.BOOTSTRAP_SERVERS + ": " + e.getMessage(), e);
        }
    }

    /** {@code client.id}, empty when unset. */
    public String clientId() {
        return string(CommonClientConfigs.CLIENT_ID, "");
    }

    /** {@code request.timeout.ms}. */
    public int requestTimeoutMs() {
        return intValue(CommonClientConfigs.REQUEST_TIMEOUT_MS, CommonClientConfigs.DEFAULT_REQUEST_TIMEOUT_MS,
                1, Integer.MAX_VALUE);
    }

    /** The retry backoff policy from {@code retry.backoff.ms} and {@code retry.backoff.max.ms}. */
    public Backoff backoff() {
        long initial = longValue(CommonClientConfigs.RETRY_BACKOFF_MS, CommonClientConfigs.DEFAULT_RETRY_BACKOFF_MS,
                0, Long.MAX_VALUE);
        long max = longValue(CommonClientConfigs.RETRY_BACKOFF_MAX_MS,
                Math.max(initial, CommonClientConfigs.DEFAULT_RETRY_BACKOFF_MAX_MS), 0, Long.MAX_VALUE);
        return new Backoff(initial, Math.max(initial, max));
    }

    /** {@code metadata.max.age.ms}. */
    public long metadataMaxAgeMs() {
        return longValue(CommonClientConfigs.METADATA_MAX_AGE_MS, CommonClientConfigs.DEFAULT_METADATA_MAX_AGE_MS,
                0, Long.MAX_VALUE);
    }
}
