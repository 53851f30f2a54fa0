package io.strata.coordination.config;

import io.strata.coordination.topics.TopicDefaults;
import io.strata.proto.TopicConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class CoordinationConfigTest {

    @Test
    void everyKeyHasItsDocumentedDefault() {
        CoordinationConfig config = CoordinationConfig.of(Map.of());

        assertThat(config.metadataDir()).isEqualTo(Path.of("data", "metadata"));
        assertThat(config.metadataRoot()).isEqualTo("/strata");
        assertThat(config.numPartitions()).isEqualTo(1);
        assertThat(config.defaultReplicationFactor()).isEmpty();
        assertThat(config.minInsyncReplicas()).isEqualTo(1);
        assertThat(config.logRetentionHours()).isEqualTo(168);
        assertThat(config.sessionTimeoutMs()).isEqualTo(6000);
        assertThat(config.metadataStore()).isEqualTo(CoordinationConfig.MetadataStoreKind.EMBEDDED);
        assertThat(config.metadataEndpoints()).isEmpty();
        assertThat(config.metadataRequestTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void theEtcdStoreTakesCommaSeparatedEndpoints() {
        CoordinationConfig config = CoordinationConfig.of(Map.of("strata.metadata.store", " ETCD ",
                "strata.metadata.endpoints", "http://10.0.0.1:2379, http://etcd-1:2379/,,",
                "strata.metadata.request.timeout.ms", "1500"));

        assertThat(config.metadataStore()).isEqualTo(CoordinationConfig.MetadataStoreKind.ETCD);
        assertThat(config.metadataEndpoints()).containsExactly(URI.create("http://10.0.0.1:2379"), URI.create("http://etcd-1:2379"));
        assertThat(config.metadataRequestTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.toString()).contains("strata.metadata.store=etcd", "http://etcd-1:2379");
    }

    @Test
    void badEtcdSettingsAreRejectedWithAClearMessage() {
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.metadata.store", "etcd")))
                .hasMessageContaining("strata.metadata.endpoints is required when strata.metadata.store=etcd");
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.metadata.store", "etcd", "strata.metadata.endpoints", " , ")))
                .hasMessageContaining("strata.metadata.endpoints is required");
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.metadata.store", "zookeeper")))
                .hasMessageContaining("strata.metadata.store='zookeeper' must be 'embedded' or 'etcd'");
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.metadata.endpoints", "http://etcd:2379")))
                .hasMessageContaining("strata.metadata.store is 'embedded'");
        for (String bad : List.of("etcd:2379", "http://etcd", "tcp://etcd:2379", "http://etcd:2379/v3", "http://[bad")) {
            assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.metadata.store", "etcd", "strata.metadata.endpoints", bad)))
                    .as(bad).hasMessageContaining("strata.metadata.endpoints");
        }
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.metadata.store", "etcd",
                "strata.metadata.endpoints", "https://etcd:2379"))).hasMessageContaining("TLS to etcd is not supported yet");
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.metadata.request.timeout.ms", "5")))
                .hasMessageContaining("strata.metadata.request.timeout.ms");
    }

    @Test
    void theMetadataDirFollowsTheDataDirUnlessSetItself() {
        assertThat(CoordinationConfig.of(Map.of("strata.data.dir", "/var/strata")).metadataDir())
                .isEqualTo(Path.of("/var/strata", "metadata"));
        assertThat(CoordinationConfig.of(Map.of("strata.data.dir", "/var/strata", "strata.metadata.dir", "/meta")).metadataDir())
                .isEqualTo(Path.of("/meta"));
    }

    @Test
    void logRetentionHoursBecomesTheClusterDefaultRetentionMs() {
        assertThat(CoordinationConfig.of(Map.of("strata.log.retention.hours", "2")).topicDefaults().effective(Map.of()))
                .containsEntry(TopicConfigs.RETENTION_MS, "7200000");
        assertThat(CoordinationConfig.of(Map.of()).topicDefaults().effective(Map.of()))
                .containsEntry(TopicConfigs.RETENTION_MS, Long.toString(168L * 3_600_000));
        assertThat(CoordinationConfig.of(Map.of("strata.log.retention.hours", "-1")).retentionMs()).isEqualTo(-1);
    }

    @Test
    void topicDefaultsCarryPartitionsAndReplicationFactor() {
        CoordinationConfig config = CoordinationConfig.of(Map.of("strata.num.partitions", "6", "strata.default.replication.factor", "3"));

        assertThat(config.topicDefaults().numPartitions()).isEqualTo(6);
        assertThat(config.topicDefaults().replicationFactor()).hasValue(3);
        assertThat(config.topicDefaults().replicationFactorChosenPerTopic()).isFalse();
    }

    @Test
    void withoutAConfiguredReplicationFactorEachTopicGetsMinOfThreeAndTheLiveNodes() {
        TopicDefaults defaults = CoordinationConfig.of(Map.of()).topicDefaults();

        assertThat(defaults.replicationFactorChosenPerTopic()).isTrue();
        assertThat(defaults.replicationFactorFor(1)).isEqualTo(1);
        assertThat(defaults.replicationFactorFor(2)).isEqualTo(2);
        assertThat(defaults.replicationFactorFor(3)).isEqualTo(3);
        assertThat(defaults.replicationFactorFor(7)).isEqualTo(3);
        assertThat(CoordinationConfig.of(Map.of("strata.default.replication.factor", "1")).topicDefaults().replicationFactorFor(5))
                .isEqualTo(1);
        assertThat(CoordinationConfig.of(Map.of("strata.default.replication.factor", " ")).defaultReplicationFactor()).isEmpty();
    }

    @Test
    void minInsyncReplicasIsTheClusterDefaultOfTheTopicConfig() {
        CoordinationConfig config = CoordinationConfig.of(Map.of("strata.min.insync.replicas", "2"));

        assertThat(config.minInsyncReplicas()).isEqualTo(2);
        assertThat(config.topicDefaults().effective(Map.of())).containsEntry(TopicConfigs.MIN_INSYNC_REPLICAS, "2");
        assertThat(config.toString()).contains("strata.min.insync.replicas=2", "strata.default.replication.factor=min(3, live storage nodes)");
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.min.insync.replicas", "0")))
                .hasMessageContaining("strata.min.insync.replicas");
    }

    @Test
    void invalidValuesAreRejectedNamingTheKey() {
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.num.partitions", "0")))
                .hasMessageContaining("strata.num.partitions");
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.default.replication.factor", "x")))
                .hasMessageContaining("strata.default.replication.factor").hasMessageContaining("not an integer");
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.session.timeout.ms", "10")))
                .hasMessageContaining("strata.session.timeout.ms");
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.log.retention.hours", "-2")))
                .hasMessageContaining("strata.log.retention.hours");
        assertThatThrownBy(() -> CoordinationConfig.of(Map.of("strata.metadata.root", "strata/")))
                .hasMessageContaining("strata.metadata.root");
    }

    @Test
    void aNestedMetadataRootIsAccepted() {
        assertThat(CoordinationConfig.of(Map.of("strata.metadata.root", "/clusters/prod")).metadataRoot()).isEqualTo("/clusters/prod");
    }
}
