package io.strata.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.admin.NewTopic;
import io.strata.client.admin.StrataAdmin;
import io.strata.client.consumer.ConsumerConfig;
import io.strata.client.consumer.ConsumerRebalanceListener;
import io.strata.client.consumer.OffsetAndMetadata;
import io.strata.client.consumer.StrataConsumer;
import io.strata.client.serialization.ByteArrayDeserializer;
import io.strata.proto.v1.ErrorCode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Offset-commit throughput of the groups role on a running server ({@code --bootstrap}): K threads,
 * each a group member that owns {@code --partitions-per-member} partitions and commits an offset for
 * each of them in a loop with {@code commitSync} (one CommitOffsets call per commit, waiting for it to
 * be stored), in two layouts:
 * <ul>
 *   <li>{@code members}: the K members of one group, over a topic of K × M partitions (the uniform
 *       assignor gives each M);</li>
 *   <li>{@code groups}: K groups of one member each, over a topic of M partitions (each owns all M).</li>
 * </ul>
 * The members join and wait until every one owns its partitions (polling, then pausing them so no
 * fetch runs; a poll that throws because the membership failed for good is counted, reported, and the
 * member subscribes again), then commit for {@code --warmup-s} unmeasured and {@code --duration-s} measured
 * seconds; a member polls once a second meanwhile (paused: no fetch) to keep its poll timer.
 * Offsets grow by one per commit. Reports commits/s, offsets/s (commits × M) and commitSync latency,
 * and one {@code RESULT {json}} line per layout. Usage: {@code CommitRateBench --bootstrap HOST:PORT
 * [options]} ({@code --help}).
 */
public final class CommitRateBench {

    static final String USAGE = """
            Usage: CommitRateBench --bootstrap HOST:PORT [options]
              --bootstrap HOST:PORT        a running standalone or cluster (required)
              --threads K                  committing members (default 8)
              --partitions-per-member M    partitions each member owns and commits (default 4)
              --modes LIST                 members, groups or both, comma-separated (default members,groups)
              --warmup-s S                 unmeasured commits first (default 5)
              --duration-s S               measured commits (default 20)
              --topic-prefix NAME          topics NAME-members-K-M and NAME-groups-M (default commit-bench)
              --label TEXT                 what the server is, for the output (default the bootstrap)
              --join-timeout-s S           every member must own its partitions within S (default 120)
              --consumer-props K=V,...     extra consumer configs
              --help                       this text
            """;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> OPTIONS = Set.of("bootstrap", "threads", "partitions-per-member", "modes", "warmup-s",
            "duration-s", "topic-prefix", "label", "join-timeout-s", "consumer-props");

    /** The command line. */
    record Options(String bootstrap, int threads, int perMember, List<String> modes, long warmupS, long durationS,
                   String topicPrefix, String label, long joinTimeoutS, Map<String, String> consumerProps) {

        static Options parse(String... args) {
            BenchArgs a = BenchArgs.parse(OPTIONS, args);
            String bootstrap = a.required("bootstrap");
            List<String> modes = a.list("modes", "members,groups");
            for (String m : modes) {
                if (!m.equals("members") && !m.equals("groups")) {
                    throw new IllegalArgumentException("--modes takes members and/or groups, got '" + m + "'");
                }
            }
            if (modes.isEmpty()) {
                throw new IllegalArgumentException("--modes names no layout");
            }
            return new Options(bootstrap, (int) a.number("threads", 8, 1, 1000), (int) a.number("partitions-per-member", 4, 1, 10_000),
                    modes, a.number("warmup-s", 5, 0, 3600), a.number("duration-s", 20, 1, 3600),
                    a.string("topic-prefix", "commit-bench"), a.string("label", bootstrap), a.number("join-timeout-s", 120, 1, 3600),
                    a.pairs("consumer-props"));
        }
    }

    /** One layout's result. */
    record Result(String mode, int threads, int perMember, long commits, long failed, double seconds, Latencies latency) {
        double commitsPerSec() {
            return commits / seconds;
        }

        double offsetsPerSec() {
            return commits * (double) perMember / seconds;
        }
    }

    private final Options options;
    private final StrataAdmin admin;

    private CommitRateBench(Options options, StrataAdmin admin) {
        this.options = options;
        this.admin = admin;
    }

    public static void main(String[] args) throws Exception {
        Options options = BenchArgs.parseOrExit(args, USAGE, Options::parse);
        if (options == null) {
            return;
        }
        int code = 0;
        try (StrataAdmin admin = StrataAdmin.forBootstrap(options.bootstrap())) {
            CommitRateBench bench = new CommitRateBench(options, admin);
            List<Result> results = new ArrayList<>();
            for (String mode : options.modes()) {
                Result r = bench.run(mode);
                results.add(r);
                System.out.println(line(options, r));
            }
            report(options, results);
        } catch (IllegalStateException | StrataException e) {
            System.err.println("Error: " + e.getMessage());
            code = 1;
        }
        System.exit(code);
    }

    private Result run(String mode) throws Exception {
        boolean oneGroup = mode.equals("members");
        int k = options.threads();
        int m = options.perMember();
        String topic = options.topicPrefix() + (oneGroup ? "-members-" + k + "-" + m : "-groups-" + m);
        int partitions = oneGroup ? k * m : m;
        createTopic(topic, partitions);
        String run = Long.toString(System.currentTimeMillis());
        System.out.printf(Locale.ROOT, "%s: %d threads, %s, topic %s (%d partitions), %d partitions per commit; warm-up %d s, measured %d s%n",
                options.label(), k, oneGroup ? "one group of " + k + " members" : k + " groups of one member", topic, partitions, m,
                options.warmupS(), options.durationS());

        CountDownLatch ready = new CountDownLatch(k);
        Phase phase = new Phase();
        List<Committer> committers = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            String group = oneGroup ? "commit-bench-" + run : "commit-bench-" + run + "-g" + i;
            Committer c = new Committer(i, consumerConfig(group, i), topic, m, ready, phase);
            committers.add(c);
            c.thread.start();
        }
        try {
            if (!ready.await(options.joinTimeoutS(), TimeUnit.SECONDS)) {
                String owned = committers.stream().map(c -> Integer.toString(c.owned.size())).reduce((a, b) -> a + "," + b).orElse("");
                throw new IllegalStateException("the members did not own " + m + " partitions each within " + options.joinTimeoutS()
                        + " s (owned: " + owned + "); " + committers.stream().mapToLong(c -> c.joinFailures.get()).sum()
                        + " polls threw while joining, first: " + committers.stream().map(c -> c.firstJoinFailure)
                        .filter(f -> f != null).findFirst().map(Throwable::getMessage).orElse("none"));
            }
            phase.set(Phase.WARMUP);
            Thread.sleep(TimeUnit.SECONDS.toMillis(options.warmupS()));
            long start = System.nanoTime();
            phase.set(Phase.MEASURE);
            Thread.sleep(TimeUnit.SECONDS.toMillis(options.durationS()));
            phase.set(Phase.DONE);
            long end = System.nanoTime();
            for (Committer c : committers) {
                c.thread.join(60_000);
            }
            long commits = committers.stream().mapToLong(c -> c.measured.get()).sum();
            long failed = committers.stream().mapToLong(c -> c.failed.get()).sum();
            long[] latencies = committers.stream().flatMapToLong(c -> Arrays.stream(c.latencies())).toArray();
            committers.stream().filter(c -> c.failure != null).findFirst()
                    .ifPresent(c -> System.out.println("  member " + c.index + " failed: " + c.failure));
            long joinFailures = committers.stream().mapToLong(c -> c.joinFailures.get()).sum();
            if (joinFailures > 0) {
                System.out.println("  while joining, " + joinFailures + " polls threw and the member subscribed again; first: "
                        + committers.stream().map(c -> c.firstJoinFailure).filter(f -> f != null).findFirst()
                        .map(Throwable::getMessage).orElse("?"));
            }
            if (latencies.length == 0) {
                throw new IllegalStateException("no commit completed in the measured window (" + failed + " failed)");
            }
            return new Result(mode, k, m, commits, failed, (end - start) / 1e9, Latencies.ofNanos(latencies));
        } finally {
            phase.set(Phase.DONE);
            for (Committer c : committers) {
                c.thread.join(60_000);
            }
        }
    }

    private void createTopic(String topic, int partitions) {
        try {
            admin.createTopic(new NewTopic(topic, partitions, 1));
        } catch (StrataException e) {
            if (e.reason() != ErrorCode.TOPIC_ALREADY_EXISTS) {
                throw e;
            }
            int have = admin.describeTopic(topic).partitions().size();
            if (have != partitions) {
                throw new IllegalStateException("topic " + topic + " exists with " + have + " partitions, not " + partitions);
            }
        }
    }

    private Map<String, Object> consumerConfig(String group, int index) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bootstrap.servers", options.bootstrap());
        config.put("client.id", "commit-bench-" + index);
        config.put(ConsumerConfig.GROUP_ID, group);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT, "false");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET, "latest");
        config.putAll(options.consumerProps());
        return config;
    }

    /** The bench's phase, read by every committer. */
    private static final class Phase {
        static final int JOIN = 0;
        static final int WARMUP = 1;
        static final int MEASURE = 2;
        static final int DONE = 3;
        private volatile int value = JOIN;

        int get() {
            return value;
        }

        void set(int v) {
            value = v;
        }
    }

    /** One member on its own thread: joins, waits for its partitions, then commits until DONE. */
    private static final class Committer {
        final int index;
        final Thread thread;
        final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
        final AtomicLong measured = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong joinFailures = new AtomicLong();
        volatile Throwable firstJoinFailure;
        private final Map<String, Object> config;
        private final String topic;
        private final int share;
        private final CountDownLatch ready;
        private final Phase phase;
        private long[] latencies = new long[1 << 14];
        private int latencyCount;
        volatile Throwable failure;

        Committer(int index, Map<String, Object> config, String topic, int share, CountDownLatch ready, Phase phase) {
            this.index = index;
            this.config = config;
            this.topic = topic;
            this.share = share;
            this.ready = ready;
            this.phase = phase;
            this.thread = Thread.ofPlatform().name("commit-bench-" + index).daemon().unstarted(this::run);
        }

        private void run() {
            try (StrataConsumer<byte[], byte[]> consumer = new StrataConsumer<>(config, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                        owned.removeAll(partitions);
                    }

                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        owned.addAll(partitions);
                        consumer.pause(partitions);  // nothing is fetched: only commits are measured
                    }
                };
                consumer.subscribe(List.of(topic), listener);
                boolean counted = false;
                while (phase.get() == Phase.JOIN || !counted) {
                    try {
                        consumer.poll(Duration.ofMillis(50));
                    } catch (StrataException e) {
                        // the membership failed for good (the client's FATAL state): subscribe again, as an
                        // application would; counted and reported
                        if (joinFailures.getAndIncrement() == 0) {
                            firstJoinFailure = e;
                        }
                        Thread.sleep(100);
                        consumer.subscribe(List.of(topic), listener);
                        continue;
                    }
                    if (!counted && owned.size() == share) {
                        ready.countDown();
                        counted = true;
                    }
                    if (phase.get() == Phase.DONE) {
                        return;
                    }
                }
                commit(consumer);
            } catch (Throwable t) {
                failure = t;
            }
        }

        private void commit(StrataConsumer<byte[], byte[]> consumer) {
            long offset = 0;
            long lastPoll = System.nanoTime();
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            int p;
            while ((p = phase.get()) != Phase.DONE) {
                offset++;
                offsets.clear();
                for (TopicPartition tp : owned) {
                    offsets.put(tp, new OffsetAndMetadata(offset));
                }
                long t0 = System.nanoTime();
                try {
                    consumer.commitSync(offsets);
                } catch (RuntimeException e) {
                    failed.incrementAndGet();
                    continue;
                }
                long t1 = System.nanoTime();
                if (p == Phase.MEASURE && phase.get() == Phase.MEASURE) {
                    measured.incrementAndGet();
                    record(t1 - t0);
                }
                if (t1 - lastPoll > TimeUnit.SECONDS.toNanos(1)) {
                    consumer.poll(Duration.ZERO);   // keeps the poll timer; its partitions are paused
                    lastPoll = t1;
                }
            }
        }

        private void record(long nanos) {
            if (latencyCount == latencies.length) {
                latencies = Arrays.copyOf(latencies, latencies.length * 2);
            }
            latencies[latencyCount++] = nanos;
        }

        /** Read after the thread ended. */
        long[] latencies() {
            return Arrays.copyOf(latencies, latencyCount);
        }
    }

    // --- output ------------------------------------------------------------------------------------

    private static String layout(Result r) {
        return r.mode().equals("members") ? "1 group x " + r.threads() + " members" : r.threads() + " groups x 1 member";
    }

    private static String line(Options o, Result r) {
        return String.format(Locale.ROOT, "%s, %s, %d partitions per commit: %,.0f commits/s, %,.0f offsets/s (%,d commits in %.1f s,"
                        + " %d failed); commitSync %s", o.label(), layout(r), r.perMember(), r.commitsPerSec(), r.offsetsPerSec(),
                r.commits(), r.seconds(), r.failed(), r.latency());
    }

    private static void report(Options o, List<Result> results) throws IOException {
        System.out.println();
        System.out.printf("== Offset commit rate (%s; %d cores, load average %s) ==%n", o.label(), Runtime.getRuntime().availableProcessors(),
                loadAverage());
        System.out.println();
        System.out.println("| server | layout | offsets per commit | commits/s | offsets/s | commitSync p50 ms | p99 ms | max ms | failed |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %,.0f | %,.0f | %.2f | %.2f | %.2f | %d |%n", o.label(), layout(r), r.perMember(),
                    r.commitsPerSec(), r.offsetsPerSec(), r.latency().p50Ms(), r.latency().p99Ms(), r.latency().maxMs(), r.failed());
        }
        for (Result r : results) {
            System.out.println("RESULT " + JSON.writeValueAsString(JSON.createObjectNode().put("bench", "commit-rate")
                    .put("server", o.label()).put("mode", r.mode()).put("threads", r.threads()).put("offsets_per_commit", r.perMember())
                    .put("commits", r.commits()).put("seconds", Math.round(r.seconds() * 100) / 100.0)
                    .put("commits_per_sec", Math.round(r.commitsPerSec() * 10) / 10.0)
                    .put("offsets_per_sec", Math.round(r.offsetsPerSec() * 10) / 10.0).put("failed", r.failed())
                    .put("p50_ms", r.latency().p50Ms()).put("p99_ms", r.latency().p99Ms()).put("max_ms", r.latency().maxMs())));
        }
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
