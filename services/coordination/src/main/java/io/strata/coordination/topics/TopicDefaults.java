package io.strata.coordination.topics;

import io.strata.proto.TopicConfigs;

import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * What the cluster fills in for a topic: partitions and replication factor when a create
 * request says 0, {@code min.insync.replicas} for a topic with three or more replicas, and
 * cluster-wide config defaults (e.g. {@code retention.ms} from {@code log.retention.hours})
 * under the topic's own overrides.
 *
 * <p>The two creation rules are safer than Kafka's defaults (replication factor 1,
 * {@code min.insync.replicas} 1), under which one lost disk loses acknowledged records:
 * <ul>
 *   <li>Without a configured {@code default.replication.factor}, a topic gets
 *       min({@value #MAX_AUTO_REPLICATION_FACTOR}, live storage nodes) replicas.</li>
 *   <li>A topic with at least {@value #SAFE_MIN_INSYNC_FROM_REPLICAS} replicas whose request sets no
 *       {@code min.insync.replicas} gets the override {@code min.insync.replicas=}{@value #SAFE_MIN_INSYNC_REPLICAS},
 *       unless the cluster default is already that high: an {@code acks=all} write then survives
 *       the loss of any one replica.</li>
 * </ul>
 *
 * @param numPartitions     partitions of a topic created with 0 partitions
 * @param replicationFactor the configured {@code default.replication.factor}; empty when the operator
 *                          set none, and then {@link #replicationFactorFor(int)} picks one
 * @param configs           cluster-wide defaults of topic configs
 */
public record TopicDefaults(int numPartitions, OptionalInt replicationFactor, Map<String, String> configs) {

    /** The replication factor chosen when none is configured, if there are that many live storage nodes. */
    public static final int MAX_AUTO_REPLICATION_FACTOR = 3;
    /** The {@code min.insync.replicas} a topic with at least {@value #SAFE_MIN_INSYNC_FROM_REPLICAS} replicas gets unless told otherwise. */
    public static final int SAFE_MIN_INSYNC_REPLICAS = 2;
    /** From this many replicas on, a topic gets {@value #SAFE_MIN_INSYNC_REPLICAS} as its {@code min.insync.replicas}. */
    public static final int SAFE_MIN_INSYNC_FROM_REPLICAS = 3;

    public TopicDefaults {
        configs = Map.copyOf(configs);
        if (numPartitions < 1 || replicationFactor.orElse(1) < 1) {
            throw new IllegalArgumentException("defaults must be at least 1: partitions " + numPartitions
                    + ", replication factor " + replicationFactor);
        }
    }

    /** Defaults with a configured replication factor. */
    public TopicDefaults(int numPartitions, int replicationFactor, Map<String, String> configs) {
        this(numPartitions, OptionalInt.of(replicationFactor), configs);
    }

    /** Whether a topic created without a replication factor gets one from the live node count. */
    public boolean replicationFactorChosenPerTopic() {
        return replicationFactor.isEmpty();
    }

    /**
     * The replication factor of a topic whose request gives none: the configured default as is,
     * else min({@value #MAX_AUTO_REPLICATION_FACTOR}, {@code liveStorageNodes}).
     */
    public int replicationFactorFor(int liveStorageNodes) {
        return replicationFactor.orElse(Math.max(1, Math.min(MAX_AUTO_REPLICATION_FACTOR, liveStorageNodes)));
    }

    /**
     * The overrides a new topic is stored with: {@code requested}, plus
     * {@code min.insync.replicas=}{@value #SAFE_MIN_INSYNC_REPLICAS} when the topic has at least
     * {@value #SAFE_MIN_INSYNC_FROM_REPLICAS} replicas, the request sets no {@code min.insync.replicas}
     * and the cluster default is below {@value #SAFE_MIN_INSYNC_REPLICAS}.
     */
    public Map<String, String> creationOverrides(int replicationFactor, Map<String, String> requested) {
        Map<String, String> overrides = new TreeMap<>(requested);
        if (replicationFactor >= SAFE_MIN_INSYNC_FROM_REPLICAS
                && !overrides.containsKey(TopicConfigs.MIN_INSYNC_REPLICAS)
                && TopicConfigs.longValue(effective(Map.of()), TopicConfigs.MIN_INSYNC_REPLICAS) < SAFE_MIN_INSYNC_REPLICAS) {
            overrides.put(TopicConfigs.MIN_INSYNC_REPLICAS, Integer.toString(SAFE_MIN_INSYNC_REPLICAS));
        }
        return overrides;
    }

    /** Every topic config key with its value for a topic with these overrides. */
    public Map<String, String> effective(Map<String, String> overrides) {
        return TopicConfigs.effective(overrides, configs);
    }
}
