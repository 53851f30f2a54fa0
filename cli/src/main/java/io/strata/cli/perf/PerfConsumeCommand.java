package io.strata.cli.perf;

import io.strata.cli.OutputFormat;
import io.strata.client.PartitionInfo;
import io.strata.client.TopicPartition;
import io.strata.client.consumer.ConsumerConfig;
import io.strata.client.consumer.ConsumerRebalanceListener;
import io.strata.client.consumer.ConsumerRecord;
import io.strata.client.consumer.OffsetAndMetadata;
import io.strata.client.consumer.OffsetCommitCallback;
import io.strata.client.consumer.StrataConsumer;
import io.strata.client.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code strata perf consume}: reads a topic from the beginning until {@code --records} records
 * arrived or none arrived for {@code --timeout-ms}, then prints records/s and MiB/s. The analogue
 * of Kafka's {@code kafka-consumer-perf-test} (ConsumerPerformance). Two modes:
 *
 * <ul>
 *   <li><b>assign</b> (default): every partition assigned and sought to its beginning; the start
 *       offsets are resolved before the clock starts.</li>
 *   <li><b>group</b> ({@code --group G}): the consumer subscribes as a member of group G, as Kafka's
 *       tool always does; a fresh group starts at the beginning ({@code auto.offset.reset=earliest}).
 *       The clock runs only while the member owns partitions ({@link AssignedTimeClock}): the join —
 *       from just before {@code subscribe} to the first {@code onPartitionsAssigned} with partitions,
 *       i.e. the join heartbeat, the server's assignment and the member's reconciliation — is left
 *       out, and so is any later time without partitions, exactly Kafka's {@code fetch.time.ms}
 *       (elapsed − {@code rebalance.time.ms}). Counted, as in Kafka's: everything after the
 *       assignment, including the committed-offset read and the earliest-offset lookup that
 *       position the new partitions. Commits: none explicit; {@code enable.auto.commit} defaults to
 *       true here (Kafka's consumer default, which Kafka's tool keeps: it commits every
 *       {@code auto.commit.interval.ms} and on close), while Strata's client defaults to false.
 *       {@code --commit} instead calls {@code commitAsync} after every poll that returned records
 *       (auto-commit off).</li>
 * </ul>
 *
 * <p>No latency is reported: records read from a log written earlier have no meaningful
 * end-to-end latency, and a per-poll time mostly measures how full the client's buffer was.
 * Kafka's tool reports none either. Timing ends at the arrival of the last record counted, so an
 * idle time-out at the end is not part of the rate (Kafka's tool counts it when it ends that way).
 */
@Command(name = "consume", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Read a topic from the beginning; report records/s and MB/s.",
                "",
                "The analogue of Kafka's kafka-consumer-perf-test. Stops after --records records, or after"
                        + " --timeout-ms without a new record. MB/s means MiB/s of keys and values, as in Kafka's tool.",
                "",
                "Assign mode (default): every partition is assigned and read from its beginning; the start offsets"
                        + " are looked up before the clock starts.",
                "Group mode (--group G): the consumer subscribes as a member of group G, as Kafka's tool does (a"
                        + " fresh group starts at the beginning: auto.offset.reset=earliest). Like Kafka's tool, the"
                        + " time without partitions is not timed: the join (subscribe to the first assignment with"
                        + " partitions) and any later time in which the member owns none. The offset lookups after"
                        + " the assignment are timed. The consumer auto-commits as Kafka's consumer does by default"
                        + " (enable.auto.commit=true, every auto.commit.interval.ms); --commit commits with"
                        + " commitAsync after every poll instead.",
                "",
                "No latency is reported (Kafka's tool reports none either): records of a log written earlier"
                        + " have no meaningful end-to-end latency. The rate is timed to the arrival of the last"
                        + " record counted, so an idle time-out at the end is not part of it.",
                ""},
        footer = {"", "JSON output (--output json): one line,",
                "  {\"records\": N, \"records_per_sec\": R, \"mb_per_sec\": M}",
                "(perf produce's shape without latency_ms; mb_per_sec is MiB/s).",
                "Group mode also prints on stderr: 'Joined group G: N partitions after J ms (not timed)'.",
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
            description = "Stop after MS without a new record (in group mode counted from subscribe)."
                    + " Default: ${DEFAULT-VALUE} (as Kafka's tool).")
    long timeoutMs;

    @Option(names = "--group", paramLabel = "GROUP",
            description = "Group mode: subscribe as a member of GROUP (group.id) instead of assigning every partition."
                    + " The join is not timed. Use a fresh group to read from the beginning.")
    String group;

    @Option(names = "--commit",
            description = "With --group: commitAsync the positions after every poll that returned records, with"
                    + " auto-commit off. Default: no explicit commit; auto-commit on, as in Kafka's tool.")
    boolean commit;

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
        if (group != null && group.isBlank()) {
            throw new CommandLine.ParameterException(cmd, "--group must not be empty");
        }
        if (commit && group == null) {
            throw new CommandLine.ParameterException(cmd, "--commit needs --group (assign mode does not commit)");
        }
    }

    /**
     * The consumer's config. Group mode adds {@code group.id} (from {@code --group}) and, unless
     * {@code --consumer-props} sets them, {@code auto.offset.reset=earliest} and
     * {@code enable.auto.commit=true} (false with {@code --commit}, which must not be contradicted).
     */
    Map<String, Object> consumerConfig(String bootstrap) {
        Map<String, ClientProps.Named> named = new LinkedHashMap<>();
        if (clientId != null) {
            named.put(io.strata.client.CommonClientConfigs.CLIENT_ID, new ClientProps.Named("--client-id", clientId));
        }
        if (group != null) {
            named.put(ConsumerConfig.GROUP_ID, new ClientProps.Named("--group", group));
        }
        if (commit) {
            named.put(ConsumerConfig.ENABLE_AUTO_COMMIT, new ClientProps.Named("--commit (enable.auto.commit)", "false"));
        }
        Map<String, Object> config;
        try {
            config = ClientProps.merge(bootstrap, DEFAULT_CLIENT_ID, named, consumerProps, "--consumer-props");
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (group != null) {
            config.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET, "earliest");
            config.putIfAbsent(ConsumerConfig.ENABLE_AUTO_COMMIT, "true");
        }
        return config;
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
            result = group == null ? consumeAssigned(consumer, err) : consumeAsMember(consumer, err);
        }
        if (records != null && result.records() < records) {
            PerfProduceCommand.progress(err, "Warning: stopped after " + result.records() + " of " + records
                    + " records: none arrived for " + timeoutMs + " ms");
        }
        out.println(output == OutputFormat.json ? result.toJson() : result.toText("", "received"));
        out.flush();
        return 0;
    }

    private PerfResult consumeAssigned(StrataConsumer<byte[], byte[]> consumer, PrintWriter err) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(PartitionInfo::topicPartition).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        partitions.forEach(consumer::position); // resolve the start offsets before the clock starts
        PerfStats stats = new PerfStats("received", false, System::nanoTime,
                TimeUnit.MILLISECONDS.toNanos(reportingIntervalMs), line -> PerfProduceCommand.progress(err, line));
        return consume(consumer, stats, () -> { });
    }

    private PerfResult consumeAsMember(StrataConsumer<byte[], byte[]> consumer, PrintWriter err) {
        AssignedTimeClock clock = new AssignedTimeClock(System::nanoTime);
        Set<TopicPartition> owned = new HashSet<>();
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                owned.removeAll(partitions);
                clock.partitionsOwned(owned.size());
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                owned.addAll(partitions);
                boolean first = !clock.everAssigned();
                clock.partitionsOwned(owned.size());
                if (first && clock.everAssigned()) {
                    PerfProduceCommand.progress(err, String.format(Locale.ROOT,
                            "Joined group %s: %d partitions after %d ms (not timed)", group, owned.size(),
                            TimeUnit.NANOSECONDS.toMillis(clock.firstAssignmentNanos())));
                }
            }
        });
        // PerfStats reads the clock now: the measurement starts from the (stopped) clock's zero
        PerfStats stats = new PerfStats("received", false, clock,
                TimeUnit.MILLISECONDS.toNanos(reportingIntervalMs), line -> PerfProduceCommand.progress(err, line));
        CommitCounter commits = new CommitCounter();
        PerfResult result = consume(consumer, stats, commit ? commits.after(consumer) : () -> { });
        long firstJoin = clock.firstAssignmentNanos();
        long excluded = clock.excludedNanos();
        if (firstJoin < 0) {
            PerfProduceCommand.progress(err, "Warning: the member was never assigned partitions of " + topic);
        } else if (excluded > firstJoin + TimeUnit.MILLISECONDS.toNanos(1)) {
            PerfProduceCommand.progress(err, String.format(Locale.ROOT,
                    "Not timed: %d ms without partitions in all (join %d ms)", TimeUnit.NANOSECONDS.toMillis(excluded),
                    TimeUnit.NANOSECONDS.toMillis(firstJoin)));
        }
        if (commit) {
            PerfProduceCommand.progress(err, String.format(Locale.ROOT,
                    "commitAsync: %d sent, %d completed (%d failed) when the last record arrived",
                    commits.sent, commits.completed, commits.failed));
        }
        return result;
    }

    /** Counts the {@code --commit} commits; the callbacks run on the polling thread. */
    private static final class CommitCounter implements OffsetCommitCallback {
        long sent;
        long completed;
        long failed;

        /** What runs after each poll with records: one {@code commitAsync} of every position. */
        Runnable after(StrataConsumer<byte[], byte[]> consumer) {
            return () -> {
                consumer.commitAsync(this);
                sent++;
            };
        }

        @Override
        public void onComplete(Map<TopicPartition, OffsetAndMetadata> offsets, Exception exception) {
            completed++;
            if (exception != null) {
                failed++;
            }
        }
    }

    /**
     * Polls until the record limit or the idle time-out; {@code afterRecords} runs after every poll
     * that returned records (the {@code --commit} call).
     */
    private PerfResult consume(StrataConsumer<byte[], byte[]> consumer, PerfStats stats, Runnable afterRecords) {
        long limit = records == null ? Long.MAX_VALUE : records;
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
            afterRecords.run();
        }
        return stats.resultUntilLastRecord();
    }
}
