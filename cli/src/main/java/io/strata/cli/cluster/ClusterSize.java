package io.strata.cli.cluster;

import java.util.Optional;

/**
 * How many processes of each role {@code cluster up} wants. Counts only grow an existing cluster:
 * fewer than it has leaves the extra processes in place (storage nodes refuse to shrink: they hold data).
 *
 * @param storage      storage nodes; empty: {@value #DEFAULT_STORAGE_NODES} for a new cluster, as many as it has for an existing one
 * @param coordination coordination instances, all on the same etcd
 * @param replication  replication controllers: one active, the others hot standbys
 * @param groups       groups coordinators: one active, the others hot standbys
 * @param ingestion    ingestion instances
 */
public record ClusterSize(Optional<Integer> storage, int coordination, int replication, int groups, int ingestion) {

    /** Storage nodes of a new cluster when none are asked for. */
    public static final int DEFAULT_STORAGE_NODES = 3;
}
