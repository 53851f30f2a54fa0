package io.strata.cli;

import io.strata.cli.cluster.LocalCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code strata cluster down}: stops every process of a local cluster; its data stays. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "Stop every process `cluster up` started in DIR (storage first, etcd last). The data and "
                + "cluster.json stay: `cluster up` brings the same cluster back.")
final class ClusterDownCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The cluster's directory.")
    Path dir;

    @Override
    public Integer call() {
        List<String> stopped = new LocalCluster(dir, spec.commandLine().getErr()).down();
        PrintWriter out = spec.commandLine().getOut();
        out.println(stopped.isEmpty() ? "Strata cluster down: nothing was running"
                : "Strata cluster down: stopped " + String.join(", ", stopped));
        out.flush();
        return 0;
    }
}
