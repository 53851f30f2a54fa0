package io.strata.client.consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class ConsumerConfigTest {

    @Test
    void defaultsAreKafkas() {
        ConsumerConfig c = new ConsumerConfig(Map.of("bootstrap.servers", "h:1"));
        assertThat(c.fetchMaxWaitMs()).isEqualTo(500);
        assertThat(c.fetchMinBytes()).isEqualTo(1);
        assertThat(c.maxPartitionFetchBytes()).isEqualTo(1024 * 1024);
        assertThat(c.maxPollRecords()).isEqualTo(500);
        assertThat(c.autoOffsetReset()).isEqualTo(OffsetResetStrategy.LATEST);
    }

    @Test
    void autoOffsetResetIsValidated() {
        assertThat(new ConsumerConfig(Map.of("bootstrap.servers", "h:1", "auto.offset.reset", "Earliest"))
                .autoOffsetReset()).isEqualTo(OffsetResetStrategy.EARLIEST);
        assertThatThrownBy(() -> new ConsumerConfig(Map.of("bootstrap.servers", "h:1", "auto.offset.reset", "smallest")))
                .hasMessageContaining("auto.offset.reset");
    }
}
