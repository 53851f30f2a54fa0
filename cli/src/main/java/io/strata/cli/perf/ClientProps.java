package io.strata.cli.perf;

import io.strata.client.CommonClientConfigs;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The client config of a perf command: the pass-through {@code --producer-props} /
 * {@code --consumer-props} pairs, the dedicated options ({@code --acks}, {@code --batch-size},
 * ...) and the global {@code --bootstrap}.
 *
 * <p>Rules: a key given both ways must have the same value (else a usage error names both);
 * the server comes only from {@code --bootstrap}; {@code client.id} falls back to the command's
 * default when neither way gives one.
 */
final class ClientProps {

    private ClientProps() {
    }

    /**
     * @param bootstrap       the global {@code --bootstrap} value
     * @param defaultClientId {@code client.id} when no option or pair gives one
     * @param options         config key → value of the dedicated options that were given, with
     *                        the option's name for messages ({@link Named})
     * @param passThrough     the {@code KEY=VALUE} pairs
     * @param passThroughName {@code --producer-props} or {@code --consumer-props}, for messages
     * @throws IllegalArgumentException on a conflict
     */
    static Map<String, Object> merge(String bootstrap, String defaultClientId, Map<String, Named> options,
                                     Map<String, String> passThrough, String passThroughName) {
        Map<String, Object> config = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : passThrough.entrySet()) {
            String key = e.getKey().trim();
            if (key.equals(CommonClientConfigs.BOOTSTRAP_SERVERS)) {
                throw new IllegalArgumentException(passThroughName + " " + key
                        + ": give the server with --bootstrap HOST:PORT");
            }
            config.put(key, e.getValue());
        }
        for (Map.Entry<String, Named> e : options.entrySet()) {
            Object earlier = config.get(e.getKey());
            if (earlier != null && !earlier.toString().trim().equalsIgnoreCase(e.getValue().value().trim())) {
                throw new IllegalArgumentException(e.getValue().option() + " " + e.getValue().value() + " conflicts with "
                        + passThroughName + " " + e.getKey() + "=" + earlier);
            }
            config.put(e.getKey(), e.getValue().value());
        }
        config.putIfAbsent(CommonClientConfigs.CLIENT_ID, defaultClientId);
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS, bootstrap);
        return config;
    }

    /**
     * A dedicated option's value.
     *
     * @param option its name, e.g. {@code --acks}
     * @param value  its value as text
     */
    record Named(String option, String value) {
        Named {
            Objects.requireNonNull(option, "option");
            Objects.requireNonNull(value, "value");
        }
    }
}
