package io.strata.cli.perf;

import io.strata.cli.StrataCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code strata perf produce|consume}: load generators on the Java client, the analogues of
 * Kafka's {@code kafka-producer-perf-test} and {@code kafka-consumer-perf-test}, with the same
 * workload knobs and figures (records/s, MiB/s, latency percentiles), so the two systems can be
 * measured side by side ({@code bench/run-produce-bench.sh}).
 *
 * <p>Output contract: progress lines go to stderr every {@code --reporting-interval-ms}; the
 * results go to stdout, as Kafka-style text lines or, with {@code --output json}, as one JSON
 * object per line whose last line is the result (see {@link PerfResult}). Exit codes as every
 * {@code strata} command: 0 success, 1 an operation failed, 2 a usage error.
 */
@Command(name = "perf", mixinStandardHelpOptions = true,
        description = "Measure produce and consume throughput and latency (like Kafka's perf-test tools).",
        subcommands = {PerfProduceCommand.class, PerfConsumeCommand.class})
public final class PerfCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** {@code strata perf} alone: the usage, exit 2. */
    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("Error: name a subcommand: produce or consume");
        spec.commandLine().usage(err);
        err.flush();
        return 2;
    }

    /** The global {@code --bootstrap} (or its environment default) of the command line {@code spec} belongs to. */
    static String bootstrap(CommandSpec spec) {
        return ((StrataCli) spec.root().userObject()).bootstrap();
    }

    /**
     * A warning when this JVM compiles with C1 only ({@code -XX:TieredStopAtLevel=1}, what
     * {@code bin/strata} gives short commands for a fast start): the client then runs several
     * times slower than in a server JVM and the figures measure the JIT, not Strata.
     */
    static Optional<String> jitWarning() {
        try {
            var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            String level = hotspot.getVMOption("TieredStopAtLevel").getValue();
            if (Integer.parseInt(level) < 4) {
                return Optional.of("Warning: this JVM runs with -XX:TieredStopAtLevel=" + level
                        + " (no C2 JIT); the figures will be far below the client's. Run with"
                        + " STRATA_CLI_JAVA_OPTS='-XX:TieredStopAtLevel=4' (bin/strata), or a JVM without that flag.");
            }
        } catch (RuntimeException | LinkageError e) {
            // Not HotSpot, or the flag is unknown: nothing to say.
        }
        return Optional.empty();
    }
}
