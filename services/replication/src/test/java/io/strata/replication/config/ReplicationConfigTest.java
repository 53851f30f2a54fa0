package io.strata.replication.config;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.strata.runtime.HostPort;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplicationConfigTest {

    static ReplicationConfig config(Map<String, String> values) {
        Properties p = new Properties();
        p.putAll(values);
        return new ReplicationConfig(new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(p, "test", 100)).build());
    }

    @Test
    void defaults() {
        ReplicationConfig c = config(Map.of());
        assertThat(c.coordinationEndpoints()).isEmpty();
        assertThat(c.instanceId()).isEmpty();
        assertThat(c.sessionTimeoutMs()).isEqualTo(6000);
        assertThat(c.autoLeaderRebalance()).isTrue();
        assertThat(c.leaderImbalanceCheckInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.maxInflightWrites()).isEqualTo(256);
    }

    @Test
    void everyKeyIsRead() {
        ReplicationConfig c = config(Map.of("strata.coordination.endpoints", "a:1, b:2", "strata.replication.instance.id", "r1",
                "strata.session.timeout.ms", "3000", "strata.auto.leader.rebalance.enable", "false",
                "strata.leader.imbalance.check.interval.seconds", "5", "strata.replication.max.inflight.writes", "8"));
        assertThat(c.coordinationEndpoints()).contains(List.of(new HostPort("a", 1), new HostPort("b", 2)));
        assertThat(c.instanceId()).contains("r1");
        assertThat(c.sessionTimeoutMs()).isEqualTo(3000);
        assertThat(c.autoLeaderRebalance()).isFalse();
        assertThat(c.leaderImbalanceCheckInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.maxInflightWrites()).isEqualTo(8);
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> config(Map.of("strata.leader.imbalance.check.interval.seconds", "0")))
                .hasMessageContaining("strata.leader.imbalance.check.interval.seconds=0");
        assertThatThrownBy(() -> config(Map.of("strata.session.timeout.ms", "10"))).hasMessageContaining("strata.session.timeout.ms");
    }
}
