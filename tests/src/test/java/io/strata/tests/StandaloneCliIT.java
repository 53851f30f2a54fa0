package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI contract of the foundation issue against a real standalone process: the README
 * tour as written (bootstrap from STRATA_BOOTSTRAP, since the test picks a free port), JSON
 * shapes, and bad input answered with a reason and a non-zero exit.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StandaloneCliIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path work;
    private static StandaloneProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        work = Files.createTempDirectory("strata-cli-it");
        server = StandaloneProcess.start(work.resolve("data"), StrataHome.freePort(), work.resolve("standalone.log"));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static Cli.Result strata(String stdin, String... args) throws Exception {
        return Cli.runWithBootstrapEnv(server.bootstrap(), stdin, args);
    }

    @Test
    void readmeTourRunsAsWritten() throws Exception {
        assertThat(strata(null, "topic", "create", "orders", "--partitions", "3").exitCode()).isZero();
        Cli.Result list = strata(null, "topic", "list");
        assertThat(list.exitCode()).isZero();
        assertThat(list.stdout()).contains("orders");
        assertThat(strata(null, "topic", "describe", "orders").stdout()).contains("orders");

        Cli.Result produced = strata("alice:first order\nbob:second order\nalice:third order\n",
                "produce", "orders", "--key-separator", ":");
        assertThat(produced.exitCode()).as(produced.stderr()).isZero();

        Cli.Result text = strata(null, "consume", "orders", "--from-beginning", "--timeout-ms", "2000");
        assertThat(text.exitCode()).as(text.stderr()).isZero();
        assertThat(text.stdoutLines()).containsExactlyInAnyOrder("first order", "second order", "third order");

        Cli.Result json = strata(null, "consume", "orders", "--from-beginning", "--output", "json", "--max-messages", "3");
        assertThat(json.exitCode()).as(json.stderr()).isZero();
        List<String> lines = json.stdoutLines();
        assertThat(lines).hasSize(3);
        int alicePartition = -1;
        long lastAliceOffset = -1;
        for (String line : lines) {
            JsonNode r = JSON.readTree(line);
            assertThat(r.fieldNames()).toIterable().contains("topic", "partition", "offset", "timestamp", "key", "value");
            assertThat(r.get("partition").isNumber()).isTrue();
            assertThat(r.get("offset").isNumber()).isTrue();
            assertThat(r.get("timestamp").isNumber()).isTrue();
            if (r.get("key").asText().equals("alice")) {
                assertThat(alicePartition).isIn(-1, r.get("partition").asInt());
                alicePartition = r.get("partition").asInt();
                assertThat(r.get("offset").asLong()).isGreaterThan(lastAliceOffset);
                lastAliceOffset = r.get("offset").asLong();
            }
        }

        Cli.Result fromPartition = strata(null, "consume", "orders", "--partition", "0", "--offset", "0", "--timeout-ms", "2000");
        assertThat(fromPartition.exitCode()).as(fromPartition.stderr()).isZero();
        Cli.Result fromTime = strata(null, "consume", "orders", "--from-time", "0", "--timeout-ms", "2000");
        assertThat(fromTime.exitCode()).as(fromTime.stderr()).isZero();
        assertThat(fromTime.stdoutLines()).hasSize(3);

        assertThat(strata(null, "topic", "create", "audit", "--partitions", "1", "--config", "retention.ms=86400000",
                "--config", "segment.bytes=16777216").exitCode()).isZero();
        Cli.Result describe = strata(null, "topic", "describe", "audit", "--output", "json");
        assertThat(describe.exitCode()).isZero();
        JsonNode doc = JSON.readTree(describe.stdout());
        assertThat(doc.get("name").asText()).isEqualTo("audit");
        assertThat(doc.get("config").get("retention.ms").asText()).isEqualTo("86400000");
        assertThat(doc.get("config").get("segment.bytes").asText()).isEqualTo("16777216");
        JsonNode p0 = doc.get("partitions").get(0);
        assertThat(p0.get("partition").asInt()).isZero();
        assertThat(p0.get("leader").isNumber()).isTrue();
        assertThat(p0.get("replicas").isArray()).isTrue();
        assertThat(p0.get("isr").isArray()).isTrue();
        assertThat(strata(null, "topic", "delete", "audit").exitCode()).isZero();
        assertThat(strata(null, "topic", "list").stdout()).doesNotContain("audit");
    }

    @Test
    void produceThroughIngestionPrintsEveryAcknowledgedRecordAsJson() throws Exception {
        assertThat(strata(null, "topic", "create", "thin", "--partitions", "2").exitCode()).isZero();
        for (String via : List.of("ingestion", "direct")) {
            Cli.Result r = strata("k1:v1\nk2:v2\nk1:v3\n", "produce", "thin", "--key-separator", ":", "--via", via,
                    "--client-id", "cli-it", "--output", "json");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            List<JsonNode> acks = r.stdoutLines().stream().map(l -> {
                try {
                    return JSON.readTree(l);
                } catch (Exception e) {
                    throw new AssertionError(l, e);
                }
            }).toList();
            assertThat(acks).extracting(n -> n.get("value").asText()).containsExactlyInAnyOrder("v1", "v2", "v3");
            // Same key, same partition, whichever door the records took.
            JsonNode first = acks.stream().filter(n -> n.get("value").asText().equals("v1")).findFirst().orElseThrow();
            JsonNode third = acks.stream().filter(n -> n.get("value").asText().equals("v3")).findFirst().orElseThrow();
            assertThat(third.get("partition").asInt()).isEqualTo(first.get("partition").asInt());
            assertThat(third.get("offset").asLong()).isGreaterThan(first.get("offset").asLong());
            assertThat(first.get("key").asText()).isEqualTo("k1");
        }
        Cli.Result unknown = strata("x\n", "produce", "no-such-topic", "--via", "ingestion");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.stderr()).contains("UNKNOWN_TOPIC_OR_PARTITION");
    }

    @Test
    void perfProduceThroughBothDoorsAndPerfConsumeEndWithTheirJsonResultLine() throws Exception {
        assertThat(strata(null, "topic", "create", "perf", "--partitions", "3").exitCode()).isZero();
        for (String via : List.of("direct", "ingestion")) {
            Cli.Result r = strata(null, "perf", "produce", "--topic", "perf", "--records", "20000", "--record-size", "100",
                    "--acks", "all", "--via", via, "--client-id", "perf-it", "--output", "json");
            assertThat(r.exitCode()).as(via + ": " + r.stderr()).isZero();
            JsonNode result = JSON.readTree(r.stdoutLines().getLast());
            assertThat(result.get("records").asLong()).as(via).isEqualTo(20000);
            assertThat(result.get("records_per_sec").asDouble()).as(via).isPositive();
            assertThat(result.get("mb_per_sec").asDouble()).as(via).isPositive();
            for (String q : List.of("avg", "p50", "p99", "p999")) {
                assertThat(result.get("latency_ms").get(q).asDouble()).as(via + " " + q).isPositive();
            }
        }
        Cli.Result consumed = strata(null, "perf", "consume", "--topic", "perf", "--records", "40000", "--output", "json");
        assertThat(consumed.exitCode()).as(consumed.stderr()).isZero();
        assertThat(JSON.readTree(consumed.stdoutLines().getLast()).get("records").asLong()).isEqualTo(40000);
    }

    @Test
    void topicListJsonIsOneDocument() throws Exception {
        assertThat(strata(null, "topic", "create", "listed", "--partitions", "2").exitCode()).isZero();
        Cli.Result list = strata(null, "topic", "list", "--output", "json");
        assertThat(list.exitCode()).isZero();
        JsonNode doc = JSON.readTree(list.stdout());
        assertThat(doc.get("topics").findValuesAsText("name")).contains("listed");
    }

    @Test
    void unknownTopicIsRefusedWithItsReason() throws Exception {
        Cli.Result describe = strata(null, "topic", "describe", "no-such-topic");
        assertThat(describe.exitCode()).isNotZero();
        assertThat(describe.stderr()).contains("UNKNOWN_TOPIC_OR_PARTITION");
        Cli.Result produce = strata("x\n", "produce", "no-such-topic");
        assertThat(produce.exitCode()).isNotZero();
        assertThat(produce.stderr()).contains("UNKNOWN_TOPIC_OR_PARTITION");
    }

    @Test
    void invalidTopicNameAndPartitionCountAreRefused() throws Exception {
        Cli.Result badName = strata(null, "topic", "create", "bad/name");
        assertThat(badName.exitCode()).isNotZero();
        assertThat(badName.stderr()).contains("INVALID_TOPIC");
        Cli.Result zero = strata(null, "topic", "create", "zero-partitions", "--partitions", "0");
        assertThat(zero.exitCode()).isNotZero();
        assertThat(zero.stderr()).contains("INVALID_PARTITIONS");
        assertThat(strata(null, "topic", "create", "twice").exitCode()).isZero();
        Cli.Result twice = strata(null, "topic", "create", "twice");
        assertThat(twice.exitCode()).isNotZero();
        assertThat(twice.stderr()).contains("TOPIC_ALREADY_EXISTS");
    }

    @Test
    void oversizedRecordFailsAloneAndTheOthersAreStored() throws Exception {
        assertThat(strata(null, "topic", "create", "sized", "--partitions", "1").exitCode()).isZero();
        String big = "x".repeat(1024 * 1024 + 10);
        Cli.Result produce = strata("small-1\n" + big + "\nsmall-2\n", "produce", "sized", "--linger-ms", "0");
        assertThat(produce.exitCode()).isNotZero();
        assertThat(produce.stderr()).contains("RECORD_TOO_LARGE");
        Cli.Result consume = strata(null, "consume", "sized", "--from-beginning", "--timeout-ms", "2000");
        assertThat(consume.stdoutLines()).contains("small-1", "small-2").doesNotContain(big);
    }

    @Test
    void offsetBeyondTheLogEndIsRefused() throws Exception {
        assertThat(strata(null, "topic", "create", "short", "--partitions", "1").exitCode()).isZero();
        assertThat(strata("one\n", "produce", "short").exitCode()).isZero();
        Cli.Result consume = strata(null, "consume", "short", "--partition", "0", "--offset", "100", "--timeout-ms", "1000");
        assertThat(consume.exitCode()).isNotZero();
        assertThat(consume.stderr()).contains("OFFSET_OUT_OF_RANGE");
    }
}
