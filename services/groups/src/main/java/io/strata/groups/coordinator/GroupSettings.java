package io.strata.groups.coordinator;

import java.time.Duration;

/**
 * The coordinator's limits and defaults (config {@code strata.groups.*}, docs/CONFIGURATION.md).
 *
 * @param defaultSessionTimeout  a member that sends none gets this one (10 s)
 * @param minSessionTimeout      smaller requests are refused with INVALID_REQUEST (Kafka's group.consumer.min.session.timeout.ms)
 * @param maxSessionTimeout      larger requests are refused with INVALID_REQUEST
 * @param heartbeatInterval      what stable members are told to heartbeat at
 * @param reconcilingHeartbeatInterval what members still converging are told (short, so a rebalance settles fast)
 * @param defaultRebalanceTimeout a member that sends none gets this one (300 s, Kafka's max.poll.interval.ms)
 * @param maxGroupSize           more members are refused (INVALID_REQUEST naming the limit)
 * @param defaultAssignor        "uniform" unless configured
 */
public record GroupSettings(Duration defaultSessionTimeout, Duration minSessionTimeout, Duration maxSessionTimeout,
                            Duration heartbeatInterval, Duration reconcilingHeartbeatInterval,
                            Duration defaultRebalanceTimeout, int maxGroupSize, String defaultAssignor) {

    /** The defaults the service starts with. */
    public static GroupSettings defaults() {
        return new GroupSettings(Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMinutes(5),
                Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMinutes(5), 1000, "uniform");
    }
}
