package io.strata.cli.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/** What {@code cluster up} plans, and the command lines it runs, without starting anything. */
@Timeout(10)
class LocalClusterPlanTest {

    @TempDir
    Path dir;

    private LocalCluster cluster() {
        return new LocalCluster(dir, new PrintWriter(Writer.nullWriter()));
    }

    @Test
    void aNewClusterHasTwoReplicationControllersAndTwoGroupsCoordinatorsBetweenStorageAndIngestion() {
        ClusterManifest m = cluster().plan(Optional.empty(), ClusterSize.unspecified(), Optional.empty());

        assertThat(m.processes()).extracting(ManagedProcess::name).containsExactly("etcd-1", "coordination-1", "storage-1",
                "storage-2", "storage-3", "replication-1", "replication-2", "groups-1", "groups-2", "ingestion-1");
        assertThat(m.ofRole("replication")).allSatisfy(p -> {
            assertThat(p.ports()).containsOnlyKeys("grpc", "http");
            assertThat(p.dataDir()).isEqualTo(dir.resolve(p.name()).toString());
        });
    }

    private static ClusterSize sized(int storage, int coordination, int replication, int groups, int ingestion) {
        return new ClusterSize(Optional.of(storage), Optional.of(coordination), Optional.of(replication), Optional.of(groups),
                Optional.of(ingestion));
    }

    @Test
    void aClusterJsonFromBeforeTheReplicationAndGroupsRolesGetsThemOnTheNextUpAndKeepsEverythingElse() {
        ClusterManifest planned = cluster().plan(Optional.empty(), sized(2, 1, 0, 0, 1), Optional.of(4000L));
        // Written before cluster.json recorded the planned role counts.
        ClusterManifest old = new ClusterManifest(planned.bootstrap(), planned.processes(), planned.sessionTimeoutMs(), null);
        assertThat(old.ofRole("replication")).isEmpty();
        assertThat(old.ofRole("groups")).isEmpty();

        ClusterManifest next = cluster().plan(Optional.of(old), ClusterSize.unspecified(), Optional.empty());

        assertThat(next.processes()).extracting(ManagedProcess::name).containsExactly("etcd-1", "coordination-1", "storage-1",
                "storage-2", "replication-1", "replication-2", "groups-1", "groups-2", "ingestion-1");
        for (ManagedProcess p : old.processes()) {
            assertThat(next.process(p.name())).isEqualTo(p);
        }
        assertThat(next.bootstrap()).isEqualTo(old.bootstrap());
        assertThat(next.sessionTimeoutMs()).isEqualTo(4000L);
        assertThat(next.ofRole("replication")).flatExtracting(p -> p.ports().values())
                .doesNotContainAnyElementsOf(old.processes().stream().flatMap(p -> p.ports().values().stream()).toList());
    }

    @Test
    void replicationRunsItsJarWithCoordinationAndItsInstanceId() {
        RoleCommands commands = new RoleCommands(Path.of("/strata"), Path.of("/jdk/bin/java"), Path.of("/usr/bin/etcd"), List.of("-Xmx256m"));
        ManagedProcess replication = new ManagedProcess("replication", 2, 0, Map.of("grpc", 7001, "http", 7002),
                "/d/replication-2", "/d/logs/replication-2.log");

        List<String> c = commands.command(replication, "127.0.0.1:9000,127.0.0.1:9001", "http://127.0.0.1:2379", 4000L);

        assertThat(c.getFirst()).isEqualTo("/jdk/bin/java");
        assertThat(c).contains("-Xmx256m", "-Dstrata.coordination.endpoints=127.0.0.1:9000,127.0.0.1:9001",
                "-Dstrata.replication.instance.id=replication-2", "-Dstrata.listeners=127.0.0.1:7001", "-Dquarkus.http.port=7002",
                "-Dstrata.data.dir=/d/replication-2", "-Dstrata.session.timeout.ms=4000");
        assertThat(c.subList(c.size() - 2, c.size()))
                .containsExactly("-jar", "/strata/services/replication/target/quarkus-app/quarkus-run.jar");
    }

    @Test
    void groupsRunsItsJarWithCoordinationAndItsInstanceId() {
        RoleCommands commands = new RoleCommands(Path.of("/strata"), Path.of("/jdk/bin/java"), Path.of("/usr/bin/etcd"), List.of());
        ManagedProcess groups = new ManagedProcess("groups", 1, 0, Map.of("grpc", 7003, "http", 7004),
                "/d/groups-1", "/d/logs/groups-1.log");

        List<String> c = commands.command(groups, "127.0.0.1:9000", "http://127.0.0.1:2379", null);

        assertThat(c).contains("-Dstrata.coordination.endpoints=127.0.0.1:9000", "-Dstrata.groups.instance.id=groups-1",
                "-Dstrata.listeners=127.0.0.1:7003", "-Dquarkus.http.port=7004");
        assertThat(c.subList(c.size() - 2, c.size()))
                .containsExactly("-jar", "/strata/services/groups/target/quarkus-app/quarkus-run.jar");
    }

    @Test
    void serverRolesGetKafkasBrokerGcSettingsWhichStrataJavaOptsCanOverride() {
        RoleCommands commands = new RoleCommands(Path.of("/strata"), Path.of("/jdk/bin/java"), Path.of("/usr/bin/etcd"),
                List.of("-XX:MaxGCPauseMillis=50"));
        ManagedProcess storage = new ManagedProcess("storage", 1, 0, Map.of("grpc", 7005, "http", 7006),
                "/d/storage-1", "/d/logs/storage-1.log");

        List<String> c = commands.command(storage, "127.0.0.1:9000", "http://127.0.0.1:2379", null);

        assertThat(c).containsAll(RoleCommands.SERVER_GC_OPTIONS);
        // The JVM takes the last of a repeated flag: the user's comes after ours.
        assertThat(c.lastIndexOf("-XX:MaxGCPauseMillis=50")).isGreaterThan(c.indexOf("-XX:MaxGCPauseMillis=20"));
    }

    @Test
    void anUpWithoutRoleFlagsKeepsTheRoleCountsTheClusterWasCreatedWith() {
        ClusterManifest created = cluster().plan(Optional.empty(), sized(3, 1, 1, 0, 0), Optional.empty());
        assertThat(created.roleCounts()).containsExactly(entry("coordination", 1), entry("replication", 1), entry("groups", 0),
                entry("ingestion", 0));

        ClusterManifest again = cluster().plan(Optional.of(created), ClusterSize.unspecified(), Optional.empty());

        assertThat(again.processes()).isEqualTo(created.processes());
        assertThat(again.roleCounts()).isEqualTo(created.roleCounts());
    }

    @Test
    void aRoleFlagOnAnExistingClusterAddsProcessesAndIsRememberedButNeverRemovesAny() {
        ClusterManifest created = cluster().plan(Optional.empty(), sized(3, 1, 2, 0, 1), Optional.empty());

        ClusterManifest grown = cluster().plan(Optional.of(created),
                new ClusterSize(Optional.empty(), Optional.empty(), Optional.of(1), Optional.of(1), Optional.empty()), Optional.empty());

        assertThat(grown.ofRole("groups")).extracting(ManagedProcess::name).containsExactly("groups-1");
        assertThat(grown.ofRole("replication")).hasSize(2); // asked for 1: the second stays
        assertThat(grown.roleCounts()).containsEntry("groups", 1).containsEntry("replication", 2);
        ClusterManifest again = cluster().plan(Optional.of(grown), ClusterSize.unspecified(), Optional.empty());
        assertThat(again.processes()).isEqualTo(grown.processes());
    }

    @Test
    void theRoleCountsAreInClusterJsonAndReadBack() {
        ClusterManifest created = cluster().plan(Optional.empty(), sized(1, 1, 0, 0, 0), Optional.empty());
        created.write(dir);

        assertThat(ClusterManifest.read(dir)).contains(created);
        assertThat(created.toJson()).contains("\"roleCounts\"");
    }
}
