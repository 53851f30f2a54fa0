package io.strata.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.bench.ClusterFile.ClusterProcess;
import io.strata.client.PartitionInfo;
import io.strata.client.StrataException;
import io.strata.client.admin.NewTopic;
import io.strata.client.admin.StrataAdmin;
import io.strata.client.producer.ProducerConfig;
import io.strata.client.producer.ProducerRecord;
import io.strata.client.producer.StrataProducer;
import io.strata.client.serialization.ByteArraySerializer;
import io.strata.proto.v1.ErrorCode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The replication issue's failover target, measured on a running local cluster
 * ({@code bin/strata cluster up --dir DIR --session-timeout-ms S}): from the moment a partition's
 * leader dies to the moment a new leader accepts writes, which should take at most the session
 * timeout + 1 s.
 *
 * <p>A producer sends an {@code acks=all} record every {@code --send-interval-ms} to a one-partition
 * topic with replication factor 3 and {@code min.insync.replicas} 2, with a delivery timeout long
 * enough that no record fails during a failover. Each round:
 * <ol>
 *   <li>waits until the partition has a leader and a full ISR, and reads the leader's pid from
 *       cluster.json;</li>
 *   <li>t0; kills the leader's process with SIGKILL ({@code kill} mode: its connections are reset,
 *       so coordination sees its session break at once) or freezes it with SIGSTOP ({@code stop}
 *       mode: a silent death, found only when its session times out);</li>
 *   <li>polls {@code DescribeTopic} every {@code --poll-ms} until it names another leader ("leader
 *       seen"), and waits for the first acknowledgement that arrives at least {@code --grace-ms}
 *       after t0 ("write accepted": only a new leader can acknowledge an acks=all record then); once
 *       the new leader is seen, a fresh producer sends one record too ("fresh producer's write"):
 *       the running producer cannot move on while its request to a frozen leader is unanswered
 *       (until {@code request.timeout.ms} + 5 s), a new client goes to the new leader at once;</li>
 *   <li>brings the node back: {@code bin/strata cluster start NODE --dir DIR} after a kill, SIGCONT
 *       after a freeze (once both instants above are known), and waits until the ISR is full again
 *       (a frozen node that does not rejoin is killed and started, and that is reported).</li>
 * </ol>
 * Killing the current leader each round rotates through the nodes as leadership moves. Prints one
 * line per round, then per mode p50 and max of both instants against the target, then one
 * {@code RESULT {json}} line per round and per mode.
 * Usage: {@code FailoverBench --cluster-dir DIR [options] -- CLI...} ({@code --help} lists them).
 */
public final class FailoverBench {

    static final String USAGE = """
            Usage: FailoverBench --cluster-dir DIR [options] -- CLI...
              --cluster-dir DIR          directory holding cluster.json (bin/strata cluster up --dir DIR)
              --topic NAME               topic to create (1 partition, RF 3, min.insync.replicas 2; default failover-bench)
              --rounds N                 failovers per mode (default 20)
              --modes LIST               kill, stop or both, comma-separated (default kill,stop)
              --session-timeout-ms MS    for the target (default: cluster.json's sessionTimeoutMs, else 6000)
              --send-interval-ms MS      one record every MS (default 2)
              --record-size BYTES        value size (default 100)
              --poll-ms MS               DescribeTopic poll interval after the signal (default 10)
              --grace-ms MS              acknowledgements this soon after the signal are the old leader's (default 20)
              --round-timeout-ms MS      give up on a round's new leader after MS (default 3 x session timeout + 45000)
              --rejoin-timeout-ms MS     wait at most MS for a full ISR (default 120000)
              --producer-props K=V,...   extra producer configs (default: acks=all, linger.ms=0, delivery.timeout.ms=600000)
              --help                     this text
            CLI... is the strata command line that runs `cluster start NODE --dir DIR` (e.g. bin/strata).
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the leader dies. */
    enum Mode {
        KILL("kill", "kill -9"), STOP("stop", "SIGSTOP");

        final String key;
        final String label;

        Mode(String key, String label) {
            this.key = key;
            this.label = label;
        }

        static Mode of(String key) {
            return Arrays.stream(values()).filter(m -> m.key.equals(key.strip())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--modes takes kill and/or stop, got '" + key + "'"));
        }
    }

    /** The command line. */
    record Options(Path clusterDir, String topic, int rounds, List<Mode> modes, long sessionTimeoutMs, long sendIntervalMs,
                   int recordSize, long pollMs, long graceMs, long roundTimeoutMs, long rejoinTimeoutMs,
                   Map<String, String> producerProps, List<String> cli) {

        static Options parse(String... args) throws IOException {
            Map<String, String> values = new TreeMap<>();
            List<String> cli = List.of();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("--")) {
                    cli = List.of(args).subList(i + 1, args.length);
                    break;
                }
                if (!arg.startsWith("--")) {
                    throw new IllegalArgumentException("unexpected argument '" + arg + "'");
                }
                int eq = arg.indexOf('=');
                if (eq > 0) {
                    values.put(arg.substring(2, eq), arg.substring(eq + 1));
                } else if (i + 1 < args.length) {
                    values.put(arg.substring(2), args[++i]);
                } else {
                    throw new IllegalArgumentException("option " + arg + " needs a value");
                }
            }
            Set<String> known = Set.of("cluster-dir", "topic", "rounds", "modes", "session-timeout-ms", "send-interval-ms",
                    "record-size", "poll-ms", "grace-ms", "round-timeout-ms", "rejoin-timeout-ms", "producer-props");
            for (String key : values.keySet()) {
                if (!known.contains(key)) {
                    throw new IllegalArgumentException("unknown option --" + key);
                }
            }
            if (!values.containsKey("cluster-dir")) {
                throw new IllegalArgumentException("--cluster-dir is required");
            }
            if (cli.isEmpty()) {
                throw new IllegalArgumentException("give the strata command after --, e.g. -- bin/strata");
            }
            Path dir = Path.of(values.get("cluster-dir"));
            long session = values.containsKey("session-timeout-ms") ? longOf(values, "session-timeout-ms", 0)
                    : clusterSessionTimeoutMs(dir).orElse(6000L);
            List<Mode> modes = Arrays.stream(values.getOrDefault("modes", "kill,stop").split("[, ]+"))
                    .filter(s -> !s.isBlank()).map(Mode::of).toList();
            Map<String, String> props = new LinkedHashMap<>();
            for (String kv : values.getOrDefault("producer-props", "").split(",")) {
                if (kv.isBlank()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--producer-props takes KEY=VALUE,..., got '" + kv + "'");
                }
                props.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
            }
            Options o = new Options(dir, values.getOrDefault("topic", "failover-bench"), (int) longOf(values, "rounds", 20), modes,
                    session, longOf(values, "send-interval-ms", 2), (int) longOf(values, "record-size", 100),
                    longOf(values, "poll-ms", 10), longOf(values, "grace-ms", 20),
                    longOf(values, "round-timeout-ms", 3 * session + 45_000), longOf(values, "rejoin-timeout-ms", 120_000),
                    Map.copyOf(props), List.copyOf(cli));
            if (o.rounds < 1 || modes.isEmpty() || o.sessionTimeoutMs < 1 || o.sendIntervalMs < 1 || o.recordSize < 0
                    || o.pollMs < 1 || o.graceMs < 0 || o.roundTimeoutMs < 1 || o.rejoinTimeoutMs < 1) {
                throw new IllegalArgumentException("an option is out of range: " + o);
            }
            return o;
        }

        private static long longOf(Map<String, String> values, String key, long fallback) {
            String v = values.get(key);
            try {
                return v == null ? fallback : Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + key + " needs a number, got '" + v + "'");
            }
        }

        /** The {@code sessionTimeoutMs} that {@code cluster up --session-timeout-ms} kept in cluster.json, if any. */
        private static Optional<Long> clusterSessionTimeoutMs(Path dir) throws IOException {
            Path file = dir.resolve(ClusterFile.NAME);
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            JsonNode value = JSON.readTree(Files.readString(file)).get("sessionTimeoutMs");
            return value == null || !value.canConvertToLong() ? Optional.empty() : Optional.of(value.asLong());
        }
    }

    /**
     * One failover. Times are ms after the signal; -1 when not seen within the round timeout.
     *
     * @param leaderSeenMs  when DescribeTopic first named another leader
     * @param writeMs       when the first acknowledgement after the grace arrived
     * @param ackGapMs      from the last acknowledgement before the signal to that one: the outage as the producer saw it
     * @param probeMs       when a fresh producer, created once the new leader was seen, had its first record acknowledged:
     *                      the new leader accepting writes, without the running producer's wait for its request to the
     *                      old leader to time out
     * @param rejoinMs      from the restart (kill) or SIGCONT (stop) to a full ISR again
     * @param rejoined      false when a frozen node did not rejoin and had to be killed and started
     */
    record Round(Mode mode, int round, int oldLeader, int newLeader, double leaderSeenMs, double writeMs, double ackGapMs,
                 double probeMs, long firstOffset, long failedRecords, double rejoinMs, boolean rejoined) {
    }

    private final Options options;
    private final StrataAdmin admin;
    private final AckWatch watch = new AckWatch();
    private final List<Round> rounds = new ArrayList<>();

    private FailoverBench(Options options, StrataAdmin admin) {
        this.options = options;
        this.admin = admin;
    }

    public static void main(String[] args) throws Exception {
        Options options = BenchArgs.parseOrExit(args, USAGE, Options::parse);
        if (options == null) {
            return;
        }
        ClusterFile cluster = ClusterFile.read(options.clusterDir());
        try (StrataAdmin admin = StrataAdmin.forBootstrap(String.join(",", cluster.bootstrap()))) {
            new FailoverBench(options, admin).run(cluster);
        } catch (IllegalStateException | StrataException e) {
            System.err.println("Error: " + e.getMessage());
            System.exit(1);
        }
    }

    private void run(ClusterFile cluster) throws Exception {
        System.out.printf("cluster %s: bootstrap %s, storage nodes %s; session timeout %d ms; one %d-byte acks=all record every %d ms%n",
                options.clusterDir(), String.join(",", cluster.bootstrap()),
                cluster.ofRole("storage").stream().map(ClusterProcess::id).toList(), options.sessionTimeoutMs(),
                options.recordSize(), options.sendIntervalMs());
        createTopic();
        awaitFullIsr(Duration.ofMillis(options.rejoinTimeoutMs()));
        try (StrataProducer<byte[], byte[]> producer = new StrataProducer<>(producerConfig(cluster), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            Thread sender = Thread.ofPlatform().name("failover-bench-sender").daemon().start(() -> send(producer));
            try {
                awaitAcks(Duration.ofSeconds(60));
                for (Mode mode : options.modes()) {
                    for (int i = 1; i <= options.rounds(); i++) {
                        Round r = failover(mode, i);
                        rounds.add(r);
                        System.out.println(line(r));
                    }
                }
            } finally {
                sender.interrupt();
                sender.join(5000);
            }
            producer.flush();
        }
        report();
    }

    // --- the load --------------------------------------------------------------------------------

    private Map<String, Object> producerConfig(ClusterFile cluster) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bootstrap.servers", String.join(",", cluster.bootstrap()));
        config.put("client.id", "strata-failover-bench");
        config.put(ProducerConfig.ACKS, "all");
        config.put(ProducerConfig.LINGER_MS, "0");
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS, "600000");
        config.putAll(options.producerProps());
        return config;
    }

    /** Sends one record every interval (at a fixed rate) until interrupted. */
    private void send(StrataProducer<byte[], byte[]> producer) {
        long interval = TimeUnit.MILLISECONDS.toNanos(options.sendIntervalMs());
        long next = System.nanoTime();
        byte[] value = new byte[options.recordSize()];
        while (!Thread.currentThread().isInterrupted()) {
            ThreadLocalRandom.current().nextBytes(value);
            try {
                producer.send(new ProducerRecord<>(options.topic(), 0, null, value.clone())).whenComplete((md, error) -> {
                    long now = System.nanoTime();
                    if (error != null) {
                        watch.failed(error);
                    } else {
                        watch.acked(now, md.offset());
                    }
                });
            } catch (RuntimeException e) {
                watch.failed(e);
            }
            next += interval;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            } else {
                next = System.nanoTime();   // fell behind (send blocked): do not burst to catch up
            }
        }
    }

    private void awaitAcks(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (watch.acks() < 10) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the producer got no acknowledgements within " + timeout.toSeconds() + " s (failed: "
                        + watch.errors() + ", last error: " + watch.lastError() + ")");
            }
            Thread.sleep(50);
        }
    }

    // --- one failover ----------------------------------------------------------------------------

    private Round failover(Mode mode, int round) throws Exception {
        PartitionInfo before = awaitFullIsr(Duration.ofMillis(options.rejoinTimeoutMs()));
        int oldLeader = before.leader();
        ClusterProcess process = ClusterFile.read(options.clusterDir()).storage(oldLeader)
                .orElseThrow(() -> new IllegalStateException("cluster.json has no storage node " + oldLeader));
        ProcessHandle handle = ProcessHandle.of(process.pid()).filter(ProcessHandle::isAlive)
                .orElseThrow(() -> new IllegalStateException("storage node " + oldLeader + " (pid " + process.pid() + ") is not running"));
        long failedBefore = watch.errors();

        long t0;
        if (mode == Mode.KILL) {
            t0 = System.nanoTime();
            watch.arm(t0 + TimeUnit.MILLISECONDS.toNanos(options.graceMs()));
            handle.destroyForcibly();   // kill(2) with SIGKILL from this thread: t0 is the signal
        } else {
            // kill -STOP runs as a child process, which takes milliseconds to start: t0 is when the
            // node is seen stopped, so that its last answers do not count as the new leader's
            signal("STOP", process.pid());
            awaitStopped(process.pid());
            t0 = System.nanoTime();
            watch.arm(t0 + TimeUnit.MILLISECONDS.toNanos(options.graceMs()));
        }
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(options.roundTimeoutMs());
        long seenNanos = 0;
        int newLeader = -1;
        CompletableFuture<Long> probe = null;
        while (System.nanoTime() < deadline && (seenNanos == 0 || watch.firstAfterNanos() == 0 || !probe.isDone())) {
            if (seenNanos == 0) {
                Optional<PartitionInfo> p = describe();
                long now = System.nanoTime();
                if (p.isPresent() && p.get().leader() != null && p.get().leader() != oldLeader) {
                    seenNanos = now;
                    newLeader = p.get().leader();
                    probe = probe(cluster(), deadline);
                }
            }
            Thread.sleep(options.pollMs());
        }
        long probeNanos = probe != null && probe.isDone() && !probe.isCompletedExceptionally() ? probe.join() : 0;
        long writeNanos = watch.firstAfterNanos();
        long lastBefore = watch.lastBeforeNanos();
        long offset = watch.firstAfterOffset();
        watch.disarm();

        long back = System.nanoTime();
        boolean rejoined = true;
        if (mode == Mode.KILL) {
            handle.onExit().get(30, TimeUnit.SECONDS);
            startNode(oldLeader);
        } else {
            signal("CONT", process.pid());
        }
        try {
            awaitFullIsr(Duration.ofMillis(options.rejoinTimeoutMs()));
        } catch (IllegalStateException e) {
            if (mode != Mode.STOP) {
                throw e;
            }
            System.out.printf("  node %d did not rejoin the ISR within %d ms after SIGCONT: killing and starting it%n", oldLeader,
                    options.rejoinTimeoutMs());
            rejoined = false;
            handle.destroyForcibly();
            handle.onExit().get(30, TimeUnit.SECONDS);
            startNode(oldLeader);
            awaitFullIsr(Duration.ofMillis(options.rejoinTimeoutMs()));
        }
        double rejoinMs = (System.nanoTime() - back) / 1e6;
        return new Round(mode, round, oldLeader, newLeader, seenNanos == 0 ? -1 : (seenNanos - t0) / 1e6,
                writeNanos == 0 ? -1 : (writeNanos - t0) / 1e6, writeNanos == 0 || lastBefore == 0 ? -1 : (writeNanos - lastBefore) / 1e6,
                probeNanos == 0 ? -1 : (probeNanos - t0) / 1e6, offset, watch.errors() - failedBefore, rejoinMs, rejoined);
    }

    /**
     * A fresh producer (same config) that sends one record and completes with the nanoTime of its
     * acknowledgement; closed on a virtual thread once done or at {@code deadlineNanos}.
     */
    private CompletableFuture<Long> probe(ClusterFile cluster, long deadlineNanos) {
        CompletableFuture<Long> acked = new CompletableFuture<>();
        Thread.ofVirtual().name("failover-bench-probe").start(() -> {
            try (StrataProducer<byte[], byte[]> p = new StrataProducer<>(producerConfig(cluster), new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                p.send(new ProducerRecord<>(options.topic(), 0, null, new byte[options.recordSize()]))
                        .whenComplete((md, error) -> {
                            if (error != null) {
                                acked.completeExceptionally(error);
                            } else {
                                acked.complete(System.nanoTime());
                            }
                        });
                acked.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                acked.completeExceptionally(e);
            }
        });
        return acked;
    }

    private ClusterFile cluster() throws IOException {
        return ClusterFile.read(options.clusterDir());
    }

    private void createTopic() {
        try {
            admin.createTopic(new NewTopic(options.topic(), 1, 3, Map.of("min.insync.replicas", "2")));
            System.out.printf("created topic %s: 1 partition, replication factor 3, min.insync.replicas 2%n", options.topic());
        } catch (StrataException e) {
            if (e.reason() != ErrorCode.TOPIC_ALREADY_EXISTS) {
                throw e;
            }
            System.out.printf("topic %s exists; using it%n", options.topic());
        }
    }

    private Optional<PartitionInfo> describe() {
        try {
            return admin.describeTopic(options.topic()).partitions().stream().filter(p -> p.partition() == 0).findFirst();
        } catch (StrataException e) {
            return Optional.empty();
        }
    }

    /** Waits until partition 0 has a leader and every replica in its ISR; returns that state. */
    private PartitionInfo awaitFullIsr(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<PartitionInfo> last = Optional.empty();
        while (System.nanoTime() < deadline) {
            last = describe();
            if (last.isPresent() && last.get().leader() != null && !last.get().underReplicated() && last.get().replicas().size() == 3) {
                return last.get();
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("partition " + options.topic() + "-0 not fully in sync after " + timeout.toMillis() + " ms: "
                + last.map(PartitionInfo::toString).orElse("not described"));
    }

    /** {@code CLI cluster start NODE --dir DIR}: starts the node again and waits until it is ready. */
    private void startNode(int node) throws Exception {
        List<String> command = new ArrayList<>(options.cli());
        command.addAll(List.of("cluster", "start", Integer.toString(node), "--dir", options.clusterDir().toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("cluster start " + node + " failed: " + output.strip());
        }
    }

    /** Waits (at most 5 s) until /proc says the process is stopped (state T). */
    private static void awaitStopped(long pid) throws Exception {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            String text = Files.readString(stat);
            String state = text.substring(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
            if (state.equals("T")) {
                return;
            }
            Thread.onSpinWait();
        }
        throw new IllegalStateException("pid " + pid + " not stopped 5 s after SIGSTOP");
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
        }
    }

    // --- output ----------------------------------------------------------------------------------

    private static String ms(double v) {
        return v < 0 ? "not seen" : String.format(Locale.ROOT, "%.0f ms", v);
    }

    private String line(Round r) {
        return String.format(Locale.ROOT, "%s round %2d: leader %d -> %s; new leader seen %s, first write accepted %s (producer gap %s,"
                        + " fresh producer's write %s, offset %d, failed records %d); ISR full again %.1f s after %s%s", r.mode().label,
                r.round(), r.oldLeader(), r.newLeader() < 0 ? "?" : Integer.toString(r.newLeader()), ms(r.leaderSeenMs()), ms(r.writeMs()),
                ms(r.ackGapMs()), ms(r.probeMs()),
                r.firstOffset(), r.failedRecords(), r.rejoinMs() / 1000, r.mode() == Mode.KILL ? "the restart" : "SIGCONT",
                r.rejoined() ? "" : " (did NOT rejoin by itself: killed and started)");
    }

    private void report() {
        long targetMs = options.sessionTimeoutMs() + 1000;
        List<ObjectNode> results = new ArrayList<>();
        System.out.println();
        System.out.println("== Failover benchmark (replication issue) ==");
        System.out.printf(Locale.ROOT, "session timeout %d ms -> target: first write accepted <= %d ms after the leader dies; %d core(s),"
                + " load average %s%n", options.sessionTimeoutMs(), targetMs, Runtime.getRuntime().availableProcessors(), loadAverage());
        System.out.println();
        System.out.println("| how the leader dies | rounds | write accepted p50 ms | max ms | target ≤ " + targetMs + " ms | new leader seen p50 ms"
                + " | max ms | fresh producer's write p50 ms | max ms | producer gap p50 ms | max ms | not seen | failed records |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Mode mode : options.modes()) {
            List<Round> rs = rounds.stream().filter(r -> r.mode() == mode).toList();
            long[] write = nanos(rs.stream().mapToDouble(Round::writeMs).toArray());
            long[] seen = nanos(rs.stream().mapToDouble(Round::leaderSeenMs).toArray());
            long[] gap = nanos(rs.stream().mapToDouble(Round::ackGapMs).toArray());
            long[] probe = nanos(rs.stream().mapToDouble(Round::probeMs).toArray());
            long missing = rs.stream().filter(r -> r.writeMs() < 0 || r.leaderSeenMs() < 0).count();
            long failed = rs.stream().mapToLong(Round::failedRecords).sum();
            boolean met = missing == 0 && write.length > 0 && write[write.length - 1] / 1e6 <= targetMs;
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d |%n", mode.label, rs.size(),
                    p50(write), max(write), met ? "met" : "MISSED", p50(seen), max(seen), p50(probe), max(probe), p50(gap), max(gap),
                    missing, failed);
            ObjectNode r = JSON.createObjectNode().put("bench", "failover").put("measurement", "summary").put("mode", mode.key)
                    .put("rounds", rs.size()).put("session_timeout_ms", options.sessionTimeoutMs()).put("target_ms", targetMs)
                    .put("write_p50_ms", p50Ms(write)).put("write_max_ms", maxMs(write)).put("leader_seen_p50_ms", p50Ms(seen))
                    .put("leader_seen_max_ms", maxMs(seen)).put("fresh_write_p50_ms", p50Ms(probe)).put("fresh_write_max_ms", maxMs(probe))
                    .put("gap_p50_ms", p50Ms(gap)).put("gap_max_ms", maxMs(gap))
                    .put("not_seen", missing).put("failed_records", failed).put("met", met);
            results.add(r);
        }
        System.out.println();
        System.out.println("write accepted = first acks=all acknowledgement received >= " + options.graceMs() + " ms after the signal;"
                + " new leader seen = first DescribeTopic (polled every " + options.pollMs() + " ms) naming another leader;"
                + " fresh producer's write = a new producer, created when the new leader was seen, has its first record acknowledged"
                + " (the new leader accepting writes, without the running producer's wait for its request to the old leader);"
                + " producer gap = last acknowledgement before the signal to the running producer's first one after it.");
        for (Round r : rounds) {
            results.add(JSON.createObjectNode().put("bench", "failover").put("measurement", "round").put("mode", r.mode().key)
                    .put("round", r.round()).put("old_leader", r.oldLeader()).put("new_leader", r.newLeader())
                    .put("leader_seen_ms", round(r.leaderSeenMs())).put("write_ms", round(r.writeMs())).put("gap_ms", round(r.ackGapMs()))
                    .put("fresh_write_ms", round(r.probeMs()))
                    .put("first_offset", r.firstOffset()).put("failed_records", r.failedRecords()).put("rejoin_ms", round(r.rejoinMs()))
                    .put("rejoined", r.rejoined()));
        }
        for (ObjectNode r : results) {
            try {
                System.out.println("RESULT " + JSON.writeValueAsString(r));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The measured (non-negative) values in ms as sorted nanos. */
    private static long[] nanos(double[] ms) {
        return Arrays.stream(ms).filter(v -> v >= 0).mapToLong(v -> (long) (v * 1e6)).sorted().toArray();
    }

    private static String p50(long[] sortedNanos) {
        return sortedNanos.length == 0 ? "NA" : String.format(Locale.ROOT, "%.0f", Latencies.percentile(sortedNanos, 50) / 1e6);
    }

    private static String max(long[] sortedNanos) {
        return sortedNanos.length == 0 ? "NA" : String.format(Locale.ROOT, "%.0f", sortedNanos[sortedNanos.length - 1] / 1e6);
    }

    /** p50 in ms, or null (JSON null) when nothing was measured. */
    private static Double p50Ms(long[] sortedNanos) {
        return sortedNanos.length == 0 ? null : round(Latencies.percentile(sortedNanos, 50) / 1e6);
    }

    private static Double maxMs(long[] sortedNanos) {
        return sortedNanos.length == 0 ? null : round(sortedNanos[sortedNanos.length - 1] / 1e6);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
