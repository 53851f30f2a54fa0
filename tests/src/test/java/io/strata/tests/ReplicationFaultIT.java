package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.strata.proto.StrataError;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.ElectPreferredLeadersRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.ReplicationGrpc;
import io.strata.proto.v1.StorageGrpc;
import io.strata.proto.v1.TopicMetadata;
import io.strata.proto.v1.TopicPartition;
import io.strata.records.Compression;
import io.strata.records.RecordBatchBuilder;
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
import java.util.Comparator;
import java.util.HashSet;
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
 * records/s ({@link ProducerDoor}) and a consumer tailing the topic ({@link ConsumerTail}),
 * while storage nodes and controllers are killed with {@code cluster kill} (kill -9) and brought
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
    private ManagedChannel coordination;
    private final List<Traffic> traffic = new ArrayList<>();

    @BeforeAll
    void up() throws Exception {
        work = Files.createTempDirectory("strata-replication-fault-it");
        // cluster up and cluster start pass STRATA_JAVA_OPTS to the roles: every storage node gets the test hook.
        cluster = new LocalClusterDir(work.resolve("cluster"),
                Map.of("STRATA_JAVA_OPTS", "-Dstrata.testing.cut-coordination-file=" + CUT_FILE));
        Cli.Result up = cluster.cluster("up", "--storage-nodes", "3", "--session-timeout-ms",
                Long.toString(SESSION.toMillis()));
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        coordination = cluster.coordinationChannel();
        await("an active replication controller").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().untilAsserted(() -> assertThat(activeController()).isPresent());
    }

    /** A test that failed before its history check prints its timeline, for the diagnosis, and stops its traffic. */
    @AfterEach
    void reportAndStopAFailedTest() throws Exception {
        for (Traffic t : traffic) {
            if (!t.reported) {
                System.out.print("topic " + t.topic + " (the test failed before its history check):\n" + t.timeline);
                t.reported = true;
                t.kill();
            }
        }
    }

    @AfterAll
    void down() throws Exception {
        for (Traffic t : traffic) {
            t.kill();
        }
        if (coordination != null) {
            coordination.shutdownNow();
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
        Traffic t = traffic("cut-off");
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
        List<Probe> probes = new ArrayList<>();
        try {
            awaitNewLeaders(t.topic, led, old, before, FAILOVER);
            // Records sent before this were still acknowledged by node `old`, legitimately: the followers fetched
            // from it until they heard of the new leader. One sent after it and acknowledged in every partition
            // shows the followers fetch from the new leaders (its request to `old` timed out first, and was retried).
            Map<String, Integer> movedAt = t.mark("partitions " + led + " led by " + leadersOf(t.topic, led));
            t.awaitAcksInEveryPartitionAfter(movedAt);
            t.mark("acknowledged in every partition again (by the new leaders)");
            assertThat(cluster.alive("storage", old)).as("storage-%d runs", old).isTrue();
            for (int i = 1; i <= 3; i++) {
                probes.add(produceTo(old, t.topic, partition, "cut-off-probe-" + i));
            }
            t.mark("acks=all writes straight to node " + old + ": " + probes);
            t.mark("of which node " + old + "'s segment files hold " + probes.stream()
                    .filter(p -> segmentsContain(old, t.topic, partition, p.value())).map(Probe::value).toList());
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
        assertThat(probes.stream().filter(p -> segmentsContain(old, t.topic, partition, p.value())).map(Probe::value))
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
        Traffic t = traffic("leader-kill");
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
            t.awaitAcksInEveryPartitionAfter(killedAt);
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
        Traffic t = traffic("controller-kill");
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
        t.awaitAcksInEveryPartitionAfter(killedAt);
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
        Traffic t = traffic("follower-catch-up");
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
        List<ProducerDoor.Ack> acknowledged = t.door.acksSoFar().stream()
                .filter(a -> a.partition() == partition && a.offset() >= 0)
                .sorted(Comparator.comparingLong(ProducerDoor.Ack::offset)).toList();
        Map<String, Integer> killedAt = t.mark("cluster kill " + leader + " (" + acknowledged.size()
                + " records acknowledged in partition " + partition + ")");
        kill(Integer.toString(leader));
        awaitNewLeaders(t.topic, Set.of(partition), leader, Map.of(partition, beforeLeaderKill), FAILOVER);
        assertThat(states(t.topic).get(partition).getLeader()).as("the new leader of partition %d", partition)
                .isEqualTo(follower);
        t.mark("node " + follower + " leads partition " + partition);
        await("node " + follower + " serves every record acknowledged in partition " + partition)
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    HistoryChecker.Log log = consumePartition(t.topic, partition, acknowledged.getLast().offset() + 1);
                    List<String> missing = new ArrayList<>();
                    for (ProducerDoor.Ack a : acknowledged) {
                        JsonNode r = log.at(partition, a.offset());
                        if (r == null || !r.get("value").asText().equals(a.value())) {
                            missing.add(a.value() + "@" + a.offset() + (r == null ? " (none)" : " (" + r.get("value").asText() + ")"));
                        }
                    }
                    assertThat(missing).as("acknowledged records of partition %d that node %d does not serve at their "
                            + "offsets (log ends at %s)", partition, follower, log.endOffsets()).isEmpty();
                });
        t.mark("node " + follower + " serves all " + acknowledged.size() + " acknowledged records");
        t.awaitAcksInEveryPartitionAfter(killedAt);
        t.mark("acknowledged in every partition again");

        start(Integer.toString(leader));
        t.mark("cluster start " + leader + " returned");
        awaitInIsr(t.topic, leader, allPartitions(), REJOIN);
        t.mark("node " + leader + " in the ISR of every partition");
        t.finishAndCheck();
    }

    // ---------------------------------------------------------------------------------------------
    // Traffic: a producer and a consumer on one topic, and the history check at the end

    private Traffic traffic(String topic) throws Exception {
        // Whatever an earlier test left down (it failed half-way) runs again: topics get three replicas.
        Cli.Result up = cluster.cluster("up");
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        await("three live storage nodes").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> assertThat(CoordinationGrpc.newBlockingStub(coordination)
                        .withDeadlineAfter(5, TimeUnit.SECONDS).getMetadata(MetadataRequest.getDefaultInstance())
                        .getNodesList()).hasSize(3));
        Cli.Result created = strata("topic", "create", topic, "--partitions", Integer.toString(PARTITIONS));
        assertThat(created.exitCode()).as(created.stderr()).isZero();
        assertThat(created.stdout()).contains("replication factor 3");
        await(topic + " has a leader and a full ISR in every partition").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions().untilAsserted(() -> {
                    Map<Integer, PartitionState> states = states(topic);
                    assertThat(states).hasSize(PARTITIONS);
                    for (PartitionState s : states.values()) {
                        assertThat(s.getReplicasCount()).as(s.toString()).isEqualTo(3);
                        assertThat(s.getLeader()).as(s.toString()).isNotNegative();
                        assertThat(s.getIsrCount()).as(s.toString()).isEqualTo(3);
                    }
                });
        assertThat(describe(topic).get("overrides").get("min.insync.replicas").asText()).isEqualTo("2");
        Traffic t = new Traffic(topic);
        traffic.add(t);
        t.start();
        return t;
    }

    /** One topic's producer ({@link ProducerDoor}, acks=all, idempotent) and consumer ({@link ConsumerTail}). */
    private final class Traffic {
        final String topic;
        final ProducerDoor door;
        final ConsumerTail tail;
        final Timeline timeline = new Timeline();
        volatile boolean reported;

        Traffic(String topic) throws Exception {
            this.topic = topic;
            this.tail = new ConsumerTail("consumer", work.resolve(topic), cluster.bootstrap(), topic);
            this.door = new ProducerDoor("direct", "d-", work.resolve(topic).resolve("door"), cluster.bootstrap(), topic,
                    "direct");
        }

        void start() throws Exception {
            door.start();
            await("the producer acknowledges records").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> assertThat(door.acksSoFar()).hasSizeGreaterThan(100));
            mark("producing");
        }

        Map<String, Integer> mark(String event) {
            return timeline.mark(event, List.of(door));
        }

        void awaitAcksInEveryPartitionAfter(Map<String, Integer> mark) {
            ProducerDoor.awaitAcksInEveryPartitionAfter(mark, List.of(door), RESUME);
        }

        /** The highest offset acknowledged in a partition so far, -1 when none. */
        long lastAckedOffset(int partition) throws Exception {
            return door.acksSoFar().stream().filter(a -> a.partition() == partition).mapToLong(ProducerDoor.Ack::offset)
                    .max().orElse(-1);
        }

        /**
         * Stops the producer, lets the consumer catch up with every acknowledged record, reads the
         * whole topic back and checks the history; fails with the timeline and every problem.
         */
        void finishAndCheck() throws Exception {
            door.stopFeeding();
            door.awaitExit();
            mark("stdin closed, the producer exited");
            List<String> problems = new ArrayList<>();
            Set<String> acked = new HashSet<>();
            for (ProducerDoor.Ack a : door.acksSoFar()) {
                if (a.offset() >= 0) {
                    acked.add(a.partition() + "@" + a.offset());
                }
            }
            if (!tail.alive()) {
                problems.add("the consumer exited while the faults happened; its stderr: " + tail.stderr());
            } else {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                Set<String> unseen = new TreeSet<>(acked);
                while (System.nanoTime() < deadline) {
                    unseen.removeAll(tail.placesPrinted());
                    if (unseen.isEmpty()) {
                        break;
                    }
                    Thread.sleep(500);
                }
                if (!unseen.isEmpty()) {
                    problems.add("the consumer alongside did not print " + unseen.size() + " acknowledged records within 60 s, "
                            + "e.g. " + HistoryChecker.first(unseen, 10) + "; its stderr: " + tail.stderr());
                }
            }
            tail.stop();
            mark("the consumer caught up and was stopped");

            HistoryChecker.Log log = HistoryChecker.Log.consume(cluster.bootstrap(), topic, 5000);
            HistoryChecker.Verdict verdict = HistoryChecker.check(List.of(door), log);
            problems.addAll(verdict.problems());
            List<JsonNode> consumed = tail.records();
            HistoryChecker.checkConsumed("the consumer alongside", consumed, log, problems);
            ProducerDoor.Outcome outcome = verdict.outcomes().get(door.name);
            if (!outcome.failed.isEmpty()) {
                problems.add("the producer failed " + outcome.failed.size() + " records, e.g. "
                        + HistoryChecker.first(outcome.failed.entrySet(), 5) + ": an acks=all idempotent producer must ride "
                        + "out a failover (delivery.timeout.ms is 120 s)");
            }
            String report = "topic " + topic + ":\n" + timeline + verdict.report() + "consumer alongside: printed "
                    + consumed.size() + " records\n";
            System.out.print(report);
            reported = true;
            assertThat(problems).as("%s%d problems (first 40 shown):%n  %s", report, problems.size(),
                    String.join("\n  ", problems.subList(0, Math.min(40, problems.size())))).isEmpty();
        }

        void kill() throws Exception {
            door.kill();
            tail.stop();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Waiting for the cluster

    /**
     * Waits until each of {@code partitions} has a leader other than {@code dead} with a higher
     * leader epoch than in {@code before}, then checks that {@code topic describe} shows it.
     */
    private void awaitNewLeaders(String topic, Set<Integer> partitions, int dead, Map<Integer, PartitionState> before,
                                 Duration within) throws Exception {
        await("new leaders of partitions " + partitions + " of " + topic + " (node " + dead + " is gone)").atMost(within)
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions().untilAsserted(() -> {
                    Map<Integer, PartitionState> now = states(topic);
                    for (int p : partitions) {
                        PartitionState s = now.get(p);
                        assertThat(s.getLeader()).as("leader of partition %d: %s", p, s).isNotIn(-1, dead);
                        assertThat(s.getLeaderEpoch()).as("leader epoch of partition %d: %s", p, s)
                                .isGreaterThan(before.get(p).getLeaderEpoch());
                    }
                });
        Map<Integer, JsonNode> described = describedPartitions(topic);
        for (int p : partitions) {
            JsonNode leader = described.get(p).get("leader");
            assertThat(leader.isNull()).as("describe: partition %d offline: %s", p, described.get(p)).isFalse();
            assertThat(leader.asInt()).as("describe: leader of partition %d", p).isNotEqualTo(dead);
        }
    }

    /** Waits until {@code node} is in the ISR of each of {@code partitions}, then checks that describe shows it. */
    private void awaitInIsr(String topic, int node, Set<Integer> partitions, Duration within) throws Exception {
        await("node " + node + " in the ISR of partitions " + partitions + " of " + topic).atMost(within)
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
                    Map<Integer, PartitionState> now = states(topic);
                    for (int p : partitions) {
                        assertThat(now.get(p).getIsrList()).as("ISR of partition %d: %s", p, now.get(p)).contains(node);
                    }
                });
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

    /**
     * The first {@code records} records of a partition, read from its leader (fewer when 3 s pass
     * without a record: the partition is being written, so it never goes idle by itself).
     */
    private HistoryChecker.Log consumePartition(String topic, int partition, long records) throws Exception {
        Cli.Result r = strata("consume", topic, "--partition", Integer.toString(partition), "--offset", "0",
                "--max-messages", Long.toString(records), "--output", "json", "--timeout-ms", "3000");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return HistoryChecker.Log.parse(r.stdoutLines());
    }

    // ---------------------------------------------------------------------------------------------
    // ... and through gRPC: epochs, the active controller, a leader's own answers

    private static ManagedChannel channel(String host, int port) {
        return NettyChannelBuilder.forAddress(host, port).usePlaintext().build();
    }

    /** Partition → state, as coordination stores it (with the leader epoch describe does not show). */
    private Map<Integer, PartitionState> states(String topic) {
        TopicMetadata t = CoordinationGrpc.newBlockingStub(coordination).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getMetadata(MetadataRequest.newBuilder().addTopics(topic).build()).getTopicsList().stream()
                .filter(m -> m.getName().equals(topic)).findFirst()
                .orElseThrow(() -> new AssertionError("no metadata of topic " + topic));
        Map<Integer, PartitionState> states = new TreeMap<>();
        t.getPartitionsList().forEach(s -> states.put(s.getPartition(), s));
        return states;
    }

    /** Whether a live storage node's run began with recovery from an unclean shutdown (a kill -9 before it). */
    private boolean uncleanRun(int node) {
        return CoordinationGrpc.newBlockingStub(coordination).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getMetadata(MetadataRequest.newBuilder().build()).getNodesList().stream()
                .filter(n -> n.getNodeId() == node).findFirst()
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
        return cluster.electionLeader(coordination, "replication", "replication");
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

    /** The answer of one acks=all produce request sent straight to a storage node. */
    private record Probe(String value, boolean acknowledged, ErrorCode reason, String detail) {
        @Override
        public String toString() {
            return value + ": " + (acknowledged ? "acknowledged, " : reason + ", ") + detail;
        }
    }

    /**
     * One record (a batch of one, not idempotent) produced with acks=all and a 3 s
     * {@code timeout_ms} straight to {@code node}, whatever it leads.
     */
    private Probe produceTo(int node, String topic, int partition, String value) {
        ManagedChannel ch = channel("127.0.0.1", cluster.grpcPort("storage", node));
        try {
            RecordBatchBuilder batch = new RecordBatchBuilder(Compression.NONE, 256);
            batch.append(System.currentTimeMillis(), "probe".getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8), List.of());
            ProduceRequest request = ProduceRequest.newBuilder().setTopic(topic).setPartition(partition)
                    .setAcks(Acks.ACKS_ALL).setTimeoutMs(3000).setClientId("cut-off-probe")
                    .setBatches(ByteString.copyFrom(batch.build())).build();
            ProduceResponse answer = StorageGrpc.newBlockingStub(ch).withDeadlineAfter(15, TimeUnit.SECONDS).produce(request);
            return new Probe(value, true, null, "at offset " + answer.getBaseOffset());
        } catch (StatusRuntimeException e) {
            return new Probe(value, false, StrataError.reasonOf(e).orElse(null), e.getStatus().toString());
        } finally {
            ch.shutdownNow();
        }
    }
}
