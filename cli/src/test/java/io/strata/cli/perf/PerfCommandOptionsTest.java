package io.strata.cli.perf;

import io.strata.cli.StrataCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Option parsing and validation of {@code strata perf}; nothing here needs a server. */
@Timeout(30)
class PerfCommandOptionsTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private StrataCli cli() {
        return new StrataCli(Map.of(), new ByteArrayInputStream(new byte[0]));
    }

    @SuppressWarnings("unchecked")
    private <T> T leaf(StrataCli cli, String... args) {
        ParseResult r = cli.commandLine(new PrintWriter(out), new PrintWriter(err)).parseArgs(args);
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return (T) r.commandSpec().userObject();
    }

    private int execute(String... args) {
        return cli().execute(args, new PrintWriter(out), new PrintWriter(err));
    }

    @Test
    void produceTakesKafkasWorkloadKnobs() {
        StrataCli cli = cli();
        PerfProduceCommand p = leaf(cli, "--bootstrap", "10.0.0.1:9", "perf", "produce", "--topic", "t",
                "--records", "5000000", "--record-size", "100", "--acks", "all", "--compression", "lz4",
                "--batch-size", "65536", "--linger-ms", "5", "--throughput", "-1", "--warmup-records", "1000000",
                "--client-id", "me", "--producer-props", "buffer.memory=67108864", "max.request.size=2097152",
                "--output", "json");
        p.validate();
        assertThat(p.via).isEqualTo(PerfProduceCommand.Via.direct);
        assertThat(p.producerProps).containsEntry("buffer.memory", "67108864")
                .containsEntry("max.request.size", "2097152");
        Map<String, Object> config = p.producerConfig(cli.bootstrap());
        assertThat(config).containsEntry("bootstrap.servers", "10.0.0.1:9").containsEntry("acks", "all")
                .containsEntry("compression.type", "lz4").containsEntry("batch.size", "65536")
                .containsEntry("linger.ms", "5").containsEntry("client.id", "me")
                .containsEntry("buffer.memory", "67108864");
    }

    @Test
    void produceDefaultsLeaveTheClientsDefaultsAlone() {
        StrataCli cli = cli();
        PerfProduceCommand p = leaf(cli, "perf", "produce", "--topic", "t", "--records", "10");
        p.validate();
        assertThat(p.recordSize).isEqualTo(100);
        assertThat(p.throughput).isEqualTo(-1);
        assertThat(p.warmupRecords).isZero();
        assertThat(p.reportingIntervalMs).isEqualTo(5000);
        assertThat(p.producerConfig(cli.bootstrap())).containsOnlyKeys("bootstrap.servers", "client.id")
                .containsEntry("client.id", PerfProduceCommand.DEFAULT_CLIENT_ID)
                .containsEntry("bootstrap.servers", "127.0.0.1:9092");
    }

    @Test
    void produceRefusesBadValues() {
        String[][] bad = {
                {"--records", "0"},
                {"--records", "10", "--record-size", "-1"},
                {"--records", "10", "--acks", "2"},
                {"--records", "10", "--compression", "zstd"},
                {"--records", "10", "--throughput", "0"},
                {"--records", "10", "--throughput", "-2"},
                {"--records", "10", "--warmup-records", "10"},
                {"--records", "10", "--warmup-records", "-1"},
                {"--records", "10", "--linger-ms", "-1"},
                {"--records", "10", "--batch-size", "-1"},
                {"--records", "10", "--reporting-interval-ms", "-5"},
        };
        for (String[] args : bad) {
            String[] all = new String[args.length + 4];
            all[0] = "perf";
            all[1] = "produce";
            all[2] = "--topic";
            all[3] = "t";
            System.arraycopy(args, 0, all, 4, args.length);
            PerfProduceCommand p = leaf(cli(), all);
            assertThatThrownBy(p::validate).as(String.join(" ", args))
                    .isInstanceOf(CommandLine.ParameterException.class);
        }
    }

    @Test
    void aConflictBetweenAnOptionAndAPropIsAUsageError() {
        StrataCli cli = cli();
        PerfProduceCommand p = leaf(cli, "perf", "produce", "--topic", "t", "--records", "10", "--acks", "1",
                "--producer-props", "acks=all");
        assertThatThrownBy(() -> p.producerConfig(cli.bootstrap()))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--acks 1 conflicts with --producer-props acks=all");
        assertThat(execute("perf", "produce", "--topic", "t", "--records", "10", "--acks", "1",
                "--producer-props", "acks=all")).isEqualTo(2);
    }

    @Test
    void viaIngestionRefusesTheProducerSettingsThatBelongToTheIngestionService() {
        int code = execute("perf", "produce", "--topic", "t", "--records", "10", "--via", "ingestion", "--compression", "lz4");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--via ingestion: --compression, --batch-size, --linger-ms and --producer-props"
                + " are the ingestion service's settings");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void requestShapeOptionsMustBePositive() {
        assertThat(execute("perf", "produce", "--topic", "t", "--records", "10", "--via", "ingestion",
                "--records-per-request", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--records-per-request and --requests-in-flight must be >= 1");
    }

    @Test
    void missingRequiredOptionsAndABareperfAreUsageErrors() {
        assertThat(execute("perf", "produce", "--records", "10")).isEqualTo(2);
        assertThat(execute("perf", "produce", "--topic", "t")).isEqualTo(2);
        assertThat(execute("perf", "consume")).isEqualTo(2);
        assertThat(execute("perf")).isEqualTo(2);
        assertThat(err.toString()).contains("name a subcommand");
    }

    @Test
    void consumeTakesItsOptions() {
        StrataCli cli = cli();
        PerfConsumeCommand c = leaf(cli, "perf", "consume", "--topic", "t", "--records", "5000000",
                "--timeout-ms", "30000", "--client-id", "c1", "--consumer-props", "max.poll.records=1000",
                "--output", "json", "--bootstrap", "h:2");
        c.validate();
        assertThat(c.records).isEqualTo(5_000_000L);
        assertThat(c.consumerConfig(cli.bootstrap())).containsEntry("bootstrap.servers", "h:2")
                .containsEntry("client.id", "c1").containsEntry("max.poll.records", "1000");
    }

    @Test
    void consumeDefaultsAndBadValues() {
        PerfConsumeCommand c = leaf(cli(), "perf", "consume", "--topic", "t");
        c.validate();
        assertThat(c.records).isNull();
        assertThat(c.timeoutMs).isEqualTo(10_000);
        PerfConsumeCommand zero = leaf(cli(), "perf", "consume", "--topic", "t", "--records", "0");
        assertThatThrownBy(zero::validate).isInstanceOf(CommandLine.ParameterException.class);
        PerfConsumeCommand noTimeout = leaf(cli(), "perf", "consume", "--topic", "t", "--timeout-ms", "0");
        assertThatThrownBy(noTimeout::validate).isInstanceOf(CommandLine.ParameterException.class);
    }

    @Test
    void consumeGroupModeSubscribesFromTheBeginningAndAutoCommitsLikeKafkasTool() {
        StrataCli cli = cli();
        PerfConsumeCommand c = leaf(cli, "perf", "consume", "--topic", "t", "--group", "g1", "--records", "10");
        c.validate();
        assertThat(c.commit).isFalse();
        assertThat(c.consumerConfig(cli.bootstrap())).containsEntry("group.id", "g1")
                .containsEntry("auto.offset.reset", "earliest").containsEntry("enable.auto.commit", "true")
                .containsEntry("client.id", PerfConsumeCommand.DEFAULT_CLIENT_ID);
        PerfConsumeCommand assign = leaf(cli(), "perf", "consume", "--topic", "t");
        assertThat(assign.group).isNull();
        assertThat(assign.consumerConfig("h:1")).doesNotContainKeys("group.id", "auto.offset.reset", "enable.auto.commit");
    }

    @Test
    void consumeCommitTurnsAutoCommitOffAndNeedsAGroup() {
        StrataCli cli = cli();
        PerfConsumeCommand c = leaf(cli, "perf", "consume", "--topic", "t", "--group", "g1", "--commit",
                "--consumer-props", "auto.offset.reset=latest", "auto.commit.interval.ms=1000");
        c.validate();
        assertThat(c.consumerConfig(cli.bootstrap())).containsEntry("enable.auto.commit", "false")
                .containsEntry("auto.offset.reset", "latest").containsEntry("auto.commit.interval.ms", "1000");

        PerfConsumeCommand noGroup = leaf(cli(), "perf", "consume", "--topic", "t", "--commit");
        assertThatThrownBy(noGroup::validate).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--commit needs --group");
        PerfConsumeCommand blank = leaf(cli(), "perf", "consume", "--topic", "t", "--group", " ");
        assertThatThrownBy(blank::validate).isInstanceOf(CommandLine.ParameterException.class);

        PerfConsumeCommand contradicted = leaf(cli(), "perf", "consume", "--topic", "t", "--group", "g", "--commit",
                "--consumer-props", "enable.auto.commit=true");
        assertThatThrownBy(() -> contradicted.consumerConfig("h:1")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--commit").hasMessageContaining("enable.auto.commit=true");
        PerfConsumeCommand twoGroups = leaf(cli(), "perf", "consume", "--topic", "t", "--group", "g",
                "--consumer-props", "group.id=other");
        assertThatThrownBy(() -> twoGroups.consumerConfig("h:1")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--group g conflicts with --consumer-props group.id=other");
        PerfConsumeCommand autoCommitOff = leaf(cli(), "perf", "consume", "--topic", "t", "--group", "g",
                "--consumer-props", "enable.auto.commit=false");
        assertThat(autoCommitOff.consumerConfig("h:1")).containsEntry("enable.auto.commit", "false");

        assertThat(execute("perf", "consume", "--topic", "t", "--commit")).isEqualTo(2);
        assertThat(err.toString()).contains("--commit needs --group");
    }

    @Test
    void helpDocumentsTheLatencyDefinitionAndTheJsonShape() {
        assertThat(execute("perf", "produce", "--help")).isZero();
        assertThat(out.toString().replaceAll("\\s+", " ")).contains("from just before send() to its acknowledgement")
                .contains("\"p999\"").contains("mb_per_sec is MiB/s");
        assertThat(execute("perf", "consume", "--help")).isZero();
        assertThat(out.toString().replaceAll("\\s+", " ")).contains("No latency is reported")
                .contains("--group").contains("the join (subscribe to the first assignment with partitions)");
    }
}
