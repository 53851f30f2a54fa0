package io.strata.runtime.quota;

import org.eclipse.microprofile.config.Config;

import java.util.Optional;

/**
 * A node's own quota defaults (docs/CONFIGURATION.md), the last level of the precedence: they
 * apply to a client id that neither has a quota of its own in coordination nor gets one from the
 * default entity there. Kafka's (deprecated) broker settings of the same names.
 * <ul>
 *   <li>{@value #PRODUCER_KEY} — bytes per second each client id may produce to this node (or
 *       publish to this ingestion instance); default 0 = unlimited</li>
 *   <li>{@value #CONSUMER_KEY} — bytes per second each client id may fetch from this node;
 *       default 0 = unlimited</li>
 * </ul>
 * Each key is also read as {@code strata.<key>} (environment {@code STRATA_QUOTA_PRODUCER_DEFAULT}),
 * like every other Strata key; that form wins when both are set.
 *
 * @param producerByteRate bytes per second, 0 = unlimited
 * @param consumerByteRate bytes per second, 0 = unlimited
 */
public record QuotaDefaults(long producerByteRate, long consumerByteRate) {

    public static final String PRODUCER_KEY = "quota.producer.default";
    public static final String CONSUMER_KEY = "quota.consumer.default";

    /** No quota unless coordination sets one. */
    public static final QuotaDefaults UNLIMITED = new QuotaDefaults(0, 0);

    public QuotaDefaults {
        if (producerByteRate < 0) {
            throw new IllegalArgumentException(PRODUCER_KEY + "=" + producerByteRate + " must be >= 0 (0 = unlimited)");
        }
        if (consumerByteRate < 0) {
            throw new IllegalArgumentException(CONSUMER_KEY + "=" + consumerByteRate + " must be >= 0 (0 = unlimited)");
        }
    }

    /** Reads both keys (and their {@code strata.} forms) from {@code config}. */
    public static QuotaDefaults from(Config config) {
        return new QuotaDefaults(rate(config, PRODUCER_KEY), rate(config, CONSUMER_KEY));
    }

    private static long rate(Config config, String key) {
        Optional<String> raw = config.getOptionalValue("strata." + key, String.class)
                .or(() -> config.getOptionalValue(key, String.class))
                .map(String::trim).filter(s -> !s.isEmpty());
        if (raw.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(raw.get());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "='" + raw.get() + "' is not a whole number of bytes per second");
        }
    }

    /** The default of one type; 0 = unlimited. */
    public long rate(QuotaType type) {
        return type == QuotaType.PRODUCER ? producerByteRate : consumerByteRate;
    }
}
