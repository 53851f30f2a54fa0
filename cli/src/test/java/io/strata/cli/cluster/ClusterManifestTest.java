package io.strata.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterManifestTest {

    private static final ManagedProcess ETCD = new ManagedProcess("etcd", 1, 100, Map.of("client", 2379), "/d/etcd-1", "/d/logs/etcd-1.log");
    private static final ManagedProcess STORAGE = new ManagedProcess("storage", 1, 101, Map.of("grpc", 9000, "http", 9001),
            "/d/storage-1", "/d/logs/storage-1.log");

    @Test
    void jsonHasTheContractedFieldNames() throws Exception {
        JsonNode doc = new ObjectMapper().readTree(new ClusterManifest("127.0.0.1:9092", List.of(ETCD, STORAGE)).toJson());
        assertThat(doc.get("bootstrap").asText()).isEqualTo("127.0.0.1:9092");
        JsonNode storage = doc.get("processes").get(1);
        assertThat(storage.get("role").asText()).isEqualTo("storage");
        assertThat(storage.get("id").asInt()).isEqualTo(1);
        assertThat(storage.get("pid").asLong()).isEqualTo(101);
        assertThat(storage.get("ports").get("grpc").asInt()).isEqualTo(9000);
        assertThat(storage.get("dataDir").asText()).isEqualTo("/d/storage-1");
    }

    @Test
    void writeThenReadGivesTheSameManifest(@TempDir Path dir) {
        ClusterManifest m = new ClusterManifest("127.0.0.1:9092", List.of(ETCD, STORAGE));
        m.write(dir);
        assertThat(ClusterManifest.read(dir)).contains(m);
        assertThat(Files.exists(dir.resolve("cluster.json.tmp"))).isFalse();
    }

    @Test
    void noFileMeansNoCluster(@TempDir Path dir) {
        assertThat(ClusterManifest.read(dir)).isEmpty();
        assertThatThrownBy(() -> new LocalCluster(dir, new java.io.PrintWriter(java.io.Writer.nullWriter())).manifest())
                .hasMessageContaining("no cluster in").hasMessageContaining("cluster up --dir");
    }

    @Test
    void unreadableFileIsAClearError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("cluster.json"), "{ not json");
        assertThatThrownBy(() -> ClusterManifest.read(dir)).hasMessageContaining("cannot read").hasMessageContaining("cluster.json");
    }

    @Test
    void withReplacesTheProcessOfTheSameRoleAndId() {
        ClusterManifest m = new ClusterManifest("b", List.of(ETCD, STORAGE)).with(STORAGE.withPid(555));
        assertThat(m.processes()).hasSize(2);
        assertThat(m.ofRole("storage").getFirst().pid()).isEqualTo(555);
    }

    @Test
    void aNodeIsNamedByItsStorageNodeIdOrByItsProcessName() {
        ManagedProcess storage2 = new ManagedProcess("storage", 2, 102, Map.of("grpc", 9002), "/d/storage-2", "/d/l");
        ManagedProcess replication1 = new ManagedProcess("replication", 1, 103, Map.of("grpc", 9003), "/d/replication-1", "/d/l");
        ClusterManifest m = new ClusterManifest("b", List.of(ETCD, STORAGE, storage2, replication1));

        assertThat(m.process("2")).isEqualTo(storage2);
        assertThat(m.process(" 2 ")).isEqualTo(storage2);
        assertThat(m.process("storage-2")).isEqualTo(storage2);
        assertThat(m.process("replication-1")).isEqualTo(replication1);
        assertThat(m.process("etcd-1")).isEqualTo(ETCD);
        // A bare number is a storage node id, never another role's number.
        assertThatThrownBy(() -> new ClusterManifest("b", List.of(ETCD)).process("1")).hasMessageContaining("no node '1'");
        for (String unknown : List.of("3", "storage-3", "replication-2", "kafka-1", "storage", "two", "-1", "")) {
            assertThatThrownBy(() -> m.process(unknown)).as(unknown).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no node '" + unknown + "'")
                    .hasMessageContaining("storage node id (1, 2)")
                    .hasMessageContaining("process name (etcd-1, storage-1, storage-2, replication-1)");
        }
    }

    @Test
    void aMissingPortIsNamedInTheError() {
        assertThatThrownBy(() -> ETCD.port("peer")).hasMessageContaining("etcd-1").hasMessageContaining("'peer'");
    }

    @Test
    void aDeadPidIsNotAlive() {
        ManagedProcess gone = STORAGE.withPid(Integer.MAX_VALUE - 7);
        assertThat(LocalProcesses.isAlive(gone)).isFalse();
        assertThat(LocalProcesses.isAlive(STORAGE.withPid(0))).isFalse();
    }

    @Test
    void aLivePidRunningSomethingElseIsNotOurs() {
        // This JVM is alive, but its command line does not name the process's data directory.
        ManagedProcess recycled = STORAGE.withPid(ProcessHandle.current().pid());
        assertThat(LocalProcesses.isAlive(recycled)).isFalse();
    }
}
