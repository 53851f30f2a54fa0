package io.strata.replication.rules;

import io.strata.proto.TopicConfigs;

import java.util.HashMap;
import java.util.Map;

/**
 * What the controller reads of a topic's effective config (the cluster defaults overlaid with the
 * topic's overrides): {@code min.insync.replicas} and {@code unclean.leader.election.enable}.
 * A missing or unparsable value takes Kafka's default (1, false): coordination validates configs
 * when they are written, so that only guards against a value this version does not know.
 */
public record TopicPolicy(int minIsr, boolean uncleanElection) {

    public static final TopicPolicy DEFAULT = new TopicPolicy(1, false);

    public static TopicPolicy of(Map<String, String> defaults, Map<String, String> overrides) {
        Map<String, String> effective = new HashMap<>(defaults);
        effective.putAll(overrides);
        return of(effective);
    }

    public static TopicPolicy of(Map<String, String> effective) {
        int minIsr;
        try {
            minIsr = Math.max(1, Integer.parseInt(effective.getOrDefault(TopicConfigs.MIN_INSYNC_REPLICAS, "1").trim()));
        } catch (NumberFormatException e) {
            minIsr = 1;
        }
        boolean unclean = "true".equalsIgnoreCase(effective.getOrDefault(TopicConfigs.UNCLEAN_LEADER_ELECTION_ENABLE, "false").trim());
        return new TopicPolicy(minIsr, unclean);
    }
}
