package io.strata.cli;

import io.strata.client.PartitionInfo;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.admin.StrataAdmin;
import io.strata.client.admin.TopicDescription;
import io.strata.client.consumer.ConsumerConfig;
import io.strata.client.consumer.ConsumerRebalanceListener;
import io.strata.client.consumer.ConsumerRecord;
import io.strata.client.consumer.OffsetAndMetadata;
import io.strata.client.consumer.OffsetAndTimestamp;
import io.strata.client.consumer.StrataConsumer;
import io.strata.client.serialization.ByteArrayDeserializer;
import io.strata.proto.v1.ErrorCode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code strata consume TOPIC}: prints records as they arrive. Starts at the end of every
 * partition unless told otherwise; stops after {@code --max-messages}, after
 * {@code --timeout-ms} without a new record, or on Ctrl-C (exit 0 in all three cases).
 *
 * <p>With {@code --group G} it is a member of consumer group G: it reads the partitions the group
 * gives it, starting from the group's committed offsets ({@code --from-beginning}: from the start
 * where the group has none), and commits what it has printed — after each batch it prints, before
 * a partition it is losing is released, and when it stops (also on SIGTERM), then leaves the group.
 */
@Command(name = "consume", mixinStandardHelpOptions = true, description = "Print the records of TOPIC.")
final class ConsumeCommand implements Callable<Integer> {

    /** Longest single poll, so that stop conditions are checked often. */
    private static final long MAX_POLL_MS = 500;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to read.")
    String topic;

    @Option(names = "--from-beginning", description = "Start at the beginning of the log (with --group: where the "
            + "group has no committed offset).")
    boolean fromBeginning;

    @Option(names = "--group", paramLabel = "G", description = "Consume as a member of consumer group G: share the "
            + "partitions with its other members, start from its committed offsets, commit what is printed.")
    String group;

    @Option(names = "--partition", paramLabel = "P", description = "Read only partition P.")
    Integer partition;

    @Option(names = "--offset", paramLabel = "N", description = "Start at offset N (requires --partition).")
    Long offset;

    @Option(names = "--from-time", paramLabel = "EPOCH_MS",
            description = "Start at the first record with a timestamp at or after EPOCH_MS.")
    Long fromTime;

    @Option(names = "--max-messages", paramLabel = "N", description = "Exit after N records.")
    Long maxMessages;

    @Option(names = "--timeout-ms", paramLabel = "T", description = "Exit after T ms without a new record.")
    Long timeoutMs;

    @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text (the value per line) or json (one object per line).")
    OutputFormat output;

    @Option(names = "--print-key", description = "With text output, print KEY<TAB>VALUE.")
    boolean printKey;

    @Option(names = "--consumer-property", paramLabel = "KEY=VALUE", description = "Any consumer config; repeatable.")
    Map<String, String> consumerProperties = new LinkedHashMap<>();

    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile StrataConsumer<byte[], byte[]> running;
    /** With --group: the next offset to commit per partition, i.e. one past the last record printed. */
    private PrintedOffsets printed;

    /** Checks the combinations picocli cannot express. @throws CommandLine.ParameterException on misuse */
    void validate() {
        CommandLine cmd = spec.commandLine();
        if (offset != null && partition == null) {
            throw new CommandLine.ParameterException(cmd, "--offset requires --partition");
        }
        int starts = (fromBeginning ? 1 : 0) + (offset != null ? 1 : 0) + (fromTime != null ? 1 : 0);
        if (starts > 1) {
            throw new CommandLine.ParameterException(cmd,
                    "--from-beginning, --offset and --from-time are mutually exclusive");
        }
        if (group != null && (partition != null || offset != null || fromTime != null)) {
            throw new CommandLine.ParameterException(cmd,
                    "--group takes its partitions and offsets from the group: --partition, --offset and --from-time do not apply");
        }
        if (group != null && group.isBlank()) {
            throw new CommandLine.ParameterException(cmd, "--group must not be empty");
        }
        if (offset != null && offset < 0) {
            throw new CommandLine.ParameterException(cmd, "--offset must be >= 0");
        }
        if (partition != null && partition < 0) {
            throw new CommandLine.ParameterException(cmd, "--partition must be >= 0");
        }
        if (maxMessages != null && maxMessages < 1) {
            throw new CommandLine.ParameterException(cmd, "--max-messages must be >= 1");
        }
        if (timeoutMs != null && timeoutMs < 0) {
            throw new CommandLine.ParameterException(cmd, "--timeout-ms must be >= 0");
        }
        if (fromTime != null && fromTime < 0) {
            throw new CommandLine.ParameterException(cmd, "--from-time must be >= 0");
        }
    }

    @Override
    public Integer call() {
        validate();
        StrataCli cli = StrataCli.of(spec);
        PrintWriter out = spec.commandLine().getOut();
        if (group != null) {
            return consumeAsGroupMember(cli.bootstrap(), out);
        }
        List<TopicPartition> partitions = partitionsToRead(cli.bootstrap());

        Map<String, Object> config = Clients.baseConfig(cli.bootstrap());
        // An explicit --offset outside the log is the user's mistake to hear about, not to paper
        // over by jumping to the end (what Kafka's console consumer does silently).
        config.put(ConsumerConfig.AUTO_OFFSET_RESET, offset != null ? "none" : "latest");
        config.putAll(consumerProperties);
        try (StrataConsumer<byte[], byte[]> consumer = new StrataConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            running = consumer;
            Interrupts.onInterrupt(this::stop);
            consumer.assign(partitions);
            position(consumer, partitions);
            return loop(consumer, out);
        } finally {
            running = null;
        }
    }

    private int consumeAsGroupMember(String bootstrap, PrintWriter out) {
        Map<String, Object> config = Clients.baseConfig(bootstrap);
        config.put(ConsumerConfig.GROUP_ID, group);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET, fromBeginning ? "earliest" : "latest");
        config.putAll(consumerProperties);
        try (StrataConsumer<byte[], byte[]> consumer = new StrataConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            running = consumer;
            Interrupts.onInterrupt(this::stop);
            Interrupts.onTerminate(this::stop);
            printed = new PrintedOffsets(consumer, out);
            consumer.subscribe(List.of(topic), printed);
            int exit = loop(consumer, out);
            printed.commitAll();
            return exit;
        } finally {
            running = null;
            printed = null;
        }
    }

    /** Stops the loop (Ctrl-C); the command then exits 0. */
    void stop() {
        stopped.set(true);
        StrataConsumer<byte[], byte[]> c = running;
        if (c != null) {
            c.wakeup();
        }
    }

    private List<TopicPartition> partitionsToRead(String bootstrap) {
        TopicDescription d;
        try (StrataAdmin admin = Clients.admin(bootstrap)) {
            d = admin.describeTopic(topic);
        }
        if (partition != null) {
            if (partition >= d.partitions().size()) {
                throw new StrataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition " + partition + " of topic '"
                        + topic + "' does not exist (it has " + d.partitions().size() + ")");
            }
            return List.of(new TopicPartition(topic, partition));
        }
        return d.partitions().stream().map(PartitionInfo::topicPartition).toList();
    }

    private void position(StrataConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) {
        if (offset != null) {
            consumer.seek(partitions.get(0), offset);
        } else if (fromBeginning) {
            consumer.seekToBeginning(partitions);
        } else if (fromTime != null) {
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(tp -> query.put(tp, fromTime));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp at = found.get(tp);
                if (at == null) {
                    consumer.seekToEnd(List.of(tp));
                } else {
                    consumer.seek(tp, at.offset());
                }
            }
        } else {
            consumer.seekToEnd(partitions);
        }
        // Pin the start now, so records written while the loop starts are not skipped.
        partitions.forEach(consumer::position);
    }

    private int loop(StrataConsumer<byte[], byte[]> consumer, PrintWriter out) {
        long count = 0;
        long lastRecordAt = System.nanoTime();
        while (!stopped.get()) {
            long pollMs = MAX_POLL_MS;
            if (timeoutMs != null) {
                long idleMs = (System.nanoTime() - lastRecordAt) / 1_000_000;
                if (idleMs >= timeoutMs) {
                    return 0;
                }
                pollMs = Math.max(1, Math.min(pollMs, timeoutMs - idleMs));
            }
            List<ConsumerRecord<byte[], byte[]>> records = consumer.poll(Duration.ofMillis(pollMs));
            for (ConsumerRecord<byte[], byte[]> r : records) {
                out.println(format(r));
                if (printed != null) {
                    printed.printed(r);
                }
                count++;
                if (maxMessages != null && count >= maxMessages) {
                    out.flush();
                    return 0;
                }
            }
            if (!records.isEmpty()) {
                lastRecordAt = System.nanoTime();
                out.flush();
                if (out.checkError()) {
                    return 0; // stdout closed (e.g. piped into head)
                }
                if (printed != null) {
                    printed.commitAsync();
                }
            }
        }
        out.flush();
        return 0;
    }

    private String format(ConsumerRecord<byte[], byte[]> r) {
        if (output == OutputFormat.json) {
            return JsonFormat.record(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value());
        }
        String value = r.value() == null ? "null" : new String(r.value(), StandardCharsets.UTF_8);
        if (printKey) {
            String key = r.key() == null ? "null" : new String(r.key(), StandardCharsets.UTF_8);
            return key + "\t" + value;
        }
        return value;
    }

    /**
     * What a group member has printed, per partition, and its commits: only offsets whose records
     * reached stdout are committed (after a flush), so a crash repeats records, never skips them.
     */
    static final class PrintedOffsets implements ConsumerRebalanceListener {
        private final StrataConsumer<byte[], byte[]> consumer;
        private final PrintWriter out;
        private final Map<TopicPartition, Long> next = new HashMap<>();
        private final Map<TopicPartition, Long> committed = new HashMap<>();

        PrintedOffsets(StrataConsumer<byte[], byte[]> consumer, PrintWriter out) {
            this.consumer = consumer;
            this.out = out;
        }

        void printed(ConsumerRecord<byte[], byte[]> r) {
            next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
        }

        /** Commits what was printed since the last commit, without waiting (a failure is retried by the next one). */
        void commitAsync() {
            Map<TopicPartition, OffsetAndMetadata> offsets = uncommitted(next.keySet());
            if (!offsets.isEmpty()) {
                consumer.commitAsync(offsets, (done, failure) -> {
                    if (failure == null) {
                        done.forEach((tp, o) -> committed.merge(tp, o.offset(), Math::max));
                    }
                });
            }
        }

        /** Commits, and waits for, what was printed from {@code partitions}. */
        void commitSync(Collection<TopicPartition> partitions) {
            out.flush();
            Map<TopicPartition, OffsetAndMetadata> offsets = uncommitted(partitions);
            if (!offsets.isEmpty()) {
                consumer.commitSync(offsets);
                offsets.forEach((tp, o) -> committed.merge(tp, o.offset(), Math::max));
            }
        }

        /** On exit: commits everything printed; a failure is reported, the records will be read again. */
        void commitAll() {
            try {
                commitSync(List.copyOf(next.keySet()));
            } catch (StrataException e) {
                System.err.println("Warning: could not commit the last printed offsets of group (" + e.getMessage()
                        + "); they will be read again");
            }
        }

        private Map<TopicPartition, OffsetAndMetadata> uncommitted(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (TopicPartition tp : partitions) {
                Long n = next.get(tp);
                if (n != null && n > committed.getOrDefault(tp, -1L)) {
                    offsets.put(tp, new OffsetAndMetadata(n));
                }
            }
            return offsets;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commitSync(partitions);
            partitions.forEach(tp -> {
                next.remove(tp);
                committed.remove(tp);
            });
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> {
                next.remove(tp);
                committed.remove(tp);
            });
        }
    }
}
