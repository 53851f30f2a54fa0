package io.strata.cli;

import io.strata.cli.cluster.LocalCluster;
import io.strata.client.admin.ClusterDescription;
import io.strata.client.admin.StrataAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code strata cluster}: the cluster id and its live storage nodes ({@code describe}, also what
 * {@code strata cluster} alone prints), and a local multi-process cluster: {@code up},
 * {@code down}, {@code status}, and {@code kill}/{@code start} of one process.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Describe the cluster, or run a local multi-process cluster (up, down, status, kill, start).",
        subcommands = {ClusterUpCommand.class, ClusterDownCommand.class, ClusterStatusCommand.class, ClusterKillCommand.class,
                ClusterStartCommand.class})
final class ClusterCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
    OutputFormat output;

    @Override
    public Integer call() {
        return describe(output);
    }

    @Command(name = "describe", mixinStandardHelpOptions = true, description = "Show the cluster id and live storage nodes.")
    int describe(@Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text or json.") OutputFormat format) {
        try (StrataAdmin admin = Clients.admin(StrataCli.of(spec).bootstrap())) {
            ClusterDescription c = admin.clusterMetadata();
            PrintWriter out = spec.commandLine().getOut();
            out.print(format == OutputFormat.json ? JsonFormat.cluster(c) + "\n" : TextFormat.cluster(c));
            out.flush();
            return 0;
        }
    }

    @Command(name = "bootstrap", mixinStandardHelpOptions = true,
            description = "Print the bootstrap address of the local cluster in DIR (for STRATA_BOOTSTRAP or --bootstrap).")
    int bootstrap(@Option(names = "--dir", required = true, paramLabel = "DIR", description = "The cluster's directory.")
                  Path dir) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(new LocalCluster(dir, spec.commandLine().getErr()).manifest().bootstrap());
        out.flush();
        return 0;
    }
}
