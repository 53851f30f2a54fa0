package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.strata.proto.v1.ElectPreferredLeadersRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ReplicationGrpc;
import io.strata.proto.v1.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Replication under faults, on a three-storage-node cluster ({@code strata cluster up
 * --storage-nodes 3}: two replication controllers, one active and one hot standby) with a short
 * session timeout. Each test has a topic of its own (three partitions, replication factor 3,
 * {@code min.insync.replicas=2}, the defaults), an acks=all idempotent producer fed at 50
 * records/s and a consumer tailing the topic ({@link TopicTraffic}), while storage nodes and controllers are killed with {@code cluster kill} (kill -9) and brought
 * back with {@code cluster start}, or a leader is cut off from coordination. Each bounds how
 * long the cluster may take to fail over and to bring a returning replica back into the ISR,
 * and ends with the history check ({@link HistoryChecker}): every acknowledged record is in the
 * log exactly once, at its offset and in order; no record is in the log twice; nothing a
 * producer was not told about (or was told failed) is there unless its answer was lost; the
 * producer failed nothing; and the consumer alongside saw only records the log still has.
 *
 * <p>Leader epochs are read from coordination's {@code GetMetadata} (describe does not show
 * them); leaders and ISRs are polled there too, which is cheap, and then confirmed with
 * {@code topic describe --output json}, what a user reads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReplicationFaultIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 3;
    /** The roles' session timeout: a dead or cut-off node's partitions fail over this long after it went silent. */
    private static final Duration SESSION = Duration.ofSeconds(3);
    /** The file in a storage node's data directory that cuts it off from coordination while it exists. */
    private static final String CUT_FILE = "cut-coordination";
    /** A dead leader's partitions have a new leader within this (its session lapses, the controller elects). */
    private static final Duration FAILOVER = SESSION.plusSeconds(12);
    /** The same when the active controller dies too: its session lapses as well and the standby takes over first. */
    private static final Duration CONTROLLER_FAILOVER = SESSION.multipliedBy(2).plusSeconds(14);
    /** A restarted or reconnected replica is back in the ISR of its partitions within this. */
    private static final Duration REJOIN = Duration.ofSeconds(45);
    /**
     * The producer acknowledges in every partition again within this after a failover. A request
     * held by a leader cut off from coordination times out first (request.timeout.ms, 30 s).
     */
    private static final Duration RESUME = Duration.ofSeconds(60);
    /** How many records the log of a partition moves on while a follower is down. */
    private static final int MISSED = 100;

    private Path work;
    private LocalClusterDir cluster;
    private CoordinationMetadata metadata;
    private final List<TopicTraffic> traffic = new ArrayList<>();

    @BeforeAll
    void up() throws Exception {
        work = Files.createTempDirectory("strata-replication-fault-it");
        // cluster up and cluster start pass STRATA_JAVA_OPTS to the roles: every storage node gets the test hook.
        cluster = new LocalClusterDir(work.resolve("cluster"),
                Map.of("STRATA_JAVA_OPTS", "-Dstrata.testing.cut-coordination-file=" + CUT_FILE));
        Cli.Result up = cluster.cluster("up", "--storage-nodes", "3", "--session-timeout-ms",
                Long.toString(SESSION.toMillis()));
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        metadata = new CoordinationMetadata(cluster.coordinationChannel());
        await("an active replication controller").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().untilAsserted(() -> assertThat(activeController()).isPresent());
    }

    /** A test that failed before its history check prints its timeline, for the diagnosis, and stops its traffic. */
    @AfterEach
    void reportAndStopAFailedTest() throws Exception {
        for (TopicTraffic t : traffic) {
            if (!t.reported()) {
                t.report();
                t.kill();
            }
        }
    }

    @AfterAll
    void down() throws Exception {
        for (TopicTraffic t : traffic) {
            t.kill();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * A leader cut off from coordination (the storage node's test hook; it goes on serving
     * clients and peers) loses its partitions after its session lapses. Meanwhile it still
     * believes it leads, and acks=all produce requests sent straight to it must all fail
     * ({@code REQUEST_TIMED_OUT} or {@code NOT_LEADER}), never succeed: the followers fetch from
     * the new leader, so its high watermark is stuck. Reconnected, it rejoins the ISR as a
     * follower within {@link #REJOIN}, having truncated what it took meanwhile (its segment
     * files no longer hold those records); made leader again (preferred replica election), it
     * serves the history the producer was told about. Runs first: the controller never moves
     * leadership back to a node whose run began after a crash, and the later tests crash every node.
     */
    @Test
    @Order(1)
    void aLeaderCutOffFromCoordinationLosesLeadershipFailsAcksAllWritesAndRejoinsAsAFollowerWithoutThem()
            throws Exception {
        TopicTraffic t = traffic("cut-off");
        Map<Integer, PartitionState> before = states(t.topic);
        PartitionState chosen = before.values().stream().filter(s -> s.getLeader() == s.getReplicas(0)).findFirst()
                .orElseThrow(() -> new AssertionError("no partition led by its preferred replica: " + before.values()));
        int partition = chosen.getPartition();
        int old = chosen.getLeader();
        assertThat(uncleanRun(old)).as("node %d's run began after an unclean shutdown", old).isFalse();
        Set<Integer> led = partitionsLedBy(before, old);
        Path cut = cluster.dataDir("storage", old).resolve(CUT_FILE);
        t.mark("node " + old + " cut off from coordination (leads " + led + ")");
        Files.createFile(cut);
        List<ProduceProbe> probes = new ArrayList<>();
        try {
            awaitNewLeaders(t.topic, led, old, before, FAILOVER);
            // Records sent before this were still acknowledged by node `old`, legitimately: the followers fetched
            // from it until they heard of the new leader. One sent after it and acknowledged in every partition
            // shows the followers fetch from the new leaders (its request to `old` timed out first, and was retried).
            Map<String, Integer> movedAt = t.mark("partitions " + led + " led by " + leadersOf(t.topic, led));
            t.awaitAcksInEveryPartitionAfter(movedAt, RESUME);
            t.mark("acknowledged in every partition again (by the new leaders)");
            assertThat(cluster.alive("storage", old)).as("storage-%d runs", old).isTrue();
            for (int i = 1; i <= 3; i++) {
                probes.add(ProduceProbe.send(cluster, old, t.topic, partition, "cut-off-probe", "cut-off-probe-" + i));
            }
            t.mark("acks=all writes straight to node " + old + ": " + probes);
            t.mark("of which node " + old + "'s segment files hold " + probes.stream()
                    .filter(p -> segmentsContain(old, t.topic, partition, p.value())).map(ProduceProbe::value).toList());
        } finally {
            Files.deleteIfExists(cut);
        }
        t.mark("node " + old + " reconnected to coordination");
        assertThat(probes).as("acks=all produce requests sent to node %d while it was cut off", old).allSatisfy(p -> {
            assertThat(p.acknowledged()).as(p.toString()).isFalse();
            assertThat(p.reason()).as(p.toString()).isIn(ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_LEADER);
        });

        awaitInIsr(t.topic, old, allPartitions(), REJOIN);
        t.mark("node " + old + " in the ISR of every partition");
        assertThat(probes.stream().filter(p -> segmentsContain(old, t.topic, partition, p.value())).map(ProduceProbe::value))
                .as("records in node %d's segments of partition %d after it rejoined the ISR", old, partition).isEmpty();
        await("node " + old + " leads partition " + partition + " again").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
                    if (states(t.topic).get(partition).getLeader() != old) {
                        electPreferredLeader(t.topic, partition);
                    }
                    assertThat(states(t.topic).get(partition).getLeader()).isEqualTo(old);
                });
        t.mark("node " + old + " leads partition " + partition + " again (preferred replica election)");
        // The probes' records are gone: the history check finds any value the producer did not send.
        t.finishAndCheck();
    }

    /**
     * On each of the three nodes in turn: kill -9 a node that leads a partition while the
     * producer and the consumer run; its partitions get a new leader (another node, a higher
     * leader epoch) within {@link #FAILOVER} and production goes on; {@code cluster start}
     * brings it back and it rejoins the ISR of every partition within {@link #REJOIN}.
     */
    @Test
    @Order(2)
    void aKilledLeaderIsReplacedWhileProducingAndRejoinsTheIsrAfterClusterStartOnEachNodeInTurn() throws Exception {
        TopicTraffic t = traffic("leader-kill");
        Set<Integer> killed = new TreeSet<>();
        while (killed.size() < 3) {
            Map<Integer, PartitionState> before = states(t.topic);
            int node = before.values().stream().map(PartitionState::getLeader).filter(l -> l >= 0 && !killed.contains(l))
                    .findFirst().orElseThrow(() -> new AssertionError("no partition of " + t.topic
                            + " is led by a node not killed yet (killed " + killed + "): " + before.values()));
            Set<Integer> led = partitionsLedBy(before, node);
            Map<String, Integer> killedAt = t.mark("cluster kill " + node + " (leads partitions " + led + ")");
            kill(Integer.toString(node));
            awaitNewLeaders(t.topic, led, node, before, FAILOVER);
            t.mark("partitions " + led + " led by " + leadersOf(t.topic, led));
            t.awaitAcksInEveryPartitionAfter(killedAt, RESUME);
            t.mark("acknowledged in every partition again");
            start(Integer.toString(node));
            t.mark("cluster start " + node + " returned");
            awaitInIsr(t.topic, node, allPartitions(), REJOIN);
            t.mark("node " + node + " in the ISR of every partition");
            killed.add(node);
        }
        t.finishAndCheck();
    }

    /**
     * A leader's node ({@code cluster kill}) and, in the same second, the active replication
     * controller ({@code kill -9} right after) are killed: the standby controller takes over and the partitions
     * still get a new leader within {@link #CONTROLLER_FAILOVER}; both come back with
     * {@code cluster start}, the restarted controller as the standby.
     */
    @Test
    @Order(3)
    void aLeaderKilledInTheSameSecondAsTheActiveControllerGetsANewLeaderFromTheStandbyController() throws Exception {
        TopicTraffic t = traffic("controller-kill");
        int active = activeController().orElseThrow(() -> new AssertionError("no active replication controller"));
        int standby = 3 - active;
        Map<Integer, PartitionState> before = states(t.topic);
        int node = before.get(0).getLeader();
        Set<Integer> led = partitionsLedBy(before, node);
        Map<String, Integer> killedAt = t.mark("cluster kill " + node + " (leads " + led + "), then kill -9 replication-"
                + active + " (active)");
        long controllerPid = cluster.pid("replication", active);
        kill(Integer.toString(node));
        long nodeGone = System.nanoTime();
        LocalClusterDir.signal(controllerPid, "KILL"); // right after, as a script would: `cluster kill` takes a JVM start
        double gap = (System.nanoTime() - nodeGone) / 1e9;
        assertThat(gap).as("seconds between node %d gone and the SIGKILL of replication-%d", node, active).isLessThan(1.0);
        await("replication-" + active + " gone").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> !cluster.alive("replication", active));
        t.mark(String.format("both killed, %.2f s apart", gap));
        assertThat(cluster.alive("storage", node)).isFalse();

        awaitNewLeaders(t.topic, led, node, before, CONTROLLER_FAILOVER);
        t.mark("partitions " + led + " led by " + leadersOf(t.topic, led));
        await("replication-" + standby + " is the active controller").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> assertThat(activeController()).hasValue(standby));
        t.awaitAcksInEveryPartitionAfter(killedAt, RESUME);
        t.mark("acknowledged in every partition again");

        start(Integer.toString(node));
        start("replication-" + active);
        t.mark("cluster start " + node + " and replication-" + active + " returned");
        awaitInIsr(t.topic, node, allPartitions(), REJOIN);
        t.mark("node " + node + " in the ISR of every partition");
        assertThat(activeController()).as("the active controller after replication-%d restarted", active).hasValue(standby);
        t.finishAndCheck();
    }

    /**
     * A follower killed while the log moves on by {@link #MISSED} records comes back with
     * {@code cluster start}, truncates and catches up, and is in the ISR again within
     * {@link #REJOIN}. It really caught up: killing the leader then elects it (the next replica
     * in order; every replica's run began after a crash, so none is preferred for a clean start),
     * and it serves every record acknowledged so far at its offset.
     */
    @Test
    @Order(4)
    void aFollowerThatMissedRecordsCatchesUpRejoinsTheIsrAndIsElectedWithEveryAcknowledgedRecord() throws Exception {
        TopicTraffic t = traffic("follower-catch-up");
        int partition = 0;
        PartitionState initial = states(t.topic).get(partition);
        int leader = initial.getLeader();
        // The replica elected when the leader dies: the first other one in replica order, while it is in the ISR.
        int follower = initial.getReplicasList().stream().filter(r -> r != leader).findFirst().orElseThrow();
        int third = initial.getReplicasList().stream().filter(r -> r != leader && r != follower).findFirst().orElseThrow();
        // The rules prefer ISR members whose run began cleanly; the follower's next run will not (kill -9). So the
        // third replica must have crashed before as well, as every node did in the test before this one.
        if (!uncleanRun(third)) {
            t.mark("cluster kill " + third + " and cluster start " + third + ": it has crashed once too");
            kill(Integer.toString(third));
            start(Integer.toString(third));
            awaitInIsr(t.topic, third, allPartitions(), REJOIN);
        }
        t.mark("cluster kill " + follower + " (follows partition " + partition + ", led by " + leader + ")");
        kill(Integer.toString(follower));
        await("node " + follower + " out of the ISR of partition " + partition).atMost(FAILOVER)
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> assertThat(states(t.topic).get(partition).getIsrList()).doesNotContain(follower));
        long endWithoutIt = t.lastAckedOffset(partition);
        t.mark("node " + follower + " left the ISR; partition " + partition + " acknowledged up to offset " + endWithoutIt);
        await(MISSED + " more records acknowledged in partition " + partition).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(t.lastAckedOffset(partition)).isGreaterThanOrEqualTo(endWithoutIt + MISSED));
        t.mark("partition " + partition + " moved on to offset " + t.lastAckedOffset(partition));

        start(Integer.toString(follower));
        t.mark("cluster start " + follower + " returned");
        awaitInIsr(t.topic, follower, allPartitions(), REJOIN);
        t.mark("node " + follower + " in the ISR of every partition");

        PartitionState beforeLeaderKill = states(t.topic).get(partition);
        assertThat(beforeLeaderKill.getLeader()).as("leader of partition %d", partition).isEqualTo(leader);
        List<ProducerDoor.Ack> acknowledged = t.acksOf(partition);
        Map<String, Integer> killedAt = t.mark("cluster kill " + leader + " (" + acknowledged.size()
                + " records acknowledged in partition " + partition + ")");
        kill(Integer.toString(leader));
        awaitNewLeaders(t.topic, Set.of(partition), leader, Map.of(partition, beforeLeaderKill), FAILOVER);
        assertThat(states(t.topic).get(partition).getLeader()).as("the new leader of partition %d", partition)
                .isEqualTo(follower);
        t.mark("node " + follower + " leads partition " + partition);
        t.awaitLeaderServes(partition, follower, acknowledged, Duration.ofSeconds(30));
        t.mark("node " + follower + " serves all " + acknowledged.size() + " acknowledged records");
        t.awaitAcksInEveryPartitionAfter(killedAt, RESUME);
        t.mark("acknowledged in every partition again");

        start(Integer.toString(leader));
        t.mark("cluster start " + leader + " returned");
        awaitInIsr(t.topic, leader, allPartitions(), REJOIN);
        t.mark("node " + leader + " in the ISR of every partition");
        t.finishAndCheck();
    }

    // ---------------------------------------------------------------------------------------------
    // A topic of its own for each test, with its traffic

    /** Creates the topic once the cluster is whole and starts its producer and consumer. */
    private TopicTraffic traffic(String topic) throws Exception {
        // Whatever an earlier test left down (it failed half-way) runs again: topics get three replicas.
        Cli.Result up = cluster.cluster("up");
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        metadata.awaitLiveStorageNodes(3);
        Cli.Result created = strata("topic", "create", topic, "--partitions", Integer.toString(PARTITIONS));
        assertThat(created.exitCode()).as(created.stderr()).isZero();
        assertThat(created.stdout()).contains("replication factor 3");
        metadata.awaitLeaderAndFullIsr(topic, PARTITIONS, 3);
        assertThat(describe(topic).get("overrides").get("min.insync.replicas").asText()).isEqualTo("2");
        TopicTraffic t = new TopicTraffic(work.resolve(topic), cluster.bootstrap(), topic);
        traffic.add(t);
        t.start();
        return t;
    }

    // ---------------------------------------------------------------------------------------------
    // Waiting for the cluster

    /**
     * Waits until each of {@code partitions} has a leader other than {@code dead} with a higher
     * leader epoch than in {@code before}, then checks that {@code topic describe} shows it.
     */
    private void awaitNewLeaders(String topic, Set<Integer> partitions, int dead, Map<Integer, PartitionState> before,
                                 Duration within) throws Exception {
        metadata.awaitNewLeaders(topic, partitions, dead, before, within);
        Map<Integer, JsonNode> described = describedPartitions(topic);
        for (int p : partitions) {
            JsonNode leader = described.get(p).get("leader");
            assertThat(leader.isNull()).as("describe: partition %d offline: %s", p, described.get(p)).isFalse();
            assertThat(leader.asInt()).as("describe: leader of partition %d", p).isNotEqualTo(dead);
        }
    }

    /** Waits until {@code node} is in the ISR of each of {@code partitions}, then checks that describe shows it. */
    private void awaitInIsr(String topic, int node, Set<Integer> partitions, Duration within) throws Exception {
        metadata.awaitInIsr(topic, node, partitions, within);
        Map<Integer, JsonNode> described = describedPartitions(topic);
        for (int p : partitions) {
            List<Integer> isr = new ArrayList<>();
            described.get(p).get("isr").forEach(n -> isr.add(n.asInt()));
            assertThat(isr).as("describe: ISR of partition %d", p).contains(node);
        }
    }

    private static Set<Integer> allPartitions() {
        Set<Integer> all = new TreeSet<>();
        for (int p = 0; p < PARTITIONS; p++) {
            all.add(p);
        }
        return all;
    }

    private static Set<Integer> partitionsLedBy(Map<Integer, PartitionState> states, int node) {
        return states.values().stream().filter(s -> s.getLeader() == node).map(PartitionState::getPartition)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Partition → leader, for the timeline. */
    private Map<Integer, Integer> leadersOf(String topic, Set<Integer> partitions) throws Exception {
        Map<Integer, Integer> leaders = new TreeMap<>();
        Map<Integer, PartitionState> now = states(topic);
        partitions.forEach(p -> leaders.put(p, now.get(p).getLeader()));
        return leaders;
    }

    // ---------------------------------------------------------------------------------------------
    // The cluster as a user sees it (the CLI) ...

    private Cli.Result strata(String... args) throws Exception {
        return Cli.runWithBootstrapEnv(cluster.bootstrap(), null, args);
    }

    private void kill(String node) throws Exception {
        Cli.Result r = cluster.cluster("kill", node);
        assertThat(r.exitCode()).as("cluster kill %s: %s", node, r.stderr()).isZero();
    }

    private void start(String node) throws Exception {
        Cli.Result r = cluster.cluster("start", node);
        assertThat(r.exitCode()).as("cluster start %s: %s", node, r.stderr()).isZero();
    }

    private JsonNode describe(String topic) throws Exception {
        Cli.Result r = strata("topic", "describe", topic, "--output", "json");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return JSON.readTree(r.stdout());
    }

    /** Partition → its object in {@code topic describe --output json}. */
    private Map<Integer, JsonNode> describedPartitions(String topic) throws Exception {
        Map<Integer, JsonNode> partitions = new TreeMap<>();
        describe(topic).get("partitions").forEach(p -> partitions.put(p.get("partition").asInt(), p));
        return partitions;
    }

    // ---------------------------------------------------------------------------------------------
    // ... and through gRPC: epochs, the active controller, a node's own data and answers

    private static ManagedChannel channel(String host, int port) {
        return NettyChannelBuilder.forAddress(host, port).usePlaintext().build();
    }

    /** Partition → state, as coordination stores it (with the leader epoch describe does not show). */
    private Map<Integer, PartitionState> states(String topic) {
        return metadata.states(topic);
    }

    /** Whether a live storage node's run began with recovery from an unclean shutdown (a kill -9 before it). */
    private boolean uncleanRun(int node) {
        return metadata.liveStorageNodes().stream().filter(n -> n.getNodeId() == node).findFirst()
                .orElseThrow(() -> new AssertionError("storage node " + node + " is not live")).getUncleanShutdown();
    }

    /**
     * Whether a storage node's segment files of a partition hold these bytes (docs/FORMAT.md: under
     * {@code <data dir>/logs/<topic>-<partition>/}, batches as appended; uncompressed values as sent).
     */
    private boolean segmentsContain(int node, String topic, int partition, String value) {
        Path dir = cluster.dataDir("storage", node).resolve("logs").resolve(topic + "-" + partition);
        byte[] needle = value.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                for (int i = 0; i + needle.length <= bytes.length; i++) {
                    if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Which replication-N is the active controller: the leader of coordination's election "replication". */
    private OptionalInt activeController() throws Exception {
        return cluster.electionLeader("replication", "replication");
    }

    /** Asks the active controller to move a partition back to its preferred replica. */
    private void electPreferredLeader(String topic, int partition) throws Exception {
        int active = activeController().orElseThrow(() -> new AssertionError("no active replication controller"));
        ManagedChannel ch = channel("127.0.0.1", cluster.grpcPort("replication", active));
        try {
            ReplicationGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).electPreferredLeaders(
                    ElectPreferredLeadersRequest.newBuilder()
                            .addPartitions(TopicPartition.newBuilder().setTopic(topic).setPartition(partition)).build());
        } finally {
            ch.shutdownNow();
        }
    }
}
