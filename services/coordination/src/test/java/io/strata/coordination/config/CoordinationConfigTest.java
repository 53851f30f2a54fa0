package io.strata.coordination.config;

import io.strata.proto.TopicConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
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
        assertThat(config.defaultReplicationFactor()).isEqualTo(1);
        assertThat(config.logRetentionHours()).isEqualTo(168);
        assertThat(config.sessionTimeoutMs()).isEqualTo(6000);
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
        assertThat(config.topicDefaults().replicationFactor()).isEqualTo(3);
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
