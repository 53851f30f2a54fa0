package io.strata.cli;

import io.strata.cli.cluster.ClusterManifest;
import io.strata.cli.cluster.ClusterSize;
import io.strata.cli.cluster.LocalCluster;
import io.strata.cli.cluster.RoleCommands;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code strata cluster up}: starts (or completes) a local multi-process cluster in a directory. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Start a local cluster: etcd, coordination, storage nodes, replication controllers, groups coordinators and ingestion, "
                + "each its own process on 127.0.0.1, detached. Waits until all are ready, then writes DIR/cluster.json and exits.",
                "Run again on the same directory to restart processes that stopped (same ports, ids and data) "
                        + "or to add storage nodes."})
final class ClusterUpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The cluster's directory (data, logs, cluster.json).")
    Path dir;

    @Option(names = "--storage-nodes", paramLabel = "N", description = "Storage nodes (default 3 for a new cluster; "
            + "on an existing one, more adds nodes).")
    Integer storageNodes;

    @Option(names = "--coordination-nodes", paramLabel = "N",
            description = "Coordination instances, all serving the same etcd (default 1; an existing cluster keeps its count).")
    Integer coordinationNodes;

    @Option(names = "--replication-nodes", paramLabel = "N",
            description = "Replication controllers: one active, the others hot standbys (default 2; an existing cluster "
                    + "keeps its count).")
    Integer replicationNodes;

    @Option(names = "--groups-nodes", paramLabel = "N",
            description = "Consumer-group coordinators: one active, the others hot standbys (default 2; an existing cluster "
                    + "keeps its count).")
    Integer groupsNodes;

    @Option(names = "--ingestion-nodes", paramLabel = "N",
            description = "Ingestion instances, the front door for thin clients (default 1; an existing cluster keeps its count).")
    Integer ingestionNodes;

    @Option(names = "--session-timeout-ms", paramLabel = "MS",
            description = "Storage nodes' session timeout, kept for later restarts (default 6000).")
    Long sessionTimeoutMs;

    @Option(names = "--timeout-seconds", paramLabel = "S", defaultValue = "120",
            description = "How long to wait for each role to be ready (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() {
        if (storageNodes != null && (storageNodes < 1 || storageNodes > 64)) {
            throw new ParameterException(spec.commandLine(), "--storage-nodes must be 1..64, got " + storageNodes);
        }
        requireWithin("--coordination-nodes", coordinationNodes, 1);
        requireWithin("--replication-nodes", replicationNodes, 0);
        requireWithin("--groups-nodes", groupsNodes, 0);
        requireWithin("--ingestion-nodes", ingestionNodes, 0);
        if (sessionTimeoutMs != null && sessionTimeoutMs < 1000) {
            throw new ParameterException(spec.commandLine(), "--session-timeout-ms must be at least 1000, got " + sessionTimeoutMs);
        }
        if (timeoutSeconds < 1) {
            throw new ParameterException(spec.commandLine(), "--timeout-seconds must be positive, got " + timeoutSeconds);
        }
        PrintWriter err = spec.commandLine().getErr();
        LocalCluster cluster = new LocalCluster(dir, err);
        ClusterManifest m = cluster.up(new ClusterSize(Optional.ofNullable(storageNodes), Optional.ofNullable(coordinationNodes),
                        Optional.ofNullable(replicationNodes), Optional.ofNullable(groupsNodes), Optional.ofNullable(ingestionNodes)),
                Optional.ofNullable(sessionTimeoutMs), RoleCommands.discover(System.getenv("STRATA_JAVA_OPTS")),
                Duration.ofSeconds(timeoutSeconds));
        PrintWriter out = spec.commandLine().getOut();
        out.println("Strata cluster up: bootstrap " + m.bootstrap() + " (" + m.processes().size() + " processes; "
                + dir.toAbsolutePath().normalize().resolve(ClusterManifest.FILE_NAME) + ")");
        out.flush();
        return 0;
    }

    /** A role count, when given, must be {@code min}..8. */
    private void requireWithin(String option, Integer count, int min) {
        if (count != null && (count < min || count > 8)) {
            throw new ParameterException(spec.commandLine(), option + " must be " + min + ".." + 8 + ", got " + count);
        }
    }
}
