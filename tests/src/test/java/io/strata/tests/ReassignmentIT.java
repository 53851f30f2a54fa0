package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionState;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Partition reassignment (docs/REPLICATION.md, "Reassignment") with real processes, driven
 * through {@code strata topic reassign} and watched through {@code strata topic describe}, as an
 * operator would: a local cluster of four storage nodes ({@code strata cluster up --storage-nodes
 * 4}, one replication controller, no groups coordinator or ingestion, a short session timeout)
 * and one topic of three partitions, replication factor 3, {@code min.insync.replicas=2}, so each
 * partition has exactly one node that does not host it.
 *
 * <p>While an acks=all idempotent producer and a consumer run ({@link TopicTraffic}), partition 0
 * moves off its leader to the node that did not host it (leadership must move, to that new
 * replica) and partition 1 swaps a follower for its spare node (the leader stays). Both finish
 * within {@link #MOVE}; describe then shows the target replicas and a full ISR; the new leader
 * serves every record acknowledged before; the removed replicas' nodes answer
 * {@code UNKNOWN_TOPIC_OR_PARTITION} for the partition and their copy is gone from their data
 * directory. Then the new leader is killed ({@code cluster kill}, kill -9): an old replica that
 * stayed takes over, and the node rejoins the ISR after {@code cluster start}. The history check
 * ends it ({@link HistoryChecker}: every acknowledged record exactly once, at its offset, in
 * order; nothing failed). Bad requests (an unknown node id, a node id twice) are refused with
 * one clear error line and write nothing.
 *
 * <p>What a user reads, {@code topic describe --output json}, decides when a reassignment
 * finished and what it left. Elsewhere leaders, ISRs and partition epochs are read from
 * coordination's {@code GetMetadata}: exact (describe shows no epochs) and cheap, where each
 * {@code strata} run costs a JVM start and the test must stay well under 90 s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReassignmentIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "moving";
    private static final int PARTITIONS = 3;
    private static final int STORAGE_NODES = 4;
    /** The storage nodes' session timeout: a killed node's partitions fail over this long after it went silent. */
    private static final Duration SESSION = Duration.ofSeconds(3);
    /** A reassignment finishes within this: the new replicas copy a few thousand small records and join the ISR. */
    private static final Duration MOVE = Duration.ofSeconds(30);
    /** A removed replica's node stops hosting the partition (its assignment watch) within this after the switch. */
    private static final Duration DROP = Duration.ofSeconds(15);
    /** A dead leader's partitions have a new leader within this. */
    private static final Duration FAILOVER = SESSION.plusSeconds(12);
    /** A restarted replica is back in the ISR of its partitions within this. */
    private static final Duration REJOIN = Duration.ofSeconds(45);
    /** The producer acknowledges in every partition again within this after a leadership change. */
    private static final Duration RESUME = Duration.ofSeconds(60);

    private Path work;
    private LocalClusterDir cluster;
    private CoordinationMetadata metadata;
    private TopicTraffic traffic;

    @BeforeAll
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void up() throws Exception {
        work = Files.createTempDirectory("strata-reassignment-it");
        cluster = new LocalClusterDir(work.resolve("cluster"));
        Cli.Result up = cluster.cluster("up", "--storage-nodes", Integer.toString(STORAGE_NODES), "--replication-nodes",
                "1", "--groups-nodes", "0", "--ingestion-nodes", "0", "--session-timeout-ms",
                Long.toString(SESSION.toMillis()));
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        metadata = new CoordinationMetadata(cluster.coordinationChannel());
        metadata.awaitLiveStorageNodes(STORAGE_NODES);
        Cli.Result created = strata("topic", "create", TOPIC, "--partitions", Integer.toString(PARTITIONS),
                "--replication-factor", "3", "--config", "min.insync.replicas=2");
        assertThat(created.exitCode()).as(created.stderr()).isZero();
        metadata.awaitLeaderAndFullIsr(TOPIC, PARTITIONS, 3);
        assertThat(describe().get("overrides").get("min.insync.replicas").asText()).isEqualTo("2");
    }

    /** A test that failed before its history check prints its timeline, for the diagnosis, and stops its traffic. */
    @AfterEach
    void reportAndStopAFailedTest() throws Exception {
        if (traffic != null && !traffic.reported()) {
            traffic.report();
            traffic.kill();
        }
    }

    @AfterAll
    void down() throws Exception {
        if (traffic != null) {
            traffic.kill();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * {@code topic reassign} to a node id no storage node has, or naming a node twice, exits 1
     * with one {@code Error: ... (REASON)} line on stderr that names the problem, prints nothing
     * on stdout, and writes nothing: every partition's state, partition epoch included, is what
     * it was, and describe shows no reassignment in progress.
     */
    @Test
    @Order(1)
    void aReassignmentToAnUnknownNodeOrNamingANodeTwiceIsRefusedWithAClearErrorAndChangesNothing() throws Exception {
        Map<Integer, PartitionState> before = states();
        PartitionState p0 = before.get(0);
        int spare = spareNode(p0.getReplicasList());
        int follower = p0.getReplicasList().stream().filter(r -> r != p0.getLeader()).findFirst().orElseThrow();

        List<Integer> unknown = List.of(spare, follower, 99);
        Cli.Result toUnknown = strata("topic", "reassign", TOPIC, "--partition", "0", "--replicas", ids(unknown));
        assertRefused(toUnknown, "reassign to " + unknown, "node 99", "(INELIGIBLE_REPLICA)");

        List<Integer> twice = List.of(spare, spare, follower);
        Cli.Result duplicate = strata("topic", "reassign", TOPIC, "--partition", "0", "--replicas", ids(twice));
        assertRefused(duplicate, "reassign to " + twice, "distinct", "(INVALID_REPLICATION_FACTOR)");

        assertThat(states()).as("every partition's state after the refused requests (nothing written)").isEqualTo(before);
        describedPartitions().forEach((p, d) -> {
            assertThat(d.has("targetReplicas")).as("describe after the refused requests: %s", d).isFalse();
            assertThat(ints(d.get("replicas"))).as("describe after the refused requests: %s", d)
                    .isEqualTo(before.get(p).getReplicasList());
        });
    }

    /**
     * Two reassignments under acks=all traffic, then a kill -9 of the node that became a leader
     * by one of them; see the class comment. The timeline is printed with the history check.
     */
    @Test
    @Order(2)
    void partitionsMoveWhileProducingLeadershipFollowsARemovedLeaderAndNoAcknowledgedRecordIsLostOrDuplicated()
            throws Exception {
        traffic = new TopicTraffic(work.resolve(TOPIC), cluster.bootstrap(), TOPIC);
        traffic.start();
        Map<Integer, PartitionState> initial = states();

        // Partition 0: the leader goes, the spare node comes first, so leadership must move to the new replica.
        int leader0 = initial.get(0).getLeader();
        List<Integer> replicas0 = initial.get(0).getReplicasList();
        List<Integer> target0 = new ArrayList<>(List.of(spareNode(replicas0)));
        replicas0.stream().filter(r -> r != leader0).forEach(target0::add);
        Move away = new Move(0, replicas0, leader0, target0);
        // Partition 1: the last follower goes, the spare node comes second; the leader stays first and keeps leading.
        int leader1 = initial.get(1).getLeader();
        List<Integer> replicas1 = initial.get(1).getReplicasList();
        int keptFollower = replicas1.stream().filter(r -> r != leader1).findFirst().orElseThrow();
        Move swap = new Move(1, replicas1, leader1, List.of(leader1, spareNode(replicas1), keptFollower));
        List<Move> moves = List.of(away, swap);

        Cli.Result started = strata("topic", "reassign", TOPIC, "--partition", "0", "--replicas", ids(away.target()),
                "--output", "json");
        assertThat(started.exitCode()).as(started.stderr()).isZero();
        JsonNode written = JSON.readTree(started.stdout());
        assertThat(ints(written.get("targetReplicas"))).as("reassign --output json: targetReplicas").isEqualTo(away.target());
        assertThat(ints(written.get("replicas"))).as("reassign --output json: replicas while it runs (target, then the old "
                + "ones not in it)").isEqualTo(away.replicasWhileRunning());
        Cli.Result startedText = strata("topic", "reassign", TOPIC, "--partition", "1", "--replicas", ids(swap.target()));
        assertThat(startedText.exitCode()).as(startedText.stderr()).isZero();
        assertThat(startedText.stdout()).startsWith("Reassigning " + TOPIC + "-1 to replicas " + ids(swap.target()) + ":");
        Map<String, Integer> movedAt = traffic.mark("topic reassign " + moves);

        Map<Integer, JsonNode> moved = awaitFinished(moves);
        traffic.mark("describe: both reassignments finished");
        for (Move m : moves) {
            JsonNode p = moved.get(m.partition());
            assertThat(ints(p.get("replicas"))).as("describe: replicas of partition %d", m.partition()).isEqualTo(m.target());
            assertThat(new TreeSet<>(ints(p.get("isr")))).as("describe: ISR of partition %d", m.partition())
                    .isEqualTo(new TreeSet<>(m.target()));
            assertThat(p.get("leader").asInt()).as("describe: leader of partition %d after %s", m.partition(), m)
                    .isEqualTo(m.leaderAfter());
        }
        assertThat(ints(moved.get(2).get("replicas"))).as("describe: replicas of partition 2 (not reassigned)")
                .isEqualTo(initial.get(2).getReplicasList());
        traffic.awaitAcksInEveryPartitionAfter(movedAt, RESUME);
        traffic.mark("acknowledged in every partition after the reassignments started");

        int newLeader = away.leaderAfter();
        assertNewLeaderServesEveryAcknowledgedRecord(away.partition(), newLeader);
        for (Move m : moves) {
            for (int node : m.removed()) {
                awaitNoLongerHosted(node, m.partition());
            }
            for (int node : m.added()) {
                assertThat(copiesOf(node, m.partition())).as("partition %d's directory on its new replica, node %d",
                        m.partition(), node).containsExactly(TOPIC + "-" + m.partition());
            }
        }
        traffic.mark("removed replicas " + moves.stream().map(m -> m.partition() + ":" + m.removed()).toList()
                + " host nothing: UNKNOWN_TOPIC_OR_PARTITION, no directory");

        // The new leader of partition 0 dies: one of the old replicas it kept takes over.
        Map<Integer, PartitionState> beforeKill = states();
        Set<Integer> led = beforeKill.values().stream().filter(s -> s.getLeader() == newLeader)
                .map(PartitionState::getPartition).collect(Collectors.toCollection(TreeSet::new));
        Map<String, Integer> killedAt = traffic.mark("cluster kill " + newLeader + " (leads " + led + ")");
        cli("kill", Integer.toString(newLeader));
        metadata.awaitNewLeaders(TOPIC, led, newLeader, beforeKill, FAILOVER);
        traffic.mark("partitions " + led + " have new leaders: " + leaders());
        traffic.awaitAcksInEveryPartitionAfter(killedAt, RESUME);
        traffic.mark("acknowledged in every partition again");
        cli("start", Integer.toString(newLeader));
        traffic.mark("cluster start " + newLeader + " returned");
        Set<Integer> hosted = states().values().stream().filter(s -> s.getReplicasList().contains(newLeader))
                .map(PartitionState::getPartition).collect(Collectors.toCollection(TreeSet::new));
        metadata.awaitInIsr(TOPIC, newLeader, hosted, REJOIN);
        traffic.mark("node " + newLeader + " in the ISR of partitions " + hosted);

        traffic.finishAndCheck();

        Map<Integer, PartitionState> last = states();
        for (Move m : moves) {
            PartitionState p = last.get(m.partition());
            assertThat(p.getReplicasList()).as("replicas of partition %d at the end: %s", m.partition(), p).isEqualTo(m.target());
            assertThat(p.getTargetReplicasList()).as("target of partition %d at the end: %s", m.partition(), p).isEmpty();
            assertThat(Stream.of(p.getIsrList(), p.getElrList()).flatMap(List::stream).toList())
                    .as("ISR and ELR of partition %d at the end: %s", m.partition(), p).doesNotContainAnyElementsOf(m.removed());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reassignments

    /** One reassignment: a partition's replicas and leader before it, and the target asked for. */
    private record Move(int partition, List<Integer> before, int leaderBefore, List<Integer> target) {

        List<Integer> removed() {
            return before.stream().filter(r -> !target.contains(r)).toList();
        }

        List<Integer> added() {
            return target.stream().filter(r -> !before.contains(r)).toList();
        }

        /** While it runs: the target, then the current replicas not in it. */
        List<Integer> replicasWhileRunning() {
            return Stream.concat(target.stream(), removed().stream()).toList();
        }

        /** Once finished: the same leader if the target keeps it, else the first target replica (every run began cleanly). */
        int leaderAfter() {
            return target.contains(leaderBefore) ? leaderBefore : target.getFirst();
        }

        @Override
        public String toString() {
            return "partition " + partition + " " + before + " -> " + target;
        }
    }

    /**
     * Polls {@code topic describe --output json} until no partition of {@code moves} shows
     * {@code targetReplicas} and each has its target as replicas; returns that description.
     */
    private Map<Integer, JsonNode> awaitFinished(List<Move> moves) {
        Map<Integer, JsonNode> finished = new TreeMap<>();
        await("reassignments " + moves + " finished, as topic describe shows").atMost(MOVE).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    Map<Integer, JsonNode> now = describedPartitions();
                    for (Move m : moves) {
                        JsonNode p = now.get(m.partition());
                        assertThat(p.has("targetReplicas")).as("describe: %s", p).isFalse();
                        assertThat(ints(p.get("replicas"))).as("describe: %s", p).isEqualTo(m.target());
                    }
                    finished.putAll(now);
                });
        return finished;
    }

    /**
     * The partition's new leader serves every record acknowledged in it so far at its offset,
     * including those written before it was a replica.
     */
    private void assertNewLeaderServesEveryAcknowledgedRecord(int partition, int leader) throws Exception {
        List<ProducerDoor.Ack> acknowledged = traffic.acksOf(partition);
        assertThat(acknowledged).as("acknowledged records of partition %d", partition).isNotEmpty();
        traffic.awaitLeaderServes(partition, leader, acknowledged, Duration.ofSeconds(20));
        traffic.mark("node " + leader + " serves all " + acknowledged.size() + " records acknowledged in partition "
                + partition + " so far");
    }

    /**
     * Waits until a removed replica's node answers a produce for the partition with
     * {@code UNKNOWN_TOPIC_OR_PARTITION} (it hosts no such partition, not even as a follower) and
     * its data directory holds no copy of it (not even one renamed for deletion).
     */
    private void awaitNoLongerHosted(int node, int partition) {
        await("node " + node + " no longer hosts partition " + partition).atMost(DROP).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    ProduceProbe p = ProduceProbe.send(cluster, node, TOPIC, partition, "removed-replica-probe",
                            "removed-replica-probe-" + node + "-" + partition);
                    assertThat(p.acknowledged()).as(p.toString()).isFalse();
                    assertThat(p.reason()).as(p.toString()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
                    assertThat(copiesOf(node, partition)).as("partition %d's directories on node %d", partition, node).isEmpty();
                });
    }

    /**
     * The directories of a partition in a storage node's log directory (docs/FORMAT.md:
     * {@code <data dir>/logs/<topic>-<partition>/}, renamed {@code <topic>-<partition>.<id>.deleted}
     * while being deleted).
     */
    private List<String> copiesOf(int node, int partition) {
        String name = TOPIC + "-" + partition;
        Path logs = cluster.dataDir("storage", node).resolve("logs");
        try (Stream<Path> entries = Files.list(logs)) {
            return entries.map(e -> e.getFileName().toString()).filter(n -> n.equals(name) || n.startsWith(name + "."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The storage node that hosts no replica of a partition (replication factor 3 on four nodes). */
    private static int spareNode(List<Integer> replicas) {
        List<Integer> spare = IntStream.rangeClosed(1, STORAGE_NODES).boxed().filter(n -> !replicas.contains(n)).toList();
        assertThat(spare).as("storage nodes not in %s", replicas).hasSize(1);
        return spare.getFirst();
    }

    // ---------------------------------------------------------------------------------------------
    // The cluster as a user sees it (the CLI) ...

    private Cli.Result strata(String... args) throws Exception {
        return Cli.runWithBootstrapEnv(cluster.bootstrap(), null, args);
    }

    /** {@code strata cluster <command> <node> --dir DIR}, which must succeed. */
    private void cli(String command, String node) throws Exception {
        Cli.Result r = cluster.cluster(command, node);
        assertThat(r.exitCode()).as("cluster %s %s: %s", command, node, r.stderr()).isZero();
    }

    private static void assertRefused(Cli.Result r, String what, String names, String reason) {
        assertThat(r.exitCode()).as("%s: exit code (stdout %s, stderr %s)", what, r.stdout(), r.stderr()).isEqualTo(1);
        assertThat(r.stdout()).as("%s: stdout", what).isEmpty();
        String error = r.stderr().strip();
        assertThat(error.lines()).as("%s: stderr", what).hasSize(1);
        assertThat(error).as("%s: stderr", what).startsWith("Error: ").contains(names).endsWith(reason);
    }

    private JsonNode describe() throws Exception {
        Cli.Result r = strata("topic", "describe", TOPIC, "--output", "json");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return JSON.readTree(r.stdout());
    }

    /** Partition → its object in {@code topic describe --output json}. */
    private Map<Integer, JsonNode> describedPartitions() throws Exception {
        Map<Integer, JsonNode> partitions = new TreeMap<>();
        describe().get("partitions").forEach(p -> partitions.put(p.get("partition").asInt(), p));
        return partitions;
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> ints = new ArrayList<>();
        array.forEach(n -> ints.add(n.asInt()));
        return ints;
    }

    /** Node ids as {@code --replicas} takes them: 4,1,2. */
    private static String ids(List<Integer> nodes) {
        return nodes.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    // ---------------------------------------------------------------------------------------------
    // ... and through coordination's metadata: partition epochs

    /** Partition → state, as coordination stores it (with the epochs describe does not show). */
    private Map<Integer, PartitionState> states() {
        return metadata.states(TOPIC);
    }

    /** Partition → leader, for the timeline. */
    private Map<Integer, Integer> leaders() {
        Map<Integer, Integer> leaders = new TreeMap<>();
        states().forEach((p, s) -> leaders.put(p, s.getLeader()));
        return leaders;
    }
}
