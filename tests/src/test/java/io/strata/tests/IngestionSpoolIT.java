package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.PublishAck;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Store-and-forward from outside, on real processes ({@code bin/strata cluster up}: etcd,
 * coordination, one storage node, one ingestion instance): records published with
 * {@code ack=spooled} while the storage node is down (kill -9) are all answered, survive a
 * kill -9 of ingestion during the outage, and reach the log once both are back; records spooled
 * and then cut off mid-forward by another kill -9 of ingestion are sent again from the spool's
 * checkpoint. In the end every spooled record is in the log exactly once, in publish order per
 * key (so per partition).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class IngestionSpoolIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "spooled";
    private static final int PARTITIONS = 3;
    private static final int KEYS = 12;

    private LocalClusterDir cluster;
    /** Every value answered as spooled, by key, in publish order. */
    private final Map<String, List<String>> spooled = new HashMap<>();
    private int next;

    @BeforeAll
    void up() throws Exception {
        cluster = new LocalClusterDir(Files.createTempDirectory("strata-spool-it"));
        Cli.Result up = cluster.cluster("up", "--storage-nodes", "1", "--session-timeout-ms", "3000");
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        Cli.Result topic = strata(null, "topic", "create", TOPIC, "--partitions", Integer.toString(PARTITIONS));
        assertThat(topic.exitCode()).as(topic.stderr()).isZero();
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
    void spooledRecordsArriveExactlyOnceInOrderAcrossAStorageOutageAndKill9sOfIngestion() throws Exception {
        // 1. Storage outage: the storage node dies; spooled publishes are still answered.
        kill9("storage");
        publishSpooled(60, 20);
        Cli.Result cli = strata("cli-key:from the cli\n", "produce", TOPIC, "--via", "ingestion", "--ack", "spooled",
                "--key-separator", ":", "--output", "json");
        assertThat(cli.exitCode()).as(cli.stderr()).isZero();
        JsonNode answer = JSON.readTree(cli.stdout());
        assertThat(answer.get("offset").asLong()).isEqualTo(-1);
        assertThat(answer.get("partition").asInt()).isBetween(0, PARTITIONS - 1);
        spooled.computeIfAbsent("cli-key", k -> new ArrayList<>()).add("from the cli");

        // 2. Ingestion killed while storage is still down, with everything in its spool.
        assertThat(spoolPending()).isEqualTo(60 * 20 + 1);
        kill9("ingestion");
        Cli.Result again = cluster.cluster("up"); // restarts storage, then ingestion, with their data
        assertThat(again.exitCode()).as(again.stderr()).isZero();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> spoolPending() == 0);

        // 3. Another outage, then ingestion killed while it forwards the backlog.
        kill9("storage");
        int backlog = publishSpooled(600, 8);
        Cli.Result storageBack = cluster.cluster("up"); // only storage is down: ingestion keeps its process
        assertThat(storageBack.exitCode()).as(storageBack.stderr()).isZero();
        // Kill it a third of the way in: past several checkpoints of each partition, far from the end.
        long pending = backlog;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (pending > backlog * 2L / 3 && System.nanoTime() < deadline) {
            Thread.sleep(5);
            pending = spoolPending();
        }
        kill9("ingestion");
        System.out.printf("ingestion killed with %d of %d spooled records not yet forwarded%n", pending, backlog);
        assertThat(pending).as("killed with %d of %d records still to forward", pending, backlog).isLessThan(backlog);
        Cli.Result last = cluster.cluster("up");
        assertThat(last.exitCode()).as(last.stderr()).isZero();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> spoolPending() == 0);

        // Every spooled record is in the log once, each key's records in publish order.
        Map<String, List<String>> logged = consumeAll();
        assertThat(logged.keySet()).isEqualTo(spooled.keySet());
        for (String key : spooled.keySet()) {
            assertThat(logged.get(key)).as("records of %s", key).containsExactlyElementsOf(spooled.get(key));
        }
    }

    /** kill -9 of the role's process, waiting until it is gone (so that {@code cluster up} restarts it). */
    private void kill9(String role) throws Exception {
        long pid = cluster.pid(role, 1);
        LocalClusterDir.signal(pid, "KILL");
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    /** Publishes {@code requests} spooled requests of {@code size} keyed records; returns how many records. */
    private int publishSpooled(int requests, int size) {
        int port = cluster.process("ingestion", 1).get("ports").get("grpc").asInt();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            IngestionGrpc.IngestionBlockingStub ingestion = IngestionGrpc.newBlockingStub(channel);
            for (int r = 0; r < requests; r++) {
                PublishRequest.Builder request = PublishRequest.newBuilder().setAck(PublishAck.PUBLISH_ACK_SPOOLED).setClientId("it");
                List<String[]> sent = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    String key = "key-" + (next % KEYS);
                    String value = key + ":" + next++;
                    request.addRecords(PublishRecord.newBuilder().setTopic(TOPIC).setKey(ByteString.copyFromUtf8(key))
                            .setValue(ByteString.copyFromUtf8(value)));
                    sent.add(new String[]{key, value});
                }
                PublishResponse response = ingestion.withDeadlineAfter(30, TimeUnit.SECONDS).publish(request.build());
                assertThat(response.getResultsList()).hasSize(size).allSatisfy(result -> {
                    assertThat(result.getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
                    assertThat(result.getOffset()).isEqualTo(-1);
                });
                sent.forEach(kv -> spooled.computeIfAbsent(kv[0], k -> new ArrayList<>()).add(kv[1]));
            }
            return requests * size;
        } finally {
            channel.shutdownNow();
        }
    }

    /** Records waiting in the ingestion instance's spool, from its readiness data. */
    private long spoolPending() throws Exception {
        int http = cluster.process("ingestion", 1).get("ports").get("http").asInt();
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + http + "/q/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        for (JsonNode check : JSON.readTree(response.body()).get("checks")) {
            JsonNode data = check.get("data");
            if (data != null && data.has("spool.pending.records")) {
                return data.get("spool.pending.records").asLong();
            }
        }
        throw new AssertionError("no spool data in " + response.body());
    }

    /** Every record of the topic by key, read from the start of each partition in offset order. */
    private Map<String, List<String>> consumeAll() throws Exception {
        Map<String, List<String>> byKey = new HashMap<>();
        for (int partition = 0; partition < PARTITIONS; partition++) {
            Cli.Result r = strata(null, "consume", TOPIC, "--partition", Integer.toString(partition), "--offset", "0",
                    "--timeout-ms", "3000", "--output", "json");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            for (String line : r.stdoutLines()) {
                JsonNode record = JSON.readTree(line);
                byKey.computeIfAbsent(record.get("key").asText(), k -> new ArrayList<>()).add(record.get("value").asText());
            }
        }
        return byKey;
    }
}
