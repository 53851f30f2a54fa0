package io.strata.cli;

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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code strata produce TOPIC}: one record per stdin line until EOF, then a flush. A failed
 * record is reported on stderr with its line number and reason and the command goes on; the
 * exit code is 1 when any record failed, else 0.
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

    @Override
    public Integer call() throws IOException {
        StrataCli cli = StrataCli.of(spec);
        PrintWriter err = spec.commandLine().getErr();
        // Fail fast (unknown topic, unreachable server) before reading stdin.
        try (StrataAdmin admin = Clients.admin(cli.bootstrap())) {
            admin.describeTopic(topic);
        }
        Map<String, Object> config = Clients.baseConfig(cli.bootstrap());
        config.put(ProducerConfig.ACKS, acks);
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
                    producer.send(new ProducerRecord<>(topic, record.get().key(), record.get().value()))
                            .whenComplete((metadata, failure) -> {
                                if (failure != null) {
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
