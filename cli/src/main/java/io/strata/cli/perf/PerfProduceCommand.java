package io.strata.cli.perf;

import io.strata.cli.OutputFormat;
import io.strata.client.StrataException;
import io.strata.client.admin.StrataAdmin;
import io.strata.client.ingestion.IngestionPublisher;
import io.strata.client.producer.ProducerConfig;
import io.strata.client.producer.Callback;
import io.strata.client.producer.ProducerRecord;
import io.strata.client.producer.RecordMetadata;
import io.strata.client.producer.StrataProducer;
import io.strata.client.serialization.ByteArraySerializer;
import io.strata.proto.v1.ErrorCode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code strata perf produce}: sends {@code --records} records of {@code --record-size} random
 * bytes to an existing topic as fast as the producer takes them (or at {@code --throughput}),
 * then prints throughput and send-to-ack latency. The analogue of Kafka's
 * {@code kafka-producer-perf-test} (ProducerPerformance), measured the same way:
 *
 * <ul>
 *   <li>values: one array, refilled with random letters before every send ({@link Payloads});
 *       no key, so the default (sticky) partitioner spreads batches over the partitions;</li>
 *   <li>latency of a record: from just before {@code send()} to its acknowledgement callback,
 *       so it includes time queued in the producer (behind {@code buffer.memory} when
 *       unthrottled), not only the network round trip;</li>
 *   <li>the whole run is timed from before the first send to the end of the final flush;
 *       {@code --warmup-records} starts a second, steady-state measurement at that record.</li>
 * </ul>
 */
@Command(name = "produce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Send N records of a fixed size to a topic; report records/s, MB/s and latency.",
                "",
                "The analogue of Kafka's kafka-producer-perf-test. The topic must exist (strata topic create)."
                        + " Values are random letters A-Z, refilled for every record as Kafka's tool does;"
                        + " records have no key.",
                "",
                "Latency is measured per record from just before send() to its acknowledgement, so it includes"
                        + " the time a record waits in the producer's buffer (with --throughput -1 mostly that):"
                        + " avg, p50, p95, p99, p99.9 and max. MB/s means MiB/s of values, as in Kafka's tool.",
                "",
                "Progress lines go to stderr every --reporting-interval-ms, results to stdout. With"
                        + " --warmup-records W a second result covers only the records after the first W (the"
                        + " steady state) and is printed last.",
                ""},
        footer = {"", "JSON output (--output json): one object per line; the last line is the result:",
                "  {\"records\": N, \"records_per_sec\": R, \"mb_per_sec\": M,",
                "   \"latency_ms\": {\"avg\": A, \"p50\": B, \"p99\": C, \"p999\": D}}",
                "mb_per_sec is MiB/s. With --warmup-records the line before it is the whole run, same shape.",
                "Exit codes: 0 done, 1 records failed or the server could not be used, 2 usage error."})
public final class PerfProduceCommand implements Callable<Integer> {

    static final String DEFAULT_CLIENT_ID = "strata-perf-producer";
    private static final Set<String> ACKS = Set.of("0", "1", "all", "-1");
    private static final Set<String> COMPRESSIONS = Set.of("none", "lz4");

    /** How records reach storage. */
    enum Via {
        /** The Java client talks to each partition's leader (the "smart client"). */
        direct,
        /** Through the ingestion service, as a thin client ({@link IngestionLoad}). */
        ingestion
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic to write to (must exist).")
    String topic;

    @Option(names = "--records", required = true, paramLabel = "N", description = "How many records to send.")
    long records;

    @Option(names = "--record-size", paramLabel = "BYTES", defaultValue = "100",
            description = "Value size of each record. Default: ${DEFAULT-VALUE}.")
    int recordSize;

    @Option(names = "--acks", paramLabel = "0|1|all", description = "Producer acks. Default: the client's (all).")
    String acks;

    @Option(names = "--compression", paramLabel = "none|lz4", description = "Batch compression. Default: none.")
    String compression;

    @Option(names = "--batch-size", paramLabel = "BYTES", description = "batch.size. Default: the client's (65536).")
    Integer batchSize;

    @Option(names = "--linger-ms", paramLabel = "MS", description = "linger.ms. Default: the client's (5).")
    Long lingerMs;

    @Option(names = "--client-id", paramLabel = "ID", description = "client.id. Default: " + DEFAULT_CLIENT_ID + ".")
    String clientId;

    @Option(names = "--via", paramLabel = "direct|ingestion", defaultValue = "direct",
            description = "direct: the Java client writes to each partition's leader (default);"
                    + " ingestion: as a thin client through the ingestion service, which batches, compresses"
                    + " and forwards with its own settings (strata.ingestion.batch.size, linger.ms, compression.type).")
    Via via;

    @Option(names = "--records-per-request", paramLabel = "N", defaultValue = "500",
            description = "--via ingestion: records in each Publish request. Default: ${DEFAULT-VALUE}.")
    int recordsPerRequest;

    @Option(names = "--requests-in-flight", paramLabel = "N", defaultValue = "4",
            description = "--via ingestion: Publish requests in flight at once (one thread each). Default: ${DEFAULT-VALUE}.")
    int requestsInFlight;

    @Option(names = "--throughput", paramLabel = "RECORDS_PER_SEC", defaultValue = "-1",
            description = "Cap on records/s; -1 for no cap (default).")
    long throughput;

    @Option(names = "--warmup-records", paramLabel = "W", defaultValue = "0",
            description = "Also report the records after the first W separately (steady state). Default: 0.")
    long warmupRecords;

    @Option(names = "--producer-props", arity = "1..*", paramLabel = "KEY=VALUE",
            description = "Producer configs (Kafka's names, e.g. buffer.memory=67108864); a key also given"
                    + " by an option above must have the same value.")
    Map<String, String> producerProps = new LinkedHashMap<>();

    @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text (Kafka-style summary lines) or json (one object per line, the result last).")
    OutputFormat output;

    @Option(names = "--reporting-interval-ms", paramLabel = "MS", defaultValue = "5000",
            description = "Progress line on stderr this often; 0 for none. Default: ${DEFAULT-VALUE}.")
    long reportingIntervalMs;

    /** Checks values picocli cannot. @throws CommandLine.ParameterException on misuse */
    void validate() {
        CommandLine cmd = spec.commandLine();
        if (records < 1) {
            throw new CommandLine.ParameterException(cmd, "--records must be >= 1, got " + records);
        }
        if (recordSize < 0) {
            throw new CommandLine.ParameterException(cmd, "--record-size must be >= 0, got " + recordSize);
        }
        if (acks != null && !ACKS.contains(acks.trim().toLowerCase(Locale.ROOT))) {
            throw new CommandLine.ParameterException(cmd, "--acks must be 0, 1, all or -1, got '" + acks + "'");
        }
        if (compression != null && !COMPRESSIONS.contains(compression.trim().toLowerCase(Locale.ROOT))) {
            throw new CommandLine.ParameterException(cmd, "--compression must be none or lz4, got '" + compression + "'");
        }
        if (batchSize != null && batchSize < 0) {
            throw new CommandLine.ParameterException(cmd, "--batch-size must be >= 0, got " + batchSize);
        }
        if (lingerMs != null && lingerMs < 0) {
            throw new CommandLine.ParameterException(cmd, "--linger-ms must be >= 0, got " + lingerMs);
        }
        if (throughput == 0 || throughput < -1) {
            throw new CommandLine.ParameterException(cmd, "--throughput must be > 0, or -1 for no cap; got " + throughput);
        }
        if (warmupRecords < 0 || warmupRecords >= records) {
            throw new CommandLine.ParameterException(cmd, "--warmup-records must be >= 0 and below --records ("
                    + records + "), got " + warmupRecords);
        }
        if (reportingIntervalMs < 0) {
            throw new CommandLine.ParameterException(cmd, "--reporting-interval-ms must be >= 0, got " + reportingIntervalMs);
        }
        if (recordsPerRequest < 1 || requestsInFlight < 1) {
            throw new CommandLine.ParameterException(cmd, "--records-per-request and --requests-in-flight must be >= 1, got "
                    + recordsPerRequest + " and " + requestsInFlight);
        }
        if (via == Via.ingestion && (compression != null || batchSize != null || lingerMs != null || !producerProps.isEmpty())) {
            throw new CommandLine.ParameterException(cmd, "--via ingestion: --compression, --batch-size, --linger-ms and"
                    + " --producer-props are the ingestion service's settings (strata.ingestion.compression.type,"
                    + " strata.ingestion.batch.size, strata.ingestion.linger.ms); set them where it runs");
        }
    }

    /** The producer config: pass-through props, then the dedicated options, then bootstrap. */
    Map<String, Object> producerConfig(String bootstrap) {
        Map<String, ClientProps.Named> named = new LinkedHashMap<>();
        if (acks != null) {
            named.put(ProducerConfig.ACKS, new ClientProps.Named("--acks", acks.trim().toLowerCase(Locale.ROOT)));
        }
        if (compression != null) {
            named.put(ProducerConfig.COMPRESSION_TYPE,
                    new ClientProps.Named("--compression", compression.trim().toLowerCase(Locale.ROOT)));
        }
        if (batchSize != null) {
            named.put(ProducerConfig.BATCH_SIZE, new ClientProps.Named("--batch-size", batchSize.toString()));
        }
        if (lingerMs != null) {
            named.put(ProducerConfig.LINGER_MS, new ClientProps.Named("--linger-ms", lingerMs.toString()));
        }
        if (clientId != null) {
            named.put(io.strata.client.CommonClientConfigs.CLIENT_ID, new ClientProps.Named("--client-id", clientId));
        }
        try {
            return ClientProps.merge(bootstrap, DEFAULT_CLIENT_ID, named, producerProps, "--producer-props");
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    @Override
    public Integer call() {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PerfCommand.jitWarning().ifPresent(w -> progress(err, w));
        if (via == Via.ingestion) {
            return finish(out, err, sendThroughIngestion(PerfCommand.bootstrap(spec), err));
        }
        Map<String, Object> config = producerConfig(PerfCommand.bootstrap(spec));
        StrataProducer<byte[], byte[]> producer;
        try {
            producer = new StrataProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Run run;
        try {
            producer.partitionsFor(topic); // fails fast on an unknown topic or an unreachable server
            run = send(producer, err);
        } finally {
            producer.close();
        }
        return finish(out, err, run);
    }

    private int finish(PrintWriter out, PrintWriter err, Run run) {
        print(out, run);
        if (run.failed() > 0) {
            err.println("Error: " + run.failed() + " of " + records + " records failed; the first: "
                    + describe(run.firstFailure()));
            err.flush();
            return 1;
        }
        return 0;
    }

    /**
     * The results of a run.
     *
     * @param whole        every acknowledged record
     * @param steady       the records after the warm-up, when there was one
     * @param failed       records that failed
     * @param firstFailure the first failure, or null
     */
    record Run(PerfResult whole, PerfResult steady, long failed, Throwable firstFailure) {
    }

    private Run sendThroughIngestion(String bootstrap, PrintWriter err) {
        long intervalNanos = TimeUnit.MILLISECONDS.toNanos(reportingIntervalMs);
        PerfStats whole = new PerfStats("sent", true, System::nanoTime, intervalNanos, line -> progress(err, line));
        AtomicReference<PerfStats> steady = new AtomicReference<>();
        Failures failures = new Failures();
        Map<String, Object> config = IngestionLoad.publisherConfig(bootstrap, clientId != null ? clientId : DEFAULT_CLIENT_ID,
                acks == null ? null : acks.trim().toLowerCase(Locale.ROOT));
        IngestionLoad load = new IngestionLoad(topic, records, recordSize, recordsPerRequest, requestsInFlight,
                Throttler.realTime(throughput));
        try (StrataAdmin admin = StrataAdmin.forBootstrap(bootstrap)) { // fails fast, as the direct path does
            admin.describeTopic(topic);
            if (admin.clusterMetadata().ingestionEndpoints().isEmpty()) {
                throw new StrataException(ErrorCode.NOT_ENOUGH_NODES,
                        "no ingestion instance is registered with the cluster: start one, or use --via direct");
            }
        }
        try {
            load.run(thread -> new IngestionPublisher(config), index -> {
                if (warmupRecords == 0 || index < warmupRecords) {
                    return List.of(whole);
                }
                PerfStats s = steady.get();
                if (s == null && steady.compareAndSet(null, new PerfStats("sent", true, System::nanoTime, 0, line -> { }))) {
                    whole.progressSuffix(" In steady state.");
                }
                return List.of(whole, steady.get());
            }, failures);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add(e);
        }
        PerfStats s = steady.get();
        return new Run(whole.resultUntilNow(), s == null ? null : s.resultUntilNow(), failures.count.get(),
                failures.first.get());
    }

    private Run send(StrataProducer<byte[], byte[]> producer, PrintWriter err) {
        long intervalNanos = TimeUnit.MILLISECONDS.toNanos(reportingIntervalMs);
        PerfStats whole = new PerfStats("sent", true, System::nanoTime, intervalNanos, line -> progress(err, line));
        PerfStats steady = null;
        Failures failures = new Failures();
        Payloads payloads = new Payloads(recordSize);
        Throttler throttler = Throttler.realTime(throughput);
        for (long i = 0; i < records; i++) {
            if (i == warmupRecords && warmupRecords > 0) {
                steady = new PerfStats("sent", true, System::nanoTime, 0, line -> { });
                whole.progressSuffix(" In steady state.");
            }
            byte[] value = payloads.next();
            long start = System.nanoTime();
            try {
                producer.send(new ProducerRecord<>(topic, value), new Ack(start, value.length, whole, steady, failures));
            } catch (RuntimeException e) {
                failures.add(e);
            }
            throttler.pace(i + 1);
        }
        producer.flush();
        PerfResult wholeResult = whole.resultUntilNow();
        PerfResult steadyResult = steady == null ? null : steady.resultUntilNow();
        return new Run(wholeResult, steadyResult, failures.count.get(), failures.first.get());
    }

    private void print(PrintWriter out, Run run) {
        if (output == OutputFormat.json) {
            out.println(run.whole().toJson());
            if (run.steady() != null) {
                out.println(run.steady().toJson());
            }
        } else {
            out.println(run.whole().toText("", "sent"));
            if (run.steady() != null) {
                out.println(run.steady().toText(" steady state", "sent"));
            }
        }
        out.flush();
    }

    static void progress(PrintWriter err, String line) {
        err.println(line);
        err.flush();
    }

    private static String describe(Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof StrataException se) {
            return se.getMessage() + " (" + se.reasonName() + ")";
        }
        return String.valueOf(cause);
    }

    /** Failed sends: how many, and the first. */
    static final class Failures {
        final AtomicLong count = new AtomicLong();
        final AtomicReference<Throwable> first = new AtomicReference<>();

        void add(Throwable t) {
            count.incrementAndGet();
            first.compareAndSet(null, t);
        }
    }

    /**
     * A record's acknowledgement: its latency into the stats, or its failure counted. A send
     * callback, as Kafka's ProducerPerformance uses (no future and dependent stage per record).
     */
    static final class Ack implements Callback {
        private final long startNanos;
        private final int size;
        private final PerfStats whole;
        private final PerfStats steady;
        private final Failures failures;

        Ack(long startNanos, int size, PerfStats whole, PerfStats steady, Failures failures) {
            this.startNanos = startNanos;
            this.size = size;
            this.whole = whole;
            this.steady = steady;
            this.failures = failures;
        }

        @Override
        public void onCompletion(RecordMetadata metadata, Exception failure) {
            if (failure != null) {
                failures.add(failure);
                return;
            }
            long now = System.nanoTime();
            long latency = now - startNanos;
            whole.record(size, latency, now);
            if (steady != null) {
                steady.record(size, latency, now);
            }
        }
    }
}
