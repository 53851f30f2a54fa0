package io.strata.cli;

import io.strata.cli.cluster.LocalCluster;
import io.strata.cli.cluster.ManagedProcess;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code strata cluster kill}: SIGKILL to one process of a local cluster, as a crash would. */
@Command(name = "kill", mixinStandardHelpOptions = true,
        description = {"Kill one process of the cluster in DIR with SIGKILL (kill -9: no clean shutdown) and wait until it is gone.",
                "NODE is a storage node id as `topic describe` shows it (2), or a process name as cluster.json has it "
                        + "(storage-2, replication-1, groups-1, coordination-1, ingestion-1, etcd-1).",
                "Exit 0 once it is gone, or at once when it was not running (said on stderr); 1 for an unknown NODE."})
final class ClusterKillCommand implements Callable<Integer> {

    /** How long kill waits for the process to be gone after SIGKILL. */
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE", description = "A storage node id or a process name.")
    String node;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The cluster's directory.")
    Path dir;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        LocalCluster cluster = new LocalCluster(dir, err);
        Optional<ManagedProcess> killed = cluster.kill(node, EXIT_TIMEOUT);
        if (killed.isEmpty()) {
            ManagedProcess p = cluster.manifest().process(node);
            err.println(p.name() + " is not running" + (p.pid() > 0 ? " (last pid " + p.pid() + ")" : "") + ": nothing to kill");
            err.flush();
            return 0;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("Strata cluster kill: killed " + killed.get().name() + " (pid " + killed.get().pid() + ")");
        out.flush();
        return 0;
    }
}
