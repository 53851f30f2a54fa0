package io.strata.cli.cluster;

/**
 * What {@code strata cluster status} reports of one process.
 *
 * @param process    the process as cluster.json records it
 * @param alive      the process runs
 * @param ready      its health endpoint says ready (false when not alive)
 * @param registered for roles that register: its session lease is live in the metadata store; null for others
 */
public record ProcessStatus(ManagedProcess process, boolean alive, boolean ready, Boolean registered) {
}
