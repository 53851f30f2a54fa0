package io.strata.cli;

import io.strata.cli.cluster.ClusterManifest;
import io.strata.cli.cluster.ManagedProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cluster kill} and {@code cluster start} through picocli, on a cluster.json whose
 * "processes" are {@code tail -f} on a file in their data directory (so the pid check, which
 * wants the data directory on the command line, recognises them) or not running at all.
 */
@Timeout(30)
class ClusterKillStartCommandTest {

    @TempDir
    Path dir;

    private final List<Process> spawned = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        spawned.forEach(Process::destroyForcibly);
    }

    private record Run(int exitCode, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new StrataCli(Map.of(), new ByteArrayInputStream(new byte[0]))
                .execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private ManagedProcess process(String role, int id, long pid) {
        String name = role + "-" + id;
        return new ManagedProcess(role, id, pid, Map.of("grpc", 1, "http", 2), dir.resolve(name).toString(),
                dir.resolve("logs").resolve(name + ".log").toString());
    }

    /** A long-running process whose command line names {@code p}'s data directory. */
    private long spawnFor(ManagedProcess p) throws Exception {
        Path file = Path.of(p.dataDir()).resolve("alive");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "");
        Process proc = new ProcessBuilder("tail", "-f", file.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        spawned.add(proc);
        return proc.pid();
    }

    private ClusterManifest cluster(ManagedProcess... processes) {
        ClusterManifest m = new ClusterManifest("127.0.0.1:1", List.of(processes));
        m.write(dir);
        return m;
    }

    @Test
    void anUnknownNodeFailsNamingTheValidIds() {
        cluster(process("etcd", 1, 0), process("storage", 1, 0), process("storage", 2, 0), process("replication", 1, 0));

        for (String command : List.of("kill", "start")) {
            Run r = run("cluster", command, "7", "--dir", dir.toString());
            assertThat(r.exitCode()).as(command).isEqualTo(1);
            assertThat(r.err()).as(command).contains("no node '7'", "storage node id (1, 2)",
                    "process name (etcd-1, storage-1, storage-2, replication-1)", "(INVALID_ARGUMENT)");
            assertThat(r.out()).isEmpty();
        }
        assertThat(run("cluster", "kill", "ingestion-1", "--dir", dir.toString()).err()).contains("no node 'ingestion-1'");
    }

    @Test
    void killingANodeThatIsNotRunningSaysSoAndSucceeds() {
        cluster(process("storage", 1, 0), process("storage", 2, Integer.MAX_VALUE - 7));

        Run byNumber = run("cluster", "kill", "2", "--dir", dir.toString());
        assertThat(byNumber.exitCode()).isZero();
        assertThat(byNumber.err()).contains("storage-2 is not running (last pid " + (Integer.MAX_VALUE - 7) + ")");
        assertThat(byNumber.out()).isEmpty();
        Run byName = run("cluster", "kill", "storage-1", "--dir", dir.toString());
        assertThat(byName.exitCode()).isZero();
        assertThat(byName.err()).contains("storage-1 is not running: nothing to kill");
    }

    @Test
    void killByNumberOrNameSendsSigkillAndWaitsUntilTheProcessIsGone() throws Exception {
        ManagedProcess storage2 = process("storage", 2, 0);
        ManagedProcess replication1 = process("replication", 1, 0);
        ManagedProcess s2 = storage2.withPid(spawnFor(storage2));
        ManagedProcess r1 = replication1.withPid(spawnFor(replication1));
        cluster(process("storage", 1, 0), s2, r1);

        Run byNumber = run("cluster", "kill", "2", "--dir", dir.toString());
        assertThat(byNumber.exitCode()).as(byNumber.err()).isZero();
        assertThat(byNumber.out()).isEqualTo("Strata cluster kill: killed storage-2 (pid " + s2.pid() + ")\n");
        assertThat(ProcessHandle.of(s2.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(spawned.getFirst().waitFor()).as("killed by SIGKILL").isEqualTo(128 + 9);

        Run byName = run("cluster", "kill", "replication-1", "--dir", dir.toString());
        assertThat(byName.exitCode()).as(byName.err()).isZero();
        assertThat(byName.out()).contains("killed replication-1 (pid " + r1.pid() + ")");
        assertThat(ProcessHandle.of(r1.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();

        // cluster.json keeps the entry (and the last pid), so `start` or `up` can bring it back.
        assertThat(ClusterManifest.read(dir).orElseThrow().process("2")).isEqualTo(s2);
    }

    @Test
    void startingARunningNodeIsANoOp() throws Exception {
        ManagedProcess storage3 = process("storage", 3, 0);
        ManagedProcess s3 = storage3.withPid(spawnFor(storage3));
        ClusterManifest before = cluster(process("storage", 1, 0), s3);

        for (String id : List.of("3", "storage-3")) {
            Run r = run("cluster", "start", id, "--dir", dir.toString());
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.err()).contains("storage-3 is running already (pid " + s3.pid() + "): nothing to start");
            assertThat(r.out()).isEmpty();
        }
        assertThat(ClusterManifest.read(dir)).contains(before);
        assertThat(ProcessHandle.of(s3.pid()).map(ProcessHandle::isAlive).orElse(false)).isTrue();
    }

    @Test
    void usageErrorsExitWithTwo() {
        cluster(process("storage", 1, 0));

        assertThat(run("cluster", "kill", "--dir", dir.toString()).exitCode()).isEqualTo(2);
        assertThat(run("cluster", "start", "1").exitCode()).isEqualTo(2);
        assertThat(run("cluster", "start", "1", "--dir", dir.toString(), "--timeout-seconds", "0").exitCode()).isEqualTo(2);
        Run noCluster = run("cluster", "kill", "1", "--dir", dir.resolve("elsewhere").toString());
        assertThat(noCluster.exitCode()).isEqualTo(1);
        assertThat(noCluster.err()).contains("no cluster in");
    }

    @Test
    void upTakesTheReplicationNodeCount() {
        assertThat(run("cluster", "up", "--dir", dir.toString(), "--replication-nodes", "9").err())
                .contains("--replication-nodes must be 0..8, got 9");
        ClusterUpCommand up = (ClusterUpCommand) new StrataCli(Map.of(), new ByteArrayInputStream(new byte[0]))
                .commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .parseArgs("cluster", "up", "--dir", "d").subcommand().subcommand().commandSpec().userObject();
        assertThat(up.replicationNodes).as("not asked: 2 for a new cluster, an existing one keeps its count").isNull();
        ClusterUpCommand three = (ClusterUpCommand) new StrataCli(Map.of(), new ByteArrayInputStream(new byte[0]))
                .commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .parseArgs("cluster", "up", "--dir", "d", "--replication-nodes", "3").subcommand().subcommand().commandSpec()
                .userObject();
        assertThat(three.replicationNodes).isEqualTo(3);
    }
}
