package io.strata.client.admin;

import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A topic to create.
 *
 * @param name              the topic name: 1..249 of {@code [a-zA-Z0-9._-]}, not "." or ".."
 * @param partitions        the partition count (at least 1), or empty for the cluster's {@code num.partitions}
 * @param replicationFactor replicas per partition (at least 1), or empty for the cluster's default
 * @param configs           topic-level config overrides ({@code retention.ms}, {@code max.message.bytes}, ...)
 */
public record NewTopic(String name, OptionalInt partitions, OptionalInt replicationFactor, Map<String, String> configs) {

    public NewTopic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(partitions, "partitions");
        Objects.requireNonNull(replicationFactor, "replicationFactor");
        configs = configs == null ? Map.of() : Map.copyOf(configs);
    }

    /** A topic with the given partition count and replication factor and no overrides. */
    public NewTopic(String name, int partitions, int replicationFactor) {
        this(name, OptionalInt.of(partitions), OptionalInt.of(replicationFactor), Map.of());
    }

    /** A topic with the given partition count, replication factor and config overrides. */
    public NewTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
        this(name, OptionalInt.of(partitions), OptionalInt.of(replicationFactor), configs);
    }

    /** A topic with the cluster's default partition count and replication factor. */
    public static NewTopic withDefaults(String name) {
        return new NewTopic(name, OptionalInt.empty(), OptionalInt.empty(), Map.of());
    }
}
