package io.strata.cli;

import io.strata.client.CommonClientConfigs;
import io.strata.client.StrataException;
import io.strata.client.ingestion.AckMode;
import io.strata.client.ingestion.IngestionPublisher;
import io.strata.client.ingestion.PublishOutcome;
import java.util.ArrayList;
import java.util.List;

import io.strata.client.admin.StrataAdmin;
import io.strata.client.producer.ProducerConfig;
import io.strata.client.producer.ProducerRecord;
import io.strata.client.producer.StrataProducer;
import io.strata.client.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code strata produce TOPIC}: one record per stdin line until EOF, then a flush. A failed
 * record is reported on stderr with its line number and reason and the command goes on; the
 * exit code is 1 when any record failed, else 0. {@code --via ingestion} sends through an
 * ingestion instance instead of straight to the leaders, in Publish requests of the lines read so
 * far (at most {@value #PUBLISH_CHUNK}, sent as soon as stdin has no further line ready, so a
 * slow writer's records do not wait for later ones); {@code --output json} prints each
 * acknowledged record, one JSON object per line, as its acknowledgement arrives (flushed per line,
 * so a reader of a long-running producer sees each one at once). {@code --ack spooled} (with
 * {@code --via ingestion}) has each request answered once the instance stored it in its spool, to
 * forward it later: the JSON lines then carry offset -1.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Send each line of stdin as a record to TOPIC.")
final class ProduceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to write to.")
    String topic;

    @Option(names = "--key-separator", paramLabel = "SEP",
            description = "Split each line at the first SEP into key and value; a line without SEP fails.")
    String keySeparator;

    @Option(names = "--acks", paramLabel = "0|1|all", defaultValue = "all", converter = AcksConverter.class,
            description = "Acknowledgement: 0 (none), 1 (leader), all (in-sync replicas). Default: all.")
    String acks;

    @Option(names = "--compression", paramLabel = "none|lz4", defaultValue = "none",
            converter = CompressionConverter.class, description = "Batch compression. Default: none.")
    String compression;

    @Option(names = "--linger-ms", paramLabel = "MS", description = "How long a batch waits for more records.")
    Long lingerMs;

    @Option(names = "--batch-size", paramLabel = "BYTES", description = "Target batch size in bytes.")
    Integer batchSize;

    @Option(names = "--producer-property", paramLabel = "KEY=VALUE", description = "Any producer config; repeatable.")
    Map<String, String> producerProperties = new LinkedHashMap<>();

    @Option(names = "--via", paramLabel = "direct|ingestion", defaultValue = "direct", converter = ViaConverter.class,
            description = "direct: the client sends to each partition's leader (default); ingestion: through an "
                    + "ingestion instance, which partitions, batches and forwards.")
    String via;

    @Option(names = "--ack", paramLabel = "committed|spooled", defaultValue = "committed", converter = AckConverter.class,
            description = "With --via ingestion: committed answers once the log acknowledged each record (default); "
                    + "spooled once the ingestion instance stored it on its disk, to forward it later (offset -1).")
    AckMode ack;

    @Option(names = "--client-id", paramLabel = "ID", description = "The client id (quotas, logs). Default: strata-cli.")
    String clientId;

    @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text (nothing on success) or json: one line per acknowledged record, "
                    + "{\"partition\", \"offset\", \"key\", \"value\"} (offset -1 with --ack spooled).")
    OutputFormat output;

    /** Records per Publish request with {@code --via ingestion}. */
    static final int PUBLISH_CHUNK = 500;

    @Override
    public Integer call() throws IOException {
        if (ack == AckMode.SPOOLED && !via.equals("ingestion")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--ack spooled needs --via ingestion: only an"
                    + " ingestion instance has a spool");
        }
        StrataCli cli = StrataCli.of(spec);
        PrintWriter err = spec.commandLine().getErr();
        // Fail fast (unknown topic, unreachable server) before reading stdin.
        try (StrataAdmin admin = Clients.admin(cli.bootstrap())) {
            admin.describeTopic(topic);
        }
        Map<String, Object> config = Clients.baseConfig(cli.bootstrap());
        if (clientId != null) {
            config.put(CommonClientConfigs.CLIENT_ID, clientId);
        }
        config.put(ProducerConfig.ACKS, acks);
        if (via.equals("ingestion")) {
            return viaIngestion(cli, config, err);
        }
        config.put(ProducerConfig.COMPRESSION_TYPE, compression);
        if (lingerMs != null) {
            config.put(ProducerConfig.LINGER_MS, lingerMs);
        }
        if (batchSize != null) {
            config.put(ProducerConfig.BATCH_SIZE, batchSize);
        }
        config.putAll(producerProperties);

        AtomicLong failed = new AtomicLong();
        long lines = 0;
        try (StrataProducer<byte[], byte[]> producer = new StrataProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            BufferedReader in = new BufferedReader(new InputStreamReader(cli.stdin(), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                long lineNo = ++lines;
                Optional<KeyedLine> record = KeyedLine.parse(line, keySeparator);
                if (record.isEmpty()) {
                    report(err, failed, lineNo, "no key separator '" + keySeparator + "' in the line (INVALID_RECORD)");
                    continue;
                }
                try {
                    byte[] key = record.get().key();
                    byte[] value = record.get().value();
                    producer.send(new ProducerRecord<>(topic, key, value))
                            .whenComplete((metadata, failure) -> {
                                if (failure == null) {
                                    acknowledged(metadata.partition(), metadata.offset(), key, value);
                                } else {
                                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                                            ? failure.getCause() : failure;
                                    report(err, failed, lineNo, StrataCli.errorLine(cause).substring("Error: ".length()));
                                }
                            });
                } catch (RuntimeException e) {
                    report(err, failed, lineNo, StrataCli.errorLine(e).substring("Error: ".length()));
                }
            }
            producer.flush();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return finish(err, failed, lines);
    }

    /** {@code --via ingestion}: chunks of lines as Publish requests, each answered record by record. */
    private int viaIngestion(StrataCli cli, Map<String, Object> config, PrintWriter err) throws IOException {
        config.keySet().retainAll(Set.of(CommonClientConfigs.BOOTSTRAP_SERVERS, CommonClientConfigs.CLIENT_ID,
                ProducerConfig.ACKS));
        AtomicLong failed = new AtomicLong();
        long lines = 0;
        try (IngestionPublisher publisher = new IngestionPublisher(config)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(cli.stdin(), StandardCharsets.UTF_8));
            List<ProducerRecord<byte[], byte[]>> chunk = new ArrayList<>();
            List<Long> chunkLines = new ArrayList<>();
            String line;
            while (true) {
                line = in.readLine();
                if (line != null) {
                    long lineNo = ++lines;
                    Optional<KeyedLine> record = KeyedLine.parse(line, keySeparator);
                    if (record.isEmpty()) {
                        report(err, failed, lineNo, "no key separator '" + keySeparator + "' in the line (INVALID_RECORD)");
                        continue;
                    }
                    chunk.add(new ProducerRecord<>(topic, record.get().key(), record.get().value()));
                    chunkLines.add(lineNo);
                }
                // Publish a full chunk, the last one, or what was read once stdin has nothing more ready.
                if (!chunk.isEmpty() && (line == null || chunk.size() == PUBLISH_CHUNK || !in.ready())) {
                    publish(publisher, chunk, chunkLines, err, failed);
                    chunk.clear();
                    chunkLines.clear();
                }
                if (line == null) {
                    break;
                }
            }
        }
        return finish(err, failed, lines);
    }

    /**
     * One Publish request. When the request fails as a whole (no ingestion instance, none answered
     * in time) each of its records is reported failed with that reason and the command goes on, as
     * a failed record of the direct producer does; such records may still have been written.
     */
    private void publish(IngestionPublisher publisher, List<ProducerRecord<byte[], byte[]>> chunk, List<Long> chunkLines,
                         PrintWriter err, AtomicLong failed) {
        List<PublishOutcome> outcomes;
        try {
            outcomes = publisher.publish(chunk, ack);
        } catch (StrataException e) {
            String reason = StrataCli.errorLine(e).substring("Error: ".length());
            chunkLines.forEach(lineNo -> report(err, failed, lineNo, reason));
            return;
        }
        for (int i = 0; i < outcomes.size(); i++) {
            PublishOutcome o = outcomes.get(i);
            if (o.succeeded()) {
                acknowledged(o.metadata().partition(), o.metadata().offset(), chunk.get(i).key(), chunk.get(i).value());
            } else {
                report(err, failed, chunkLines.get(i), StrataCli.errorLine(o.error()).substring("Error: ".length()));
            }
        }
    }

    private void acknowledged(int partition, long offset, byte[] key, byte[] value) {
        if (output != OutputFormat.json) {
            return;
        }
        PrintWriter out = spec.commandLine().getOut();
        synchronized (out) {
            out.println(JsonFormat.acknowledged(partition, offset, key, value));
            out.flush();
        }
    }

    private static int finish(PrintWriter err, AtomicLong failed, long lines) {
        if (failed.get() > 0) {
            synchronized (err) {
                err.println("Error: " + failed.get() + " of " + lines + " records failed");
                err.flush();
            }
            return 1;
        }
        return 0;
    }

    private static void report(PrintWriter err, AtomicLong failed, long lineNo, String message) {
        failed.incrementAndGet();
        synchronized (err) {
            err.println("Error: line " + lineNo + ": " + message);
            err.flush();
        }
    }

    /** Accepts 0, 1, all and -1. */
    static final class AcksConverter implements CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (!v.equals("0") && !v.equals("1") && !v.equals("all") && !v.equals("-1")) {
                throw new CommandLine.TypeConversionException("expected 0, 1, all or -1 but was '" + value + "'");
            }
            return v;
        }
    }

    /** Accepts committed and spooled. */
    static final class AckConverter implements CommandLine.ITypeConverter<AckMode> {
        @Override
        public AckMode convert(String value) {
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "committed" -> AckMode.COMMITTED;
                case "spooled" -> AckMode.SPOOLED;
                default -> throw new CommandLine.TypeConversionException("expected committed or spooled but was '" + value + "'");
            };
        }
    }

    /** Accepts direct and ingestion. */
    static final class ViaConverter implements CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (!v.equals("direct") && !v.equals("ingestion")) {
                throw new CommandLine.TypeConversionException("expected direct or ingestion but was '" + value + "'");
            }
            return v;
        }
    }

    /** Accepts none and lz4. */
    static final class CompressionConverter implements CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (!v.equals("none") && !v.equals("lz4")) {
                throw new CommandLine.TypeConversionException("expected none or lz4 but was '" + value + "'");
            }
            return v;
        }
    }
}
