package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The coordination issue's system test, from outside and as written: {@code bin/strata cluster up}
 * with three storage nodes (and two coordination instances and two replication controllers),
 * topics spread across every node, a topic's replication defaults, a storage node killed with
 * {@code cluster kill} and brought back with {@code cluster start}, etcd killed and restarted
 * and etcd hung (SIGSTOP) underneath the running cluster, a coordination instance killed, and
 * {@code cluster down}. The methods run in order on one cluster: each step starts from what the
 * previous one left.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LocalClusterIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "spread";
    private static final int PARTITIONS = 6;
    /** The storage nodes' session timeout, short so the lease expiry is quick to see. */
    private static final Duration SESSION = Duration.ofSeconds(4);

    private LocalClusterDir cluster;
    private final List<String> produced = new ArrayList<>();

    @BeforeAll
    void up() throws Exception {
        cluster = new LocalClusterDir(Files.createTempDirectory("strata-cluster-it"));
        Cli.Result up = cluster.cluster("up", "--storage-nodes", "3", "--coordination-nodes", "2",
                "--session-timeout-ms", Long.toString(SESSION.toMillis()));
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        assertThat(up.stdout()).contains("bootstrap " + cluster.bootstrap());
    }

    @AfterAll
    void down() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private Cli.Result strata(String stdin, String... args) throws Exception {
        return Cli.runWithBootstrapEnv(cluster.bootstrap(), stdin, args);
    }

    @Test
    @Order(1)
    void clusterJsonNamesEveryRolesOwnProcess() throws Exception {
        JsonNode m = cluster.manifest();
        assertThat(m.get("bootstrap").asText()).matches("127\\.0\\.0\\.1:\\d+(,127\\.0\\.0\\.1:\\d+)*");
        Map<String, Integer> perRole = new HashMap<>();
        for (JsonNode p : m.get("processes")) {
            perRole.merge(p.get("role").asText(), 1, Integer::sum);
            long pid = p.get("pid").asLong();
            String command = ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElseThrow();
            // The role's own JVM or etcd, never a launcher shell.
            assertThat(command).as(p.toString()).matches(".*/(java|etcd)$");
            assertThat(p.get("ports").size()).isEqualTo(2);
            assertThat(Files.isDirectory(java.nio.file.Path.of(p.get("dataDir").asText()))).isTrue();
        }
        assertThat(perRole).containsEntry("etcd", 1).containsEntry("coordination", 2).containsEntry("storage", 3)
                .containsEntry("replication", 2).containsEntry("ingestion", 1);
    }

    @Test
    @Order(2)
    void statusShowsEveryProcessAliveAndEveryStorageNodeRegistered() throws Exception {
        JsonNode status = cluster.status();
        for (JsonNode p : status.get("processes")) {
            assertThat(p.get("alive").asBoolean()).as(p.toString()).isTrue();
            if (List.of("storage", "ingestion").contains(p.get("role").asText())) {
                assertThat(p.get("registered").asBoolean()).as(p.toString()).isTrue();
            } else {
                assertThat(p.has("registered")).isFalse();
            }
        }
        Cli.Result text = cluster.cluster("status");
        assertThat(text.exitCode()).isZero();
        assertThat(text.stdout()).contains("ROLE", "storage", "coordination", "etcd", "replication", "ingestion");
    }

    @Test
    @Order(3)
    void topicPartitionsSpreadOverAllThreeNodesAndRecordsRoundTrip() throws Exception {
        // One replica per partition: the steps below are about coordination and the processes; replication's
        // own fault tests cover failover.
        assertThat(strata(null, "topic", "create", TOPIC, "--partitions", Integer.toString(PARTITIONS),
                "--replication-factor", "1").exitCode()).isZero();
        assertThat(leaders(TOPIC)).containsOnly(1, 2, 3).hasSize(PARTITIONS);

        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            String line = "key-" + (i % 20) + ":value-" + i;
            lines.append(line).append('\n');
            produced.add("value-" + i);
        }
        Cli.Result p = strata(lines.toString(), "produce", TOPIC, "--key-separator", ":");
        assertThat(p.exitCode()).as(p.stderr()).isZero();
        assertThat(consumeAll(TOPIC)).containsExactlyInAnyOrderElementsOf(produced);
    }

    @Test
    @Order(4)
    void recordsPublishedThroughIngestionAreReadBackFromTheStorageNodes() throws Exception {
        int port = cluster.process("ingestion", 1).get("ports").get("grpc").asInt();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            PublishRequest.Builder request = PublishRequest.newBuilder().setAcks(Acks.ACKS_ALL).setClientId("it");
            for (int i = 0; i < 60; i++) {
                request.addRecords(PublishRecord.newBuilder().setTopic(TOPIC)
                        .setKey(ByteString.copyFromUtf8("thin-" + (i % 6))).setValue(ByteString.copyFromUtf8("thin-value-" + i)));
                produced.add("thin-value-" + i);
            }
            PublishResponse response = IngestionGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .publish(request.build());
            assertThat(response.getResultsList()).hasSize(60)
                    .allSatisfy(r -> assertThat(r.getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED));
        } finally {
            channel.shutdownNow();
        }
        assertThat(consumeAll(TOPIC)).containsExactlyInAnyOrderElementsOf(produced);
    }

    @Test
    @Order(5)
    void badTopicRequestsGetPreciseReasons() throws Exception {
        assertThat(strata(null, "topic", "create", TOPIC).stderr()).contains("(TOPIC_ALREADY_EXISTS)");
        assertThat(strata(null, "topic", "create", "bad/name").stderr()).contains("(INVALID_TOPIC)");
        assertThat(strata(null, "topic", "describe", "missing").stderr()).contains("(UNKNOWN_TOPIC_OR_PARTITION)");
        Cli.Result tooMany = strata(null, "topic", "create", "wide", "--replication-factor", "4");
        assertThat(tooMany.exitCode()).isEqualTo(1);
        assertThat(tooMany.stderr()).contains("(INVALID_REPLICATION_FACTOR)").contains("live storage nodes 3");
    }

    @Test
    @Order(6)
    void aTopicCreatedWithoutAReplicationFactorGetsThreeReplicasAndMinInsyncTwo() throws Exception {
        Cli.Result created = strata(null, "topic", "create", "safe", "--partitions", "2");
        assertThat(created.exitCode()).as(created.stderr()).isZero();
        assertThat(created.stdout()).contains("replication factor 3");
        JsonNode d = describe("safe");
        for (JsonNode p : d.get("partitions")) {
            assertThat(p.get("replicas").size()).as(p.toString()).isEqualTo(3);
            assertThat(p.get("elr").isArray()).isTrue();
        }
        assertThat(d.get("overrides").get("min.insync.replicas").asText()).isEqualTo("2");
    }

    @Test
    @Order(7)
    void clusterKillTakesAStorageNodeDownAndClusterStartBringsItBackWithItsData() throws Exception {
        int onNode2 = partitionLedBy(TOPIC, 2);
        int onNode1 = partitionLedBy(TOPIC, 1);
        long pid = cluster.pid("storage", 2);

        Cli.Result kill = cluster.cluster("kill", "2");
        assertThat(kill.exitCode()).as(kill.stderr()).isZero();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("gone when kill returns").isFalse();
        assertThat(cluster.statusOf("storage", 2).get("alive").asBoolean()).isFalse();
        await().atMost(SESSION.plusSeconds(10)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                assertThat(cluster.statusOf("storage", 2).get("registered").asBoolean()).isFalse());
        assertThat(liveNodeIds()).containsExactlyInAnyOrder(1, 3);
        // Node 2 held the only replica of its partitions: the replication controller marks them offline, readers
        // get nothing from them until it returns; the other partitions keep serving.
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                assertThat(offlinePartitions(TOPIC)).contains(onNode2));
        Cli.Result unavailable = strata(null, "consume", TOPIC, "--partition", Integer.toString(onNode2), "--offset", "0",
                "--timeout-ms", "1000");
        assertThat(unavailable.stdout()).isEmpty();
        Cli.Result available = strata(null, "consume", TOPIC, "--partition", Integer.toString(onNode1), "--offset", "0",
                "--timeout-ms", "1000");
        assertThat(available.stdoutLines()).isNotEmpty();
        Cli.Result killAgain = cluster.cluster("kill", "storage-2");
        assertThat(killAgain.exitCode()).isZero();
        assertThat(killAgain.stderr()).contains("storage-2 is not running");

        Cli.Result start = cluster.cluster("start", "2");
        assertThat(start.exitCode()).as(start.stderr()).isZero();
        long restarted = cluster.pid("storage", 2);
        assertThat(restarted).isNotEqualTo(pid);
        assertThat(cluster.statusOf("storage", 2).get("alive").asBoolean()).isTrue();
        assertThat(cluster.statusOf("storage", 2).get("registered").asBoolean()).isTrue();
        Cli.Result startAgain = cluster.cluster("start", "2");
        assertThat(startAgain.exitCode()).as(startAgain.stderr()).isZero();
        assertThat(startAgain.stderr()).contains("storage-2 is running already");
        assertThat(cluster.pid("storage", 2)).isEqualTo(restarted);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(leaders(TOPIC)).containsOnly(1, 2, 3));
        assertThat(offlinePartitions(TOPIC)).isEmpty();
        assertThat(consumeAll(TOPIC)).containsExactlyInAnyOrderElementsOf(produced);
        for (int id : new int[] {1, 2}) {
            assertThat(cluster.statusOf("replication", id).get("alive").asBoolean()).as("replication-" + id).isTrue();
        }
    }

    @Test
    @Order(8)
    void etcdKilledAndRestartedUnderneathTheClusterRecoversWithoutRestartingAnyRole() throws Exception {
        Map<String, Long> rolePids = rolePids();
        LocalClusterDir.signal(cluster.pid("etcd", 1), "KILL");

        long start = System.nanoTime();
        Cli.Result refused = strata(null, "topic", "create", "during-outage");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains("METADATA_UNAVAILABLE");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(cluster.statusOf("coordination", 1).get("ready").asBoolean()).isFalse());

        Cli.Result restart = cluster.cluster("up");
        assertThat(restart.exitCode()).as(restart.stderr()).isZero();
        assertThat(rolePids()).isEqualTo(rolePids);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (JsonNode p : cluster.status().get("processes")) {
                assertThat(p.get("ready").asBoolean()).as(p.toString()).isTrue();
                if (p.has("registered")) {
                    assertThat(p.get("registered").asBoolean()).as(p.toString()).isTrue();
                }
            }
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(strata(null, "topic", "create", "after-outage").exitCode()).isZero());
        assertThat(strata(null, "topic", "list").stdout()).contains(TOPIC, "after-outage").doesNotContain("during-outage");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(leaders(TOPIC)).containsOnly(1, 2, 3));
        assertThat(consumeAll(TOPIC)).containsExactlyInAnyOrderElementsOf(produced);
    }

    @Test
    @Order(9)
    void hungEtcdFailsCallsWithinSecondsAndTheClusterRecoversWhenItContinues() throws Exception {
        long etcd = cluster.pid("etcd", 1);
        LocalClusterDir.signal(etcd, "STOP");
        try {
            long start = System.nanoTime();
            Cli.Result refused = strata(null, "topic", "create", "while-hung");
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.stderr()).contains("METADATA_UNAVAILABLE");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(cluster.statusOf("coordination", 2).get("ready").asBoolean()).isFalse());
        } finally {
            LocalClusterDir.signal(etcd, "CONT");
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(cluster.statusOf("coordination", 1).get("ready").asBoolean()).isTrue();
            assertThat(cluster.statusOf("coordination", 2).get("ready").asBoolean()).isTrue();
            assertThat(strata(null, "topic", "create", "after-hang").exitCode()).isZero();
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(liveNodeIds()).containsExactlyInAnyOrder(1, 2, 3));
        Cli.Result p = strata("late:after the hang\n", "produce", TOPIC, "--key-separator", ":");
        assertThat(p.exitCode()).as(p.stderr()).isZero();
        produced.add("after the hang");
        assertThat(consumeAll(TOPIC)).containsExactlyInAnyOrderElementsOf(produced);
    }

    @Test
    @Order(10)
    void coordinationKilledWithKill9LeavesTheOtherInstanceServingTheSameState() throws Exception {
        LocalClusterDir.signal(cluster.pid("coordination", 1), "KILL");
        // Storage nodes move their sessions to the surviving instance and stay registered.
        await().atMost(SESSION.plusSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(liveNodeIds()).containsExactlyInAnyOrder(1, 2, 3));
        assertThat(strata(null, "topic", "list").stdout()).contains(TOPIC, "after-outage", "after-hang");
        assertThat(consumeAll(TOPIC)).containsExactlyInAnyOrderElementsOf(produced);

        Cli.Result again = cluster.cluster("up");
        assertThat(again.exitCode()).as(again.stderr()).isZero();
        String first = "127.0.0.1:" + cluster.process("coordination", 1).get("ports").get("grpc").asInt();
        Cli.Result list = Cli.runWithBootstrapEnv(first, null, "topic", "list");
        assertThat(list.stdout()).contains(TOPIC, "after-outage", "after-hang");
    }

    @Test
    @Order(11)
    void downStopsEveryProcessAndKeepsTheDataForTheNextUp() throws Exception {
        List<Long> pids = new ArrayList<>(rolePids().values());
        Cli.Result down = cluster.cluster("down");
        assertThat(down.exitCode()).as(down.stderr()).isZero();
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid " + pid).isFalse();
        }
        for (JsonNode p : cluster.status().get("processes")) {
            assertThat(p.get("alive").asBoolean()).isFalse();
        }

        Cli.Result up = cluster.cluster("up");
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        assertThat(consumeAll(TOPIC)).containsExactlyInAnyOrderElementsOf(produced);
    }

    private Map<String, Long> rolePids() {
        Map<String, Long> pids = new HashMap<>();
        for (JsonNode p : cluster.manifest().get("processes")) {
            if (!p.get("role").asText().equals("etcd")) {
                pids.put(p.get("role").asText() + "-" + p.get("id").asInt(), p.get("pid").asLong());
            }
        }
        return pids;
    }

    /** The leader of every partition of {@code topic} that has one, from {@code topic describe --output json}. */
    private List<Integer> leaders(String topic) throws Exception {
        Cli.Result r = strata(null, "topic", "describe", topic, "--output", "json");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        List<Integer> leaders = new ArrayList<>();
        for (JsonNode p : JSON.readTree(r.stdout()).get("partitions")) {
            if (!p.get("leader").isNull()) {
                leaders.add(p.get("leader").asInt());
            }
        }
        return leaders;
    }

    private JsonNode describe(String topic) throws Exception {
        Cli.Result r = strata(null, "topic", "describe", topic, "--output", "json");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return JSON.readTree(r.stdout());
    }

    /** The partitions without a leader, from {@code topic describe --offline --output json}. */
    private List<Integer> offlinePartitions(String topic) throws Exception {
        Cli.Result r = strata(null, "topic", "describe", topic, "--offline", "--output", "json");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        List<Integer> offline = new ArrayList<>();
        JSON.readTree(r.stdout()).get("partitions").forEach(p -> offline.add(p.get("partition").asInt()));
        return offline;
    }

    private int partitionLedBy(String topic, int node) throws Exception {
        Cli.Result r = strata(null, "topic", "describe", topic, "--output", "json");
        for (JsonNode p : JSON.readTree(r.stdout()).get("partitions")) {
            if (p.get("leader").asInt() == node) {
                return p.get("partition").asInt();
            }
        }
        throw new AssertionError("no partition of " + topic + " is led by node " + node + ": " + r.stdout());
    }

    private Set<Integer> liveNodeIds() throws Exception {
        Cli.Result r = strata(null, "cluster", "describe", "--output", "json");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Set<Integer> ids = new HashSet<>();
        JSON.readTree(r.stdout()).get("nodes").forEach(n -> ids.add(n.get("id").asInt()));
        return ids;
    }

    /** Every value of {@code topic}, read from the beginning of each partition. */
    private List<String> consumeAll(String topic) throws Exception {
        List<String> values = new ArrayList<>();
        for (int partition : IntStream.range(0, PARTITIONS).toArray()) {
            Cli.Result r = strata(null, "consume", topic, "--partition", Integer.toString(partition), "--offset", "0",
                    "--timeout-ms", "1500");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            values.addAll(r.stdoutLines());
        }
        return values;
    }
}
