package io.strata.ingestion.config;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IngestionConfigTest {

    static IngestionConfig config(Map<String, String> values) {
        Properties p = new Properties();
        p.putAll(values);
        return new IngestionConfig(new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(p, "test", 100)).build());
    }

    @Test
    void aSpoolSegmentLargerThanHalfTheSpoolIsRefusedAtStartNamingBothKeys() {
        assertThatThrownBy(() -> config(Map.of("strata.ingestion.spool.max.bytes", "1048576",
                "strata.ingestion.spool.segment.bytes", "1048576")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("strata.ingestion.spool.segment.bytes=1048576")
                .hasMessageContaining("half of strata.ingestion.spool.max.bytes=1048576");
        // The default segment (64 MiB) against a small spool is refused too.
        assertThatThrownBy(() -> config(Map.of("strata.ingestion.spool.max.bytes", "67108864")))
                .hasMessageContaining("strata.ingestion.spool.segment.bytes=67108864");
    }

    @Test
    void aSpoolSegmentOfHalfTheSpoolOrLessIsAccepted() {
        assertThat(config(Map.of("strata.ingestion.spool.max.bytes", "1048576",
                "strata.ingestion.spool.segment.bytes", "524288")).spoolSegmentBytes()).isEqualTo(524288);
        assertThat(config(Map.of()).spoolSegmentBytes()).isEqualTo(64L << 20);
    }

    @Test
    void theProducersQueueMaxDelayDefaultsToTheProducersAndZeroTurnsItOff() {
        assertThat(config(Map.of()).queueMaxDelayMs()).isEqualTo(10);
        assertThat(config(Map.of("strata.ingestion.queue.max.delay.ms", "0")).queueMaxDelayMs()).isZero();
        assertThatThrownBy(() -> config(Map.of("strata.ingestion.queue.max.delay.ms", "-1")))
                .hasMessageContaining("strata.ingestion.queue.max.delay.ms");
    }
}
