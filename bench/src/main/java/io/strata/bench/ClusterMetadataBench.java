package io.strata.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.strata.bench.ClusterFile.ClusterProcess;
import io.strata.bench.ClusterFile.HostPort;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicMetadata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * The coordination issue's targets, measured against a running multi-process cluster (etcd,
 * coordination, storage nodes) described by the {@code cluster.json} of
 * {@code bin/strata cluster up --dir DIR}:
 * <ol>
 *   <li>(b) creating {@code --topics} topics of {@code --partitions} partitions through
 *       CreateTopic, one after another (or from {@code --create-threads} threads): topics/s,
 *       partitions/s, and each call's latency;</li>
 *   <li>(a) GetMetadata for all topics with those partitions in the cluster, after the cluster
 *       has gone quiet (storage nodes done opening their new partitions): latency of
 *       {@code --metadata-calls} calls after {@code --warmup-calls}, from one client thread and
 *       from {@code --concurrent-clients} threads; target p99 &lt; 50 ms;</li>
 *   <li>(c) a storage node's death: each node of {@code --kill-node} is killed with SIGKILL,
 *       each node of {@code --freeze-node} stopped with SIGSTOP (a hung node whose connections
 *       stay open, so only its session timeout can tell), and GetMetadata is polled every
 *       {@code --poll-ms} until the node is gone from its live nodes; target: within
 *       {@code --session-timeout-ms} + 1 s. A frozen node is killed after the measurement.</li>
 * </ol>
 * Prints what it does, then a result block, then one {@code RESULT {json}} line per measurement.
 * Usage: {@code ClusterMetadataBench --cluster-dir DIR [options]} ({@code --help} lists them).
 */
public final class ClusterMetadataBench {

    static final String USAGE = """
            Usage: ClusterMetadataBench --cluster-dir DIR [options]
              --cluster-dir DIR          directory holding cluster.json (bin/strata cluster up --dir DIR)
              --topics N                 topics to create (default 1000; 0 = measure the cluster as it is)
              --partitions N             partitions per topic (default 10)
              --replication-factor N     replicas per partition (default 1)
              --topic-prefix P           created topics are P0000, P0001, ... (default bench-)
              --create-threads N         threads calling CreateTopic (default 1)
              --warmup-calls N           GetMetadata calls before measuring (default 200)
              --metadata-calls N         measured GetMetadata calls (default 2000)
              --concurrent-clients N     also measure N threads sharing the calls (default 4; 0 = skip)
              --kill-node IDS|none       storage node ids to kill -9, one after another (default 1)
              --freeze-node IDS|none     storage node ids to SIGSTOP, one after another (default none)
              --session-timeout-ms MS    the cluster's session timeout, for the target (default 6000)
              --poll-ms MS               GetMetadata poll interval while waiting for a death (default 5)
              --help                     this text
            """;

    /** Asked for in the death polls: a name no bench creates, so the answer stays small (nodes only). */
    static final String PROBE_TOPIC = "strata-bench-probe-absent";
    private static final long TARGET_METADATA_P99_MS = 50;
    private static final long DEATH_SLACK_MS = 1000;
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The command line. */
    record Options(Path clusterDir, int topics, int partitions, int replicationFactor, String topicPrefix, int createThreads,
                   int warmupCalls, int metadataCalls, int concurrentClients, List<Integer> killNodes, List<Integer> freezeNodes,
                   long sessionTimeoutMs, long pollMs) {

        /** Parses {@code --key value} and {@code --key=value}; a later occurrence of a key wins. */
        static Options parse(String... args) {
            Map<String, String> values = new TreeMap<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
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
            Set<String> known = Set.of("cluster-dir", "topics", "partitions", "replication-factor", "topic-prefix", "create-threads",
                    "warmup-calls", "metadata-calls", "concurrent-clients", "kill-node", "freeze-node", "session-timeout-ms",
                    "poll-ms");
            for (String key : values.keySet()) {
                if (!known.contains(key)) {
                    throw new IllegalArgumentException("unknown option --" + key);
                }
            }
            String dir = values.get("cluster-dir");
            if (dir == null) {
                throw new IllegalArgumentException("--cluster-dir is required");
            }
            Options o = new Options(Path.of(dir), intOf(values, "topics", 1000), intOf(values, "partitions", 10),
                    intOf(values, "replication-factor", 1), values.getOrDefault("topic-prefix", "bench-"),
                    intOf(values, "create-threads", 1), intOf(values, "warmup-calls", 200), intOf(values, "metadata-calls", 2000),
                    intOf(values, "concurrent-clients", 4), ids(values.getOrDefault("kill-node", "1")),
                    ids(values.getOrDefault("freeze-node", "none")), intOf(values, "session-timeout-ms", 6000),
                    intOf(values, "poll-ms", 5));
            if (o.topics < 0 || o.partitions < 1 || o.replicationFactor < 1 || o.createThreads < 1 || o.warmupCalls < 0
                    || o.metadataCalls < 1 || o.concurrentClients < 0 || o.sessionTimeoutMs < 1 || o.pollMs < 0) {
                throw new IllegalArgumentException("an option is out of range: " + o);
            }
            return o;
        }

        private static int intOf(Map<String, String> values, String key, int fallback) {
            String v = values.get(key);
            try {
                return v == null ? fallback : Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + key + " needs a number, got '" + v + "'");
            }
        }

        private static List<Integer> ids(String text) {
            if (text.isBlank() || text.equals("none")) {
                return List.of();
            }
            List<Integer> ids = new ArrayList<>();
            for (String part : text.split(",")) {
                try {
                    ids.add(Integer.parseInt(part.strip()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("node ids are comma-separated numbers or 'none', got '" + text + "'");
                }
            }
            return List.copyOf(ids);
        }
    }

    /** How a node is made to die. */
    enum Death {
        KILL("kill -9"), FREEZE("SIGSTOP");

        final String label;

        Death(String label) {
            this.label = label;
        }
    }

    private final Options options;
    private final ClusterFile cluster;
    private final CoordinationGrpc.CoordinationBlockingStub coordination;
    private final List<String> summary = new ArrayList<>();
    private final List<ObjectNode> results = new ArrayList<>();

    private ClusterMetadataBench(Options options, ClusterFile cluster, CoordinationGrpc.CoordinationBlockingStub coordination) {
        this.options = options;
        this.cluster = cluster;
        this.coordination = coordination;
    }

    public static void main(String[] args) throws Exception {
        Options options = BenchArgs.parseOrExit(args, USAGE, Options::parse);
        if (options == null) {
            return;
        }
        ClusterFile cluster;
        try {
            cluster = ClusterFile.read(options.clusterDir());
        } catch (NoSuchFileException e) {
            System.err.println("Error: no " + ClusterFile.NAME + " in " + options.clusterDir() + "; start a cluster with"
                    + " bin/strata cluster up --dir " + options.clusterDir());
            System.exit(1);
            return;
        }
        HostPort target = cluster.coordination();
        ManagedChannel channel = NettyChannelBuilder.forAddress(target.host(), target.port()).usePlaintext()
                .maxInboundMessageSize(256 * 1024 * 1024).build();
        try {
            new ClusterMetadataBench(options, cluster, CoordinationGrpc.newBlockingStub(channel)).run();
        } catch (IllegalStateException | IllegalArgumentException | StatusRuntimeException e) {
            System.err.println("Error: " + e.getMessage());
            System.exit(1);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private void run() throws Exception {
        List<Integer> storageIds = cluster.ofRole("storage").stream().map(ClusterProcess::id).sorted().toList();
        System.out.printf("cluster %s: coordination %s, storage nodes %s%n", options.clusterDir(), cluster.coordination(), storageIds);
        awaitLiveNodes(storageIds, Duration.ofSeconds(60));
        ClusterMetadata before = metadata(MetadataRequest.getDefaultInstance());
        long ours = before.getTopicsList().stream().filter(t -> t.getName().startsWith(options.topicPrefix())).count();
        if (ours > 0 && options.topics() > 0) {
            throw new IllegalStateException("the cluster already has " + ours + " topics named " + options.topicPrefix()
                    + "*; start a fresh cluster or pass another --topic-prefix");
        }
        int expectedPartitions = partitionCount(before) + options.topics() * options.partitions();
        int expectedTopics = before.getTopicsCount() + options.topics();

        if (options.topics() > 0) {
            createTopics();
            ClusterMetadata after = metadata(MetadataRequest.getDefaultInstance());
            if (after.getTopicsCount() != expectedTopics || partitionCount(after) != expectedPartitions) {
                throw new IllegalStateException("after creation the cluster has " + after.getTopicsCount() + " topics and "
                        + partitionCount(after) + " partitions; expected " + expectedTopics + " and " + expectedPartitions);
            }
            System.out.println("leaders per node: " + leadersPerNode(after));
            awaitQuiet();
        }

        measureMetadata(1, expectedPartitions);
        if (options.concurrentClients() > 1) {
            measureMetadata(options.concurrentClients(), expectedPartitions);
        }
        for (int id : options.killNodes()) {
            measureDeath(id, Death.KILL);
        }
        for (int id : options.freezeNodes()) {
            measureDeath(id, Death.FREEZE);
        }

        System.out.println();
        System.out.println("== Cluster metadata benchmark (coordination issue) ==");
        System.out.printf("cluster: coordination %s, %d storage nodes, %d etcd; this machine: %d cores, load average %s%n",
                cluster.coordination(), storageIds.size(), cluster.ofRole("etcd").size(), Runtime.getRuntime().availableProcessors(),
                loadAverage());
        summary.forEach(System.out::println);
        for (ObjectNode result : results) {
            System.out.println("RESULT " + JSON.writeValueAsString(result));
        }
    }

    // --- (b) topic creation ---------------------------------------------------------------

    private void createTopics() throws Exception {
        int topics = options.topics();
        int threads = Math.min(options.createThreads(), topics);
        System.out.printf("creating %,d topics x %d partitions (replication factor %d) from %d thread(s)...%n", topics,
                options.partitions(), options.replicationFactor(), threads);
        long[] nanos = new long[topics];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                workers.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < topics; i = next.getAndIncrement()) {
                        String name = topicName(i);
                        long t0 = System.nanoTime();
                        try {
                            deadline().createTopic(CreateTopicRequest.newBuilder().setName(name)
                                    .setPartitions(options.partitions()).setReplicationFactor(options.replicationFactor()).build());
                        } catch (StatusRuntimeException e) {
                            throw new IllegalStateException("CreateTopic " + name + " failed: " + e.getStatus(), e);
                        }
                        nanos[i] = System.nanoTime() - t0;
                        int n = done.incrementAndGet();
                        if (n % 100 == 0) {
                            System.out.printf("  %,d topics, %.1f s%n", n, (System.nanoTime() - start) / 1e9);
                        }
                    }
                    return null;
                }));
            }
            join(workers);
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Latencies calls = Latencies.ofNanos(nanos);
        double topicsPerSecond = topics / seconds;
        double partitionsPerSecond = (double) topics * options.partitions() / seconds;
        summary.add(String.format(Locale.ROOT, "(b) CreateTopic x %,d (%d partitions each, RF %d, %d thread(s)): %.1f s ="
                        + " %.1f topics/s, %,.0f partitions/s; per call %s", topics, options.partitions(),
                options.replicationFactor(), threads, seconds, topicsPerSecond, partitionsPerSecond, calls));
        ObjectNode r = result("create_topics");
        r.put("topics", topics).put("partitions_per_topic", options.partitions()).put("replication_factor",
                options.replicationFactor()).put("threads", threads).put("seconds", round(seconds))
                .put("topics_per_s", round(topicsPerSecond)).put("partitions_per_s", round(partitionsPerSecond));
        latencies(r, calls);
    }

    String topicName(int i) {
        return String.format(Locale.ROOT, "%s%04d", options.topicPrefix(), i);
    }

    /**
     * Waits until the cluster's processes together use less than 0.15 of a core over a second
     * (at most 5 minutes): storage nodes open the new partitions' logs after creation, and a
     * metadata latency measured meanwhile would measure that instead.
     */
    private void awaitQuiet() throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MINUTES.toNanos(5);
        long previous = clusterCpuNanos();
        while (System.nanoTime() < deadline) {
            Thread.sleep(1000);
            long now = clusterCpuNanos();
            boolean quiet = now - previous < 150_000_000L;
            previous = now;
            if (quiet) {
                System.out.printf("cluster quiet %.1f s after the last CreateTopic%n", (System.nanoTime() - start) / 1e9);
                return;
            }
        }
        System.out.println("warning: the cluster was still busy after 5 minutes; measuring anyway");
    }

    private long clusterCpuNanos() {
        return cluster.processes().stream()
                .mapToLong(p -> ProcessHandle.of(p.pid()).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos)
                        .orElse(0L))
                .sum();
    }

    // --- (a) GetMetadata latency -------------------------------------------------------------

    private void measureMetadata(int threads, int expectedPartitions) throws Exception {
        int calls = options.metadataCalls() / threads * threads;
        ClusterMetadata sample = metadata(MetadataRequest.getDefaultInstance());
        int bytes = sample.getSerializedSize();
        System.out.printf("GetMetadata (all topics: %,d topics, %,d partitions, %,d bytes) from %d thread(s): %d warm-up,"
                + " %d measured calls...%n", sample.getTopicsCount(), partitionCount(sample), bytes, threads,
                options.warmupCalls(), calls);
        for (int i = 0; i < options.warmupCalls(); i++) {
            metadata(MetadataRequest.getDefaultInstance());
        }
        long[] nanos = new long[calls];
        int perThread = calls / threads;
        long[] wall = new long[2];
        CyclicBarrier go = new CyclicBarrier(threads, () -> wall[0] = System.nanoTime());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int from = t * perThread;
                workers.add(pool.submit(() -> {
                    go.await();
                    for (int i = from; i < from + perThread; i++) {
                        long t0 = System.nanoTime();
                        ClusterMetadata m = metadata(MetadataRequest.getDefaultInstance());
                        nanos[i] = System.nanoTime() - t0;
                        if (partitionCount(m) != expectedPartitions) {
                            throw new IllegalStateException("GetMetadata answered " + partitionCount(m) + " partitions; expected "
                                    + expectedPartitions);
                        }
                    }
                    return null;
                }));
            }
            join(workers);
            wall[1] = System.nanoTime();
        } finally {
            pool.shutdownNow();
        }
        double seconds = (wall[1] - wall[0]) / 1e9;
        Latencies latencies = Latencies.ofNanos(nanos);
        double parseMs = clientParseMs(sample);
        boolean met = latencies.p99Ms() < TARGET_METADATA_P99_MS;
        summary.add(String.format(Locale.ROOT, "(a) GetMetadata all topics (%,d topics, %,d partitions, %,d bytes), %d thread(s): %s;"
                        + " %.0f calls/s; client-side parse %.2f ms of each -> p99 target < %d ms: %s", sample.getTopicsCount(),
                partitionCount(sample), bytes, threads, latencies, calls / seconds, parseMs, TARGET_METADATA_P99_MS,
                met ? "MET" : "MISSED"));
        ObjectNode r = result("get_metadata_all");
        r.put("threads", threads).put("topics", sample.getTopicsCount()).put("partitions", partitionCount(sample))
                .put("response_bytes", bytes).put("calls_per_s", round(calls / seconds)).put("client_parse_ms", round(parseMs))
                .put("target_p99_ms", TARGET_METADATA_P99_MS).put("met", met);
        latencies(r, latencies);
    }

    /** Median time to parse {@code sample}'s bytes: the client's share of each call. */
    private static double clientParseMs(ClusterMetadata sample) throws Exception {
        byte[] bytes = sample.toByteArray();
        long[] nanos = new long[50];
        for (int i = 0; i < 100 + nanos.length; i++) {
            long t0 = System.nanoTime();
            ClusterMetadata.parseFrom(bytes);
            if (i >= 100) {
                nanos[i - 100] = System.nanoTime() - t0;
            }
        }
        return Latencies.ofNanos(nanos).p50Ms();
    }

    // --- (c) a storage node's death ------------------------------------------------------------

    private void measureDeath(int nodeId, Death death) throws Exception {
        ClusterProcess process = cluster.storage(nodeId)
                .orElseThrow(() -> new IllegalArgumentException("cluster.json has no storage node " + nodeId));
        ProcessHandle handle = ProcessHandle.of(process.pid()).filter(ProcessHandle::isAlive)
                .orElseThrow(() -> new IllegalStateException("storage node " + nodeId + " (pid " + process.pid() + ") is not running"));
        awaitLiveNodes(List.of(nodeId), Duration.ofSeconds(30));
        long limitMs = options.sessionTimeoutMs() + DEATH_SLACK_MS;
        System.out.printf("%s storage node %d (pid %d), polling GetMetadata every %d ms...%n", death.label, nodeId, process.pid(),
                options.pollMs());
        long start = System.nanoTime();
        if (death == Death.KILL) {
            handle.destroyForcibly();
        } else {
            signal("STOP", process.pid());
        }
        long lastSeenNanos = 0;
        long goneNanos = -1;
        int polls = 0;
        long giveUp = start + TimeUnit.MILLISECONDS.toNanos(3 * options.sessionTimeoutMs() + 10_000);
        try {
            while (System.nanoTime() < giveUp) {
                long callStart = System.nanoTime();
                boolean present = liveNodes().contains(nodeId);
                long callEnd = System.nanoTime();
                polls++;
                if (!present) {
                    goneNanos = callEnd - start;
                    break;
                }
                lastSeenNanos = callStart - start;
                Thread.sleep(options.pollMs());
            }
        } finally {
            if (death == Death.FREEZE) {
                handle.destroyForcibly();   // a stopped process would ignore the SIGTERM of cluster down
            }
        }
        ObjectNode r = result("node_death");
        r.put("node", nodeId).put("how", death == Death.KILL ? "sigkill" : "sigstop").put("session_timeout_ms",
                options.sessionTimeoutMs()).put("target_ms", limitMs).put("polls", polls);
        if (goneNanos < 0) {
            summary.add(String.format(Locale.ROOT, "(c) %s of storage node %d: still listed after %,d ms -> target <= %d ms: MISSED",
                    death.label, nodeId, TimeUnit.NANOSECONDS.toMillis(giveUp - start), limitMs));
            r.putNull("gone_ms").put("met", false);
            return;
        }
        double goneMs = goneNanos / 1e6;
        boolean met = goneMs <= limitMs;
        String why = death == Death.KILL ? "its session stream broke" : "its lease expired; the last keep-alive came up to"
                + " timeout/3 before the signal";
        summary.add(String.format(Locale.ROOT, "(c) %s of storage node %d: gone from GetMetadata %.0f ms after the signal (last seen"
                        + " in a call started at %.0f ms; %d polls; %s) -> session timeout %d ms, target <= %d ms: %s", death.label,
                nodeId, goneMs, lastSeenNanos / 1e6, polls, why, options.sessionTimeoutMs(), limitMs, met ? "MET" : "MISSED"));
        r.put("gone_ms", round(goneMs)).put("last_seen_ms", round(lastSeenNanos / 1e6)).put("met", met);
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
        }
    }

    // --- helpers ---------------------------------------------------------------------------------

    /** Waits for every worker; a worker's failure is rethrown as it was. */
    private static void join(List<Future<?>> workers) throws Exception {
        for (Future<?> w : workers) {
            try {
                w.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw e;
            }
        }
    }

    private CoordinationGrpc.CoordinationBlockingStub deadline() {
        return coordination.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private ClusterMetadata metadata(MetadataRequest request) {
        return deadline().getMetadata(request);
    }

    /** The live (ready) storage node ids, from a GetMetadata that names one absent topic. */
    private Set<Integer> liveNodes() {
        return metadata(MetadataRequest.newBuilder().addTopics(PROBE_TOPIC).build()).getNodesList().stream()
                .map(Node::getNodeId).collect(Collectors.toSet());
    }

    private void awaitLiveNodes(List<Integer> ids, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<Integer> live = Set.of();
        while (System.nanoTime() < deadline) {
            try {
                live = liveNodes();
                if (live.containsAll(ids)) {
                    return;
                }
            } catch (StatusRuntimeException e) {
                // coordination may still be starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("storage nodes " + ids + " not all live after " + timeout.toSeconds() + " s; live: " + live);
    }

    /** The 1/5/15-minute load averages, or "?" off Linux: whether something else shared the machine. */
    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    static int partitionCount(ClusterMetadata metadata) {
        int n = 0;
        for (TopicMetadata t : metadata.getTopicsList()) {
            n += t.getPartitionsCount();
        }
        return n;
    }

    private static Map<Integer, Integer> leadersPerNode(ClusterMetadata metadata) {
        Map<Integer, Integer> leaders = new TreeMap<>();
        for (TopicMetadata t : metadata.getTopicsList()) {
            for (PartitionState p : t.getPartitionsList()) {
                leaders.merge(p.getLeader(), 1, Integer::sum);
            }
        }
        return leaders;
    }

    private ObjectNode result(String measurement) {
        ObjectNode r = JSON.createObjectNode().put("bench", "cluster-metadata").put("measurement", measurement);
        results.add(r);
        return r;
    }

    private static void latencies(ObjectNode r, Latencies l) {
        r.put("calls", l.count()).put("p50_ms", round(l.p50Ms())).put("p90_ms", round(l.p90Ms())).put("p99_ms", round(l.p99Ms()))
                .put("max_ms", round(l.maxMs())).put("mean_ms", round(l.meanMs()));
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
