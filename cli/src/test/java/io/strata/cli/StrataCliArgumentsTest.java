package io.strata.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class StrataCliArgumentsTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private StrataCli cli(Map<String, String> env) {
        return new StrataCli(env, new ByteArrayInputStream(new byte[0]));
    }

    private ParseResult parse(StrataCli cli, String... args) {
        return cli.commandLine(new PrintWriter(out), new PrintWriter(err)).parseArgs(args);
    }

    @SuppressWarnings("unchecked")
    private static <T> T leaf(ParseResult result) {
        ParseResult r = result;
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return (T) r.commandSpec().userObject();
    }

    @Test
    void bootstrapBeforeTheSubcommandIsUsed() {
        StrataCli cli = cli(Map.of());
        parse(cli, "--bootstrap", "10.0.0.1:9999", "topic", "list");
        assertThat(cli.bootstrap()).isEqualTo("10.0.0.1:9999");
    }

    @Test
    void bootstrapAfterTheSubcommandIsUsedToo() {
        StrataCli cli = cli(Map.of());
        parse(cli, "topic", "describe", "orders", "--bootstrap", "10.0.0.2:9092");
        assertThat(cli.bootstrap()).isEqualTo("10.0.0.2:9092");
        StrataCli cli2 = cli(Map.of());
        parse(cli2, "consume", "t", "--bootstrap=10.0.0.3:9092", "--from-beginning");
        assertThat(cli2.bootstrap()).isEqualTo("10.0.0.3:9092");
    }

    @Test
    void bootstrapDefaultsToTheEnvironmentThenToLocalhost() {
        StrataCli fromEnv = cli(Map.of("STRATA_BOOTSTRAP", "envhost:7000"));
        parse(fromEnv, "topic", "list");
        assertThat(fromEnv.bootstrap()).isEqualTo("envhost:7000");

        StrataCli plain = cli(Map.of());
        parse(plain, "topic", "list");
        assertThat(plain.bootstrap()).isEqualTo("127.0.0.1:9092");

        StrataCli optionWins = cli(Map.of("STRATA_BOOTSTRAP", "envhost:7000"));
        parse(optionWins, "--bootstrap", "cli:1", "topic", "list");
        assertThat(optionWins.bootstrap()).isEqualTo("cli:1");
    }

    @Test
    void createTakesRepeatableConfigsAndOptionalCounts() {
        TopicCommand.Create create = leaf(parse(cli(Map.of()), "topic", "create", "orders", "--partitions", "3",
                "--replication-factor", "2", "--config", "retention.ms=1000", "--config", "cleanup.policy=delete",
                "--config", "x=a=b"));
        assertThat(create.name).isEqualTo("orders");
        assertThat(create.partitions).isEqualTo(3);
        assertThat(create.replicationFactor).isEqualTo(2);
        assertThat(create.configs).containsExactly(Map.entry("retention.ms", "1000"),
                Map.entry("cleanup.policy", "delete"), Map.entry("x", "a=b"));

        TopicCommand.Create defaults = leaf(parse(cli(Map.of()), "topic", "create", "t"));
        assertThat(defaults.partitions).isNull();
        assertThat(defaults.replicationFactor).isNull();
        assertThat(defaults.configs).isEmpty();
    }

    @Test
    void outputFormatIsParsedCaseInsensitively() {
        TopicCommand.Describe d = leaf(parse(cli(Map.of()), "topic", "describe", "t", "--output", "JSON"));
        assertThat(d.output).isEqualTo(OutputFormat.json);
        TopicCommand.ListTopics l = leaf(parse(cli(Map.of()), "topic", "list"));
        assertThat(l.output).isEqualTo(OutputFormat.text);
    }

    @Test
    void produceOptions() {
        ProduceCommand p = leaf(parse(cli(Map.of()), "produce", "t", "--key-separator", ":", "--acks", "1",
                "--compression", "lz4", "--linger-ms", "20", "--batch-size", "1000"));
        assertThat(p.topic).isEqualTo("t");
        assertThat(p.keySeparator).isEqualTo(":");
        assertThat(p.acks).isEqualTo("1");
        assertThat(p.compression).isEqualTo("lz4");
        assertThat(p.lingerMs).isEqualTo(20);
        assertThat(p.batchSize).isEqualTo(1000);

        ProduceCommand defaults = leaf(parse(cli(Map.of()), "produce", "t"));
        assertThat(defaults.acks).isEqualTo("all");
        assertThat(defaults.compression).isEqualTo("none");
        assertThat(defaults.keySeparator).isNull();
    }

    @Test
    void produceAckIsCommittedByDefaultAndSpooledNeedsIngestion() {
        ProduceCommand defaults = leaf(parse(cli(Map.of()), "produce", "t"));
        ProduceCommand spooled = leaf(parse(cli(Map.of()), "produce", "t", "--via", "ingestion", "--ack", "spooled"));
        assertThat(defaults.ack).isEqualTo(io.strata.client.ingestion.AckMode.COMMITTED);
        assertThat(spooled.ack).isEqualTo(io.strata.client.ingestion.AckMode.SPOOLED);

        assertThat(cli(Map.of()).execute(new String[] {"produce", "t", "--ack", "later"},
                new PrintWriter(out), new PrintWriter(err))).isEqualTo(2);
        assertThat(cli(Map.of()).execute(new String[] {"produce", "t", "--ack", "spooled"},
                new PrintWriter(out), new PrintWriter(err))).isEqualTo(2);
        assertThat(err.toString()).contains("expected committed or spooled").contains("--ack spooled needs --via ingestion");
    }

    @Test
    void consumeOptions() {
        ConsumeCommand c = leaf(parse(cli(Map.of()), "consume", "t", "--partition", "2", "--offset", "7",
                "--max-messages", "5", "--timeout-ms", "1000", "--output", "json"));
        assertThat(c.partition).isEqualTo(2);
        assertThat(c.offset).isEqualTo(7);
        assertThat(c.maxMessages).isEqualTo(5);
        assertThat(c.timeoutMs).isEqualTo(1000);
        assertThat(c.output).isEqualTo(OutputFormat.json);
    }

    @Test
    void offsetWithoutPartitionIsAUsageError() {
        int code = cli(Map.of()).execute(new String[] {"consume", "t", "--offset", "5"},
                new PrintWriter(out), new PrintWriter(err));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--offset requires --partition");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void groupTakesPartitionsAndOffsetsFromTheGroupSoPartitionIsAUsageError() {
        int code = cli(Map.of()).execute(new String[] {"consume", "t", "--group", "g", "--partition", "1"},
                new PrintWriter(out), new PrintWriter(err));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--group takes its partitions and offsets from the group");
    }

    @Test
    void resetOffsetsNeedsExactlyOneTarget() {
        assertThat(cli(Map.of()).execute(new String[] {"group", "reset-offsets", "g", "--topic", "t"},
                new PrintWriter(out), new PrintWriter(err))).isEqualTo(2);
        assertThat(cli(Map.of()).execute(new String[] {"group", "reset-offsets", "g", "--topic", "t", "--to-earliest",
                "--to-latest"}, new PrintWriter(out), new PrintWriter(err))).isEqualTo(2);
        assertThat(err.toString()).contains("mutually exclusive");
    }

    @Test
    void conflictingStartOptionsAreAUsageError() {
        int code = cli(Map.of()).execute(new String[] {"consume", "t", "--from-beginning", "--from-time", "5"},
                new PrintWriter(out), new PrintWriter(err));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("mutually exclusive");
    }

    @Test
    void badAcksAndCompressionAreUsageErrors() {
        assertThat(cli(Map.of()).execute(new String[] {"produce", "t", "--acks", "2"},
                new PrintWriter(out), new PrintWriter(err))).isEqualTo(2);
        assertThat(cli(Map.of()).execute(new String[] {"produce", "t", "--compression", "gzip"},
                new PrintWriter(out), new PrintWriter(err))).isEqualTo(2);
        assertThat(err.toString()).contains("--acks").contains("--compression");
    }

    @Test
    void topicReassignTakesTheReplicaListOrCancel() {
        TopicCommand.Reassign r = leaf(parse(cli(Map.of()), "topic", "reassign", "orders", "--partition", "2", "--replicas", "4,1,2",
                "-o", "json"));
        assertThat(r.name).isEqualTo("orders");
        assertThat(r.partition).isEqualTo(2);
        assertThat(r.target()).containsExactly(4, 1, 2);
        assertThat(r.output).isEqualTo(OutputFormat.json);
        TopicCommand.Reassign cancel = leaf(parse(cli(Map.of()), "topic", "reassign", "orders", "--partition", "0", "--cancel"));
        assertThat(cancel.target()).isEmpty();
        assertThat(cancel.output).isEqualTo(OutputFormat.text);
    }

    @Test
    void topicReassignNeedsAPartitionAndExactlyOneOfReplicasAndCancel() {
        assertThat(cli(Map.of()).execute(new String[] {"topic", "reassign", "orders", "--replicas", "1,2"},
                new PrintWriter(out), new PrintWriter(err))).isEqualTo(2);
        assertThat(err.toString()).contains("--partition");
        assertThat(cli(Map.of()).execute(new String[] {"topic", "reassign", "orders", "--partition", "0"},
                new PrintWriter(out), new PrintWriter(err))).isEqualTo(2);
        assertThat(cli(Map.of()).execute(new String[] {"topic", "reassign", "orders", "--partition", "0", "--replicas", "1",
                "--cancel"}, new PrintWriter(out), new PrintWriter(err))).isEqualTo(2);
        assertThat(err.toString()).contains("exactly one");
        assertThat(cli(Map.of()).execute(new String[] {"topic", "reassign", "orders", "--partition", "0", "--replicas", "1,x"},
                new PrintWriter(out), new PrintWriter(err))).isEqualTo(2);
    }

    @Test
    void unknownSubcommandAndMissingArgumentsAreUsageErrors() {
        assertThat(cli(Map.of()).execute(new String[] {"frobnicate"}, new PrintWriter(out), new PrintWriter(err)))
                .isEqualTo(2);
        assertThat(cli(Map.of()).execute(new String[] {"topic", "create"}, new PrintWriter(out), new PrintWriter(err)))
                .isEqualTo(2);
        assertThat(cli(Map.of()).execute(new String[] {"topic"}, new PrintWriter(out), new PrintWriter(err)))
                .isEqualTo(2);
    }

    @Test
    void unreachableServerIsOneErrorLineAndExitCodeOne() throws Exception {
        int freePort;
        try (ServerSocket s = new ServerSocket(0)) {
            freePort = s.getLocalPort();
        }
        int code = cli(Map.of()).execute(new String[] {"--bootstrap", "127.0.0.1:" + freePort, "topic", "list",
                "--output", "json"}, new PrintWriter(out), new PrintWriter(err));
        assertThat(code).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().strip()).startsWith("Error: ").endsWith("(UNAVAILABLE)")
                .contains("127.0.0.1:" + freePort).doesNotContain("\n");
    }

    @Test
    void helpExitsZero() {
        assertThat(cli(Map.of()).execute(new String[] {"--help"}, new PrintWriter(out), new PrintWriter(err)))
                .isZero();
        assertThat(out.toString()).contains("topic").contains("produce").contains("consume");
        assertThat(CommandLine.ExitCode.OK).isZero();
    }
}
