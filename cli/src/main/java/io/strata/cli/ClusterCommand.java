package io.strata.cli;

import io.strata.client.admin.ClusterDescription;
import io.strata.client.admin.StrataAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code strata cluster}: the cluster id and its live storage nodes. */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Show the cluster id and live storage nodes.")
final class ClusterCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
    OutputFormat output;

    @Override
    public Integer call() {
        try (StrataAdmin admin = Clients.admin(StrataCli.of(spec).bootstrap())) {
            ClusterDescription c = admin.clusterMetadata();
            PrintWriter out = spec.commandLine().getOut();
            out.print(output == OutputFormat.json ? JsonFormat.cluster(c) + "\n" : TextFormat.cluster(c));
            out.flush();
            return 0;
        }
    }
}
