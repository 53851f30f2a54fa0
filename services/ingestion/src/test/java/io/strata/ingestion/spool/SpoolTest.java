package io.strata.ingestion.spool;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.strata.ingestion.config.IngestionConfig;
import io.strata.proto.TopicConfigs;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static io.strata.ingestion.spool.SpoolTestData.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The whole spool against a fake cluster. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpoolTest {

    @TempDir
    Path dir;

    private FakeCluster cluster;
    private Spool spool;

    @AfterEach
    void tearDown() {
        if (spool != null) {
            spool.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private Spool open() throws Exception {
        Properties p = new Properties();
        p.putAll(Map.of("strata.ingestion.spool.dir", dir.toString(), "strata.ingestion.instance.id", "ingestion-spool-test",
                "strata.ingestion.compression.type", "none"));
        IngestionConfig config = new IngestionConfig(new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(p, "test", 100)).build());
        return Spool.open(config, List.of(cluster.address()));
    }

    @Test
    void recordsAreCheckedAgainstTheTopicOverrideElseTheClusterDefaultMaxMessageBytes() throws Exception {
        cluster = new FakeCluster();
        cluster.defaultConfig(TopicConfigs.MAX_MESSAGE_BYTES, "1000"); // below the built-in 1 MiB
        cluster.topic("plain", 1, Map.of());
        cluster.topic("roomy", 1, Map.of(TopicConfigs.MAX_MESSAGE_BYTES, "100000"));
        spool = open();
        PublishRecord big = record("plain", null, "x".repeat(2_000));

        List<PublishResult> results = spool.publish(List.of(big, big.toBuilder().setTopic("roomy").build(),
                record("plain", null, "small")), 5_000).get(10, TimeUnit.SECONDS);

        assertThat(results.get(0).getError()).isEqualTo(ErrorCode.RECORD_TOO_LARGE);
        assertThat(results.get(1).getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
        assertThat(results.get(2).getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.written().size() == 2);
    }
}
