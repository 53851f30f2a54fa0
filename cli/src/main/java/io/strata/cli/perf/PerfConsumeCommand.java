package io.strata.cli.perf;

import io.strata.cli.OutputFormat;
import io.strata.client.PartitionInfo;
import io.strata.client.TopicPartition;
import io.strata.client.consumer.ConsumerRecord;
import io.strata.client.consumer.StrataConsumer;
import io.strata.client.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code strata perf consume}: reads a topic from the beginning of every partition until
 * {@code --records} records arrived or none arrived for {@code --timeout-ms}, then prints
 * records/s and MiB/s. The analogue of Kafka's {@code kafka-consumer-perf-test}
 * (ConsumerPerformance) with a fresh group, which also starts at the beginning.
 *
 * <p>No latency is reported: records read from a log written earlier have no meaningful
 * end-to-end latency, and a per-poll time mostly measures how full the client's buffer was.
 * Kafka's tool reports none either. Timing runs from the first {@code poll} (after the
 * partitions' start offsets are resolved, as Kafka's excludes its group join) to the arrival of
 * the last record counted, so an idle time-out at the end is not part of the rate.
 */
@Command(name = "consume", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Read a topic from the beginning of every partition; report records/s and MB/s.",
                "",
                "The analogue of Kafka's kafka-consumer-perf-test (with a fresh group, which also starts at the"
                        + " beginning). Stops after --records records, or after --timeout-ms without a new record."
                        + " MB/s means MiB/s of keys and values, as in Kafka's tool.",
                "",
                "No latency is reported (Kafka's tool reports none either): records of a log written earlier"
                        + " have no meaningful end-to-end latency. The rate is timed from the first poll (the"
                        + " start offsets are looked up before) to the arrival of the last record counted, so an"
                        + " idle time-out at the end is not part of it.",
                ""},
        footer = {"", "JSON output (--output json): one line,",
                "  {\"records\": N, \"records_per_sec\": R, \"mb_per_sec\": M}",
                "(perf produce's shape without latency_ms; mb_per_sec is MiB/s).",
                "Exit codes: 0 done (also when the time-out ended it early: a warning on stderr says so),",
                "1 the server could not be used, 2 usage error."})
public final class PerfConsumeCommand implements Callable<Integer> {

    static final String DEFAULT_CLIENT_ID = "strata-perf-consumer";
    /** Longest single poll, so the idle time-out and progress lines are checked often. */
    private static final long MAX_POLL_MS = 500;

    @Spec
    CommandSpec spec;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic to read.")
    String topic;

    @Option(names = "--records", paramLabel = "N", description = "Stop after N records. Default: no limit.")
    Long records;

    @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "10000",
            description = "Stop after MS without a new record. Default: ${DEFAULT-VALUE} (as Kafka's tool).")
    long timeoutMs;

    @Option(names = "--client-id", paramLabel = "ID", description = "client.id. Default: " + DEFAULT_CLIENT_ID + ".")
    String clientId;

    @Option(names = "--consumer-props", arity = "1..*", paramLabel = "KEY=VALUE",
            description = "Consumer configs (Kafka's names, e.g. max.partition.fetch.bytes=1048576).")
    Map<String, String> consumerProps = new LinkedHashMap<>();

    @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text (one summary line) or json (one object).")
    OutputFormat output;

    @Option(names = "--reporting-interval-ms", paramLabel = "MS", defaultValue = "5000",
            description = "Progress line on stderr this often; 0 for none. Default: ${DEFAULT-VALUE}.")
    long reportingIntervalMs;

    /** Checks values picocli cannot. @throws CommandLine.ParameterException on misuse */
    void validate() {
        CommandLine cmd = spec.commandLine();
        if (records != null && records < 1) {
            throw new CommandLine.ParameterException(cmd, "--records must be >= 1, got " + records);
        }
        if (timeoutMs < 1) {
            throw new CommandLine.ParameterException(cmd, "--timeout-ms must be >= 1, got " + timeoutMs);
        }
        if (reportingIntervalMs < 0) {
            throw new CommandLine.ParameterException(cmd, "--reporting-interval-ms must be >= 0, got " + reportingIntervalMs);
        }
    }

    Map<String, Object> consumerConfig(String bootstrap) {
        Map<String, ClientProps.Named> named = new LinkedHashMap<>();
        if (clientId != null) {
            named.put(io.strata.client.CommonClientConfigs.CLIENT_ID, new ClientProps.Named("--client-id", clientId));
        }
        try {
            return ClientProps.merge(bootstrap, DEFAULT_CLIENT_ID, named, consumerProps, "--consumer-props");
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    @Override
    public Integer call() {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Object> config = consumerConfig(PerfCommand.bootstrap(spec));
        PerfCommand.jitWarning().ifPresent(w -> PerfProduceCommand.progress(err, w));
        StrataConsumer<byte[], byte[]> consumer;
        try {
            consumer = new StrataConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PerfResult result;
        try (consumer) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(PartitionInfo::topicPartition).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            partitions.forEach(consumer::position); // resolve the start offsets before the clock starts
            result = consume(consumer, err);
        }
        if (records != null && result.records() < records) {
            PerfProduceCommand.progress(err, "Warning: stopped after " + result.records() + " of " + records
                    + " records: none arrived for " + timeoutMs + " ms");
        }
        out.println(output == OutputFormat.json ? result.toJson() : result.toText("", "received"));
        out.flush();
        return 0;
    }

    private PerfResult consume(StrataConsumer<byte[], byte[]> consumer, PrintWriter err) {
        long limit = records == null ? Long.MAX_VALUE : records;
        PerfStats stats = new PerfStats("received", false, System::nanoTime,
                TimeUnit.MILLISECONDS.toNanos(reportingIntervalMs), line -> PerfProduceCommand.progress(err, line));
        long count = 0;
        long lastRecordAt = System.nanoTime();
        while (count < limit) {
            long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastRecordAt);
            if (idleMs >= timeoutMs) {
                break;
            }
            List<ConsumerRecord<byte[], byte[]>> polled =
                    consumer.poll(Duration.ofMillis(Math.max(1, Math.min(MAX_POLL_MS, timeoutMs - idleMs))));
            if (polled.isEmpty()) {
                stats.tick();
                continue;
            }
            int n = (int) Math.min(polled.size(), limit - count);
            long bytes = 0;
            for (int i = 0; i < n; i++) {
                ConsumerRecord<byte[], byte[]> r = polled.get(i);
                bytes += (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
            }
            count += n;
            stats.recordMany(n, bytes);
            lastRecordAt = System.nanoTime();
        }
        return stats.resultUntilLastRecord();
    }
}
