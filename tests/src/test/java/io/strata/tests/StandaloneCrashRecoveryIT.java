package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The foundation's process-level promise: every record acknowledged by a standalone server
 * is read back after the server is killed with SIGKILL and restarted on the same data dir.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StandaloneCrashRecoveryIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void everyAcknowledgedRecordSurvivesKillDashNineAndRestart() throws Exception {
        Path data = work.resolve("data");
        Path log = work.resolve("standalone.log");
        int port = StrataHome.freePort();
        int records = 5000;
        StringBuilder input = new StringBuilder();
        for (int i = 0; i < records; i++) {
            input.append("user-").append(i % 37).append(':').append("event-").append(i).append('\n');
        }

        try (StandaloneProcess server = StandaloneProcess.start(data, port, log)) {
            assertThat(server.readyLine()).contains("ready").contains(server.bootstrap());
            Cli.Result created = Cli.run(null, "--bootstrap", server.bootstrap(), "topic", "create", "events", "--partitions", "3");
            assertThat(created.exitCode()).as(created.stderr()).isZero();
            Cli.Result produced = Cli.run(input.toString(), "--bootstrap", server.bootstrap(),
                    "produce", "events", "--key-separator", ":", "--acks", "all", "--compression", "lz4");
            assertThat(produced.exitCode()).as(produced.stderr()).isZero();
            server.kill9();
            assertThat(server.isAlive()).isFalse();
        }

        try (StandaloneProcess restarted = StandaloneProcess.start(data, port, log)) {
            Cli.Result consumed = Cli.run(null, "--bootstrap", restarted.bootstrap(), "consume", "events",
                    "--from-beginning", "--output", "json", "--timeout-ms", "5000", "--max-messages", Integer.toString(records));
            assertThat(consumed.exitCode()).as(consumed.stderr()).isZero();

            Map<Integer, List<JsonNode>> byPartition = new TreeMap<>();
            for (String line : consumed.stdoutLines()) {
                JsonNode r = JSON.readTree(line);
                byPartition.computeIfAbsent(r.get("partition").asInt(), p -> new ArrayList<>()).add(r);
            }
            assertThat(byPartition.values().stream().mapToInt(List::size).sum()).isEqualTo(records);

            Map<String, Integer> partitionOfKey = new HashMap<>();
            Map<String, Integer> lastEventOfKey = new HashMap<>();
            for (Map.Entry<Integer, List<JsonNode>> e : byPartition.entrySet()) {
                long expectedOffset = 0;
                for (JsonNode r : e.getValue()) {
                    assertThat(r.get("offset").asLong()).as("offsets of partition %d are dense and ordered", e.getKey())
                            .isEqualTo(expectedOffset++);
                    String key = r.get("key").asText();
                    int event = Integer.parseInt(r.get("value").asText().substring("event-".length()));
                    assertThat(partitionOfKey.putIfAbsent(key, e.getKey())).as("key %s in one partition", key)
                            .isIn(null, e.getKey());
                    Integer previous = lastEventOfKey.put(key, event);
                    assertThat(previous == null || previous < event).as("key %s keeps its order", key).isTrue();
                    assertThat(r.get("topic").asText()).isEqualTo("events");
                    assertThat(r.get("timestamp").asLong()).isPositive();
                }
            }
            assertThat(lastEventOfKey).hasSize(37);

            // Appends continue after the recovered tail.
            Cli.Result more = Cli.run("user-0:after-restart\n", "--bootstrap", restarted.bootstrap(),
                    "produce", "events", "--key-separator", ":");
            assertThat(more.exitCode()).as(more.stderr()).isZero();
            int partitionOfUser0 = partitionOfKey.get("user-0");
            Cli.Result tail = Cli.run(null, "--bootstrap", restarted.bootstrap(), "consume", "events",
                    "--partition", Integer.toString(partitionOfUser0),
                    "--offset", Integer.toString(byPartition.get(partitionOfUser0).size()),
                    "--output", "json", "--max-messages", "1", "--timeout-ms", "10000");
            assertThat(tail.exitCode()).as(tail.stderr()).isZero();
            assertThat(JSON.readTree(tail.stdoutLines().get(0)).get("value").asText()).isEqualTo("after-restart");
            assertThat(restarted.stop()).isIn(0, 130, 143);
        }
    }
}
