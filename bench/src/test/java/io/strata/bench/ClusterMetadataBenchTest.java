package io.strata.bench;

import io.strata.bench.ClusterFile.ClusterProcess;
import io.strata.bench.ClusterFile.HostPort;
import io.strata.bench.ClusterMetadataBench.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The parts of {@link ClusterMetadataBench} that need no cluster: reading {@code cluster.json},
 * the percentiles, the command line. The measurements themselves run against a real cluster
 * ({@code bench/run-cluster-bench.sh}).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClusterMetadataBenchTest {

    static final String CLUSTER_JSON = """
            {"bootstrap": "127.0.0.1:40001, 127.0.0.1:40101",
             "processes": [
               {"role": "etcd", "id": 1, "pid": 1234, "ports": {"client": 40010, "peer": 40011},
                "dataDir": "/abs/DIR/etcd-1", "log": "/abs/DIR/logs/etcd-1.log"},
               {"role": "coordination", "id": 1, "pid": 1235, "ports": {"grpc": 40001, "http": 40002},
                "dataDir": "/abs/DIR/coordination-1", "log": "/abs/DIR/logs/coordination-1.log"},
               {"role": "storage", "id": 2, "pid": 1237, "ports": {"grpc": 40005, "http": 40006},
                "dataDir": "/abs/DIR/storage-2", "log": "/abs/DIR/logs/storage-2.log", "extra": true},
               {"role": "storage", "id": 1, "pid": 1236, "ports": {"grpc": 40003, "http": 40004},
                "dataDir": "/abs/DIR/storage-1", "log": "/abs/DIR/logs/storage-1.log"}]}
            """;

    @Test
    void readsTheClusterFileOfClusterUp(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("cluster.json"), CLUSTER_JSON);
        ClusterFile cluster = ClusterFile.read(dir);

        assertThat(cluster.bootstrap()).containsExactly("127.0.0.1:40001", "127.0.0.1:40101");
        assertThat(cluster.coordination()).isEqualTo(new HostPort("127.0.0.1", 40001));
        assertThat(cluster.processes()).hasSize(4);
        assertThat(cluster.ofRole("storage")).extracting(ClusterProcess::id).containsExactly(2, 1);
        assertThat(cluster.storage(1)).contains(new ClusterProcess("storage", 1, 1236, Map.of("grpc", 40003, "http", 40004),
                "/abs/DIR/storage-1", "/abs/DIR/logs/storage-1.log"));
        assertThat(cluster.storage(3)).isEmpty();
        assertThat(cluster.ofRole("etcd").get(0).ports()).containsEntry("client", 40010).containsEntry("peer", 40011);
    }

    @Test
    void refusesAClusterFileWithoutItsRequiredFields() {
        assertThatThrownBy(() -> ClusterFile.parse("{\"processes\": []}")).hasMessageContaining("bootstrap");
        assertThatThrownBy(() -> ClusterFile.parse("{\"bootstrap\": \"h:1\", \"processes\": [{\"role\": \"etcd\", \"id\": 1}]}"))
                .hasMessageContaining("pid");
        assertThatThrownBy(() -> ClusterFile.parse("{\"bootstrap\": \" , \", \"processes\": []}"))
                .hasMessageContaining("empty bootstrap");
        assertThatThrownBy(() -> ClusterFile.parse("[1]")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> HostPort.parse("no-port")).hasMessageContaining("host:port");
    }

    @Test
    void percentilesAreNearestRank() {
        long[] samples = new long[2000];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (samples.length - i) * 1_000_000L;   // 2000 ms down to 1 ms, unsorted on purpose
        }
        Latencies l = Latencies.ofNanos(samples);
        assertThat(l.count()).isEqualTo(2000);
        assertThat(l.p50Ms()).isEqualTo(1000.0);
        assertThat(l.p90Ms()).isEqualTo(1800.0);
        assertThat(l.p99Ms()).isEqualTo(1980.0);   // the 1,980th fastest, not the 1,981st
        assertThat(l.maxMs()).isEqualTo(2000.0);
        assertThat(l.meanMs()).isEqualTo(1000.5);
        assertThat(samples[0]).isEqualTo(2_000_000_000L);   // the input is not sorted in place

        assertThat(Latencies.percentile(new long[] {7}, 1)).isEqualTo(7);
        assertThat(Latencies.percentile(new long[] {7}, 100)).isEqualTo(7);
        assertThat(Latencies.percentile(new long[] {1, 2, 3}, 50)).isEqualTo(2);
        assertThat(Latencies.percentile(new long[] {1, 2, 3, 4}, 50)).isEqualTo(2);
        assertThat(Latencies.percentile(new long[] {1, 2, 3, 4}, 51)).isEqualTo(3);
        assertThatThrownBy(() -> Latencies.percentile(new long[0], 50)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Latencies.percentile(new long[] {1}, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parsesTheCommandLine() {
        Options defaults = Options.parse("--cluster-dir", "/tmp/c");
        assertThat(defaults.clusterDir()).isEqualTo(Path.of("/tmp/c"));
        assertThat(defaults.topics()).isEqualTo(1000);
        assertThat(defaults.partitions()).isEqualTo(10);
        assertThat(defaults.metadataCalls()).isEqualTo(2000);
        assertThat(defaults.killNodes()).containsExactly(1);
        assertThat(defaults.freezeNodes()).isEmpty();
        assertThat(defaults.sessionTimeoutMs()).isEqualTo(6000);

        Options o = Options.parse("--cluster-dir=/d", "--kill-node", "1,2", "--freeze-node", "3", "--kill-node", "none",
                "--topics", "0", "--session-timeout-ms=3000");
        assertThat(o.killNodes()).isEmpty();   // the later occurrence wins
        assertThat(o.freezeNodes()).containsExactly(3);
        assertThat(o.topics()).isZero();
        assertThat(o.sessionTimeoutMs()).isEqualTo(3000);

        assertThatThrownBy(() -> Options.parse("--topics", "1")).hasMessageContaining("--cluster-dir");
        assertThatThrownBy(() -> Options.parse("--cluster-dir", "d", "--bogus", "1")).hasMessageContaining("--bogus");
        assertThatThrownBy(() -> Options.parse("--cluster-dir", "d", "--topics", "many")).hasMessageContaining("--topics");
        assertThatThrownBy(() -> Options.parse("--cluster-dir", "d", "--kill-node", "one")).hasMessageContaining("node ids");
        assertThatThrownBy(() -> Options.parse("--cluster-dir", "d", "--partitions", "0")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> Options.parse("--cluster-dir")).hasMessageContaining("needs a value");
        assertThat(Options.parse("--cluster-dir", "d", "--topic-prefix", "t-").topicPrefix()).isEqualTo("t-");
    }
}
