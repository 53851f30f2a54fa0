package io.strata.cli.cluster;

import io.strata.client.NodeInfo;
import io.strata.client.admin.ClusterDescription;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The state of every process of a local cluster: from the operating system (alive), the
 * process itself (ready) and coordination (registered: the live storage nodes of the metadata).
 *
 * @param manifest      the cluster.json it describes
 * @param processes     one entry per process, in cluster.json's order
 * @param metadataError why coordination could not be asked for the registered nodes, if it could not
 */
public record ClusterStatus(ClusterManifest manifest, List<ProcessStatus> processes, Optional<String> metadataError) {

    /** Probes every process of {@code manifest}; {@code metadata} asks coordination for the live nodes. */
    public static ClusterStatus probe(ClusterManifest manifest, Supplier<ClusterDescription> metadata) {
        Set<Integer> registered = Set.of();
        Optional<String> error = Optional.empty();
        try {
            registered = metadata.get().nodes().stream().map(NodeInfo::id).collect(Collectors.toSet());
        } catch (RuntimeException e) {
            error = Optional.of(e.getMessage() != null ? e.getMessage() : e.toString());
        }
        HealthProbe health = new HealthProbe();
        Set<Integer> live = registered;
        List<ProcessStatus> statuses = manifest.processes().stream().map(p -> {
            boolean alive = LocalProcesses.isAlive(p);
            return new ProcessStatus(p, alive, alive && health.isReady(p), p.registers() ? live.contains(p.id()) : null);
        }).toList();
        return new ClusterStatus(manifest, statuses, error);
    }

    /** Every process alive and ready, and every registering one registered. */
    public boolean healthy() {
        return processes.stream().allMatch(s -> s.alive() && s.ready() && !Boolean.FALSE.equals(s.registered()));
    }
}
