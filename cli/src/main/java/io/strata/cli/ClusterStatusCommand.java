package io.strata.cli;

import io.strata.cli.cluster.ClusterManifest;
import io.strata.cli.cluster.ClusterStatus;
import io.strata.cli.cluster.LocalCluster;
import io.strata.client.CommonClientConfigs;
import io.strata.client.admin.StrataAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code strata cluster status}: each process of a local cluster, alive, ready and registered. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show each process of the cluster in DIR: alive (the process runs), ready (its health check "
                + "passes) and, for storage and ingestion, registered (its session lease is live).",
                "Exit code 0 when the status could be read, whatever it says."})
final class ClusterStatusCommand implements Callable<Integer> {

    /** How long status waits for coordination's answer before reporting nodes unregistered. */
    static final int METADATA_TIMEOUT_MS = 5_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The cluster's directory.")
    Path dir;

    @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
    OutputFormat output;

    @Override
    public Integer call() {
        ClusterManifest manifest = new LocalCluster(dir, spec.commandLine().getErr()).manifest();
        Map<String, Object> config = Clients.baseConfig(manifest.bootstrap());
        config.put(CommonClientConfigs.REQUEST_TIMEOUT_MS, METADATA_TIMEOUT_MS);
        ClusterStatus status;
        try (StrataAdmin admin = new StrataAdmin(config)) {
            status = ClusterStatus.probe(manifest, admin::clusterMetadata);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(output == OutputFormat.json ? JsonFormat.clusterStatus(status) + "\n" : TextFormat.clusterStatus(status));
        out.flush();
        return 0;
    }
}
