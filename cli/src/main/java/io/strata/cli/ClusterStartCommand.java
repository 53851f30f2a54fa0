package io.strata.cli;

import io.strata.cli.cluster.LocalCluster;
import io.strata.cli.cluster.ManagedProcess;
import io.strata.cli.cluster.RoleCommands;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code strata cluster start}: starts one process of a local cluster again. */
@Command(name = "start", mixinStandardHelpOptions = true,
        description = {"Start one process of the cluster in DIR again, as `cluster up` would: same ports, id, data and session "
                + "timeout; records its new pid in cluster.json and waits until it is ready.",
                "NODE is a storage node id as `topic describe` shows it (2), or a process name as cluster.json has it "
                        + "(storage-2, replication-1, groups-1, coordination-1, ingestion-1, etcd-1).",
                "Exit 0 once it is ready, or at once when it is running already (said on stderr); 1 for an unknown NODE or "
                        + "when it does not become ready (it is stopped again)."})
final class ClusterStartCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE", description = "A storage node id or a process name.")
    String node;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The cluster's directory.")
    Path dir;

    @Option(names = "--timeout-seconds", paramLabel = "S", defaultValue = "120",
            description = "How long to wait for it to be ready (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() {
        if (timeoutSeconds < 1) {
            throw new ParameterException(spec.commandLine(), "--timeout-seconds must be positive, got " + timeoutSeconds);
        }
        PrintWriter err = spec.commandLine().getErr();
        LocalCluster cluster = new LocalCluster(dir, err);
        Optional<ManagedProcess> started = cluster.start(node, () -> RoleCommands.discover(System.getenv("STRATA_JAVA_OPTS")),
                Duration.ofSeconds(timeoutSeconds));
        if (started.isEmpty()) {
            ManagedProcess p = cluster.manifest().process(node);
            err.println(p.name() + " is running already (pid " + p.pid() + "): nothing to start");
            err.flush();
            return 0;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("Strata cluster start: " + started.get().name() + " is ready (pid " + started.get().pid() + ")");
        out.flush();
        return 0;
    }
}
