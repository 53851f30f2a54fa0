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
        Set<Integer> storage = Set.of();
        Set<String> ingestion = Set.of();
        Optional<String> error = Optional.empty();
        try {
            ClusterDescription d = metadata.get();
            storage = d.nodes().stream().map(NodeInfo::id).collect(Collectors.toSet());
            ingestion = Set.copyOf(d.ingestionEndpoints());
        } catch (RuntimeException e) {
            error = Optional.of(e.getMessage() != null ? e.getMessage() : e.toString());
        }
        HealthProbe health = new HealthProbe();
        Set<Integer> liveStorage = storage;
        Set<String> liveIngestion = ingestion;
        List<ProcessStatus> statuses = manifest.processes().stream().map(p -> {
            boolean alive = LocalProcesses.isAlive(p);
            Boolean registered = switch (p.role()) {
                case ManagedProcess.STORAGE -> liveStorage.contains(p.id());
                // An ingestion instance is registered under the address it advertises: 127.0.0.1:<grpc>.
                case ManagedProcess.INGESTION -> liveIngestion.contains("127.0.0.1:" + p.port("grpc"));
                default -> null;
            };
            return new ProcessStatus(p, alive, alive && health.isReady(p), registered);
        }).toList();
        return new ClusterStatus(manifest, statuses, error);
    }

    /** Every process alive and ready, and every registering one registered. */
    public boolean healthy() {
        return processes.stream().allMatch(s -> s.alive() && s.ready() && !Boolean.FALSE.equals(s.registered()));
    }
}
