package io.strata.cli;

import io.strata.client.StrataException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * The {@code strata} command line: topic administration, a console producer and a console
 * consumer on the Java client. {@code bin/strata} launches it.
 *
 * <p>Exit codes: 0 success, 1 an operation failed (one line {@code Error: <message> (<REASON>)}
 * on stderr), 2 a usage error. Only the requested output goes to stdout; logs go to stderr.
 */
@Command(name = "strata", mixinStandardHelpOptions = true, versionProvider = StrataCli.Version.class,
        description = "Strata command line: topics, consumer groups, quotas, producing and consuming.",
        subcommands = {TopicCommand.class, GroupCommand.class, QuotaCommand.class, ProduceCommand.class, ConsumeCommand.class, ClusterCommand.class, io.strata.cli.perf.PerfCommand.class})
public final class StrataCli {

    /** The environment variable giving the default bootstrap address. */
    public static final String BOOTSTRAP_ENV = "STRATA_BOOTSTRAP";
    /** The bootstrap address when neither the option nor the environment variable gives one. */
    public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

    private final Map<String, String> env;
    private final InputStream stdin;
    private String bootstrapOption;

    /**
     * @param env   the environment (for {@value #BOOTSTRAP_ENV})
     * @param stdin what {@code produce} reads
     */
    public StrataCli(Map<String, String> env, InputStream stdin) {
        this.env = Map.copyOf(env);
        this.stdin = stdin;
    }

    /** {@code --bootstrap}: accepted before or after the subcommand. */
    @Option(names = "--bootstrap", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT,
            description = "Coordination endpoint(s), comma-separated. Default: $" + BOOTSTRAP_ENV
                    + ", else " + DEFAULT_BOOTSTRAP + ".")
    void setBootstrap(String value) {
        if (value != null) {
            this.bootstrapOption = value;
        }
    }

    /** The bootstrap address: the option, else {@value #BOOTSTRAP_ENV}, else {@value #DEFAULT_BOOTSTRAP}. */
    public String bootstrap() {
        if (bootstrapOption != null && !bootstrapOption.isBlank()) {
            return bootstrapOption.trim();
        }
        String fromEnv = env.get(BOOTSTRAP_ENV);
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv.trim() : DEFAULT_BOOTSTRAP;
    }

    InputStream stdin() {
        return stdin;
    }

    /** The root command object of any command of this CLI. */
    static StrataCli of(CommandSpec spec) {
        return (StrataCli) spec.root().userObject();
    }

    /** A command line for this CLI writing to {@code out} and {@code err}, with Strata's error handling. */
    public CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(this);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setOverwrittenOptionsAllowed(true); // e.g. an alias with --bootstrap, overridden on the command line
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println(errorLine(e));
            commandLine.getErr().flush();
            return 1;
        });
        return cmd;
    }

    /** Runs the CLI; returns the exit code. */
    public int execute(String[] args, PrintWriter out, PrintWriter err) {
        try {
            return commandLine(out, err).execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** {@code Error: <message> (<REASON>)} for a failure. */
    static String errorLine(Throwable e) {
        if (e instanceof StrataException se) {
            return "Error: " + se.getMessage() + " (" + se.reasonName() + ")";
        }
        if (e instanceof IllegalArgumentException) {
            return "Error: " + e.getMessage() + " (INVALID_ARGUMENT)";
        }
        return "Error: " + (e.getMessage() != null ? e.getMessage() : e.toString()) + " ("
                + e.getClass().getSimpleName() + ")";
    }

    /** Entry point of {@code bin/strata}. */
    public static void main(String[] args) {
        quietLogging();
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), 1 << 16), false);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = new StrataCli(System.getenv(), System.in).execute(args, out, err);
        System.exit(code);
    }

    /** java.util.logging (gRPC, Netty, the client) at WARNING, to stderr only. */
    static void quietLogging() {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(Level.WARNING);
        java.util.logging.ConsoleHandler handler = new java.util.logging.ConsoleHandler(); // writes to System.err
        handler.setLevel(Level.WARNING);
        handler.setFormatter(new java.util.logging.SimpleFormatter() {
            @Override
            public String format(java.util.logging.LogRecord r) {
                String msg = formatMessage(r);
                return r.getLevel() + " [" + r.getLoggerName() + "] " + msg
                        + (r.getThrown() != null ? ": " + r.getThrown() : "") + System.lineSeparator();
            }
        });
        root.addHandler(handler);
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = StrataCli.class.getPackage().getImplementationVersion();
            return new String[] {"strata " + (v != null ? v : "0.1.0-SNAPSHOT")};
        }
    }
}
