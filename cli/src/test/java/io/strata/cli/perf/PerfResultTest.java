package io.strata.cli.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class PerfResultTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LatencySummary LATENCY = new LatencySummary(4.1234, 3.1, 9.0, 20.5, 25.25, 95.0);

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void producerJsonIsOneLineWithTheContractedKeysInOrder() throws Exception {
        // 1,000,000 records of 100 B in 2.5 s
        PerfResult r = new PerfResult(1_000_000, 100_000_000, 2_500_000_000L, Optional.of(LATENCY));
        String json = r.toJson();
        assertThat(json).doesNotContain("\n");
        assertThat(json).isEqualTo("{\"records\": 1000000, \"records_per_sec\": 400000.0, \"mb_per_sec\": 38.15,"
                + " \"latency_ms\": {\"avg\": 4.123, \"p50\": 3.100, \"p99\": 20.500, \"p999\": 25.250}}");
        JsonNode root = JSON.readTree(json);
        assertThat(fieldNames(root)).containsExactly("records", "records_per_sec", "mb_per_sec", "latency_ms");
        assertThat(fieldNames(root.get("latency_ms"))).containsExactly("avg", "p50", "p99", "p999");
        assertThat(root.get("records").isIntegralNumber()).isTrue();
        assertThat(root.get("mb_per_sec").asDouble()).isEqualTo(38.15); // MiB: 1e8 / 1048576 / 2.5
    }

    @Test
    void consumerJsonHasNoLatency() throws Exception {
        JsonNode root = JSON.readTree(new PerfResult(10, 1_000, 1_000_000_000L, Optional.empty()).toJson());
        assertThat(fieldNames(root)).containsExactly("records", "records_per_sec", "mb_per_sec");
        assertThat(root.get("records_per_sec").asDouble()).isEqualTo(10.0);
    }

    @Test
    void noElapsedTimeGivesZeroRatesNotNaN() throws Exception {
        PerfResult r = new PerfResult(0, 0, 0, Optional.of(new LatencySummary(0, 0, 0, 0, 0, 0)));
        JsonNode root = JSON.readTree(r.toJson());
        assertThat(root.get("records_per_sec").asDouble()).isZero();
        assertThat(root.get("mb_per_sec").asDouble()).isZero();
    }

    @Test
    void textLineHasKafkasFieldsSoTheSameParserReadsBoth() {
        PerfResult r = new PerfResult(1_000_000, 100_000_000, 2_500_000_000L, Optional.of(LATENCY));
        String line = r.toText(" steady state", "sent");
        assertThat(line).isEqualTo("1000000 steady state records sent, 400000.0 records/sec (38.15 MB/sec), 4.12 ms avg"
                + " latency, 95.00 ms max latency, 3.10 ms 50th, 9.00 ms 95th, 20.50 ms 99th, 25.25 ms 99.9th.");
        // what Kafka's bench/run.sh (parse_pp) takes from a ProducerPerformance line
        String[] f = line.split(", ");
        assertThat(Double.parseDouble(f[1].split(" ")[0])).isEqualTo(400000.0);
        assertThat(f[1]).contains("(38.15 MB/sec)");
        assertThat(f[2]).startsWith("4.12 ms avg");
        assertThat(f[4]).startsWith("3.10 ms 50th");
        assertThat(f[6]).startsWith("20.50 ms 99th");
        assertThat(f[7]).startsWith("25.25 ms 99.9th");
    }

    @Test
    void consumerTextSaysHowLong() {
        assertThat(new PerfResult(10, 1_000, 1_000_000_000L, Optional.empty()).toText("", "received"))
                .isEqualTo("10 records received, 10.0 records/sec (0.00 MB/sec) in 1.000 s.");
    }
}
