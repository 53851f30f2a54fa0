package io.strata.cli;

import io.strata.client.PartitionInfo;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.admin.StrataAdmin;
import io.strata.client.admin.TopicDescription;
import io.strata.client.consumer.ConsumerConfig;
import io.strata.client.consumer.ConsumerRecord;
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
 */
@Command(name = "consume", mixinStandardHelpOptions = true, description = "Print the records of TOPIC.")
final class ConsumeCommand implements Callable<Integer> {

    /** Longest single poll, so that stop conditions are checked often. */
    private static final long MAX_POLL_MS = 500;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to read.")
    String topic;

    @Option(names = "--from-beginning", description = "Start at the beginning of the log.")
    boolean fromBeginning;

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
}
