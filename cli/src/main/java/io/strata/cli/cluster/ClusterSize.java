package io.strata.cli.cluster;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How many processes of each role {@code cluster up} wants; an empty count was not asked for. Counts
 * only grow an existing cluster: fewer than it has leaves the extra processes in place (storage nodes
 * refuse to shrink: they hold data). A count not asked for is, for a new cluster, the role's default;
 * for an existing one, what it was planned with ({@link ClusterManifest#roleCounts()}), or the
 * default when its cluster.json predates that record.
 *
 * @param storage      storage nodes; empty: {@value #DEFAULT_STORAGE_NODES} for a new cluster, as many as it has for an existing one
 * @param coordination coordination instances, all on the same etcd (default 1)
 * @param replication  replication controllers: one active, the others hot standbys (default 2)
 * @param groups       groups coordinators: one active, the others hot standbys (default 2)
 * @param ingestion    ingestion instances (default 1)
 */
public record ClusterSize(Optional<Integer> storage, Optional<Integer> coordination, Optional<Integer> replication,
                          Optional<Integer> groups, Optional<Integer> ingestion) {

    /** Storage nodes of a new cluster when none are asked for. */
    public static final int DEFAULT_STORAGE_NODES = 3;

    /** Processes of the other planned roles when none are asked for, in start order. */
    public static final Map<String, Integer> DEFAULT_ROLE_COUNTS = defaults();

    /** Nothing asked for: every role's default, or what an existing cluster has. */
    public static ClusterSize unspecified() {
        return new ClusterSize(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** The asked count of {@code role} (one of {@link #DEFAULT_ROLE_COUNTS}' keys). */
    public Optional<Integer> asked(String role) {
        return switch (role) {
            case ManagedProcess.COORDINATION -> coordination;
            case ManagedProcess.REPLICATION -> replication;
            case ManagedProcess.GROUPS -> groups;
            case ManagedProcess.INGESTION -> ingestion;
            default -> throw new IllegalArgumentException("no planned count for role " + role);
        };
    }

    private static Map<String, Integer> defaults() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put(ManagedProcess.COORDINATION, 1);
        m.put(ManagedProcess.REPLICATION, 2);
        m.put(ManagedProcess.GROUPS, 2);
        m.put(ManagedProcess.INGESTION, 1);
        return Collections.unmodifiableMap(m);
    }
}
