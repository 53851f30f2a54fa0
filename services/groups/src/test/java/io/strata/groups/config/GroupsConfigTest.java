package io.strata.groups.config;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.strata.groups.coordinator.GroupSettings;
import io.strata.runtime.HostPort;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GroupsConfigTest {

    static GroupsConfig config(Map<String, String> values) {
        Properties p = new Properties();
        p.putAll(values);
        return new GroupsConfig(new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(p, "test", 100)).build());
    }

    @Test
    void defaultsAreTheCoordinatorsDefaults() {
        GroupsConfig c = config(Map.of());
        assertThat(c.coordinationEndpoints()).isEmpty();
        assertThat(c.instanceId()).isEmpty();
        assertThat(c.coordinationSessionTimeoutMs()).isEqualTo(6000);
        assertThat(c.settings()).isEqualTo(GroupSettings.defaults());
        assertThat(c.lagRefreshInterval()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void everyKeyIsRead() {
        GroupsConfig c = config(Map.ofEntries(
                Map.entry("strata.coordination.endpoints", "a:1, b:2"),
                Map.entry("strata.groups.instance.id", "g1"),
                Map.entry("strata.session.timeout.ms", "3000"),
                Map.entry("strata.groups.session.timeout.ms", "45000"),
                Map.entry("strata.groups.min.session.timeout.ms", "2000"),
                Map.entry("strata.groups.max.session.timeout.ms", "60000"),
                Map.entry("strata.groups.heartbeat.interval.ms", "3000"),
                Map.entry("strata.groups.reconciling.heartbeat.interval.ms", "200"),
                Map.entry("strata.groups.rebalance.timeout.ms", "120000"),
                Map.entry("strata.groups.max.size", "50"),
                Map.entry("strata.groups.assignor", "range"),
                Map.entry("strata.groups.lag.refresh.interval.ms", "1000")));
        assertThat(c.coordinationEndpoints()).contains(List.of(new HostPort("a", 1), new HostPort("b", 2)));
        assertThat(c.instanceId()).contains("g1");
        assertThat(c.coordinationSessionTimeoutMs()).isEqualTo(3000);
        assertThat(c.settings()).isEqualTo(new GroupSettings(Duration.ofSeconds(45), Duration.ofSeconds(2), Duration.ofMinutes(1),
                Duration.ofSeconds(3), Duration.ofMillis(200), Duration.ofMinutes(2), 50, "range"));
        assertThat(c.lagRefreshInterval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> config(Map.of("strata.groups.session.timeout.ms", "500")))
                .hasMessageContaining("strata.groups.session.timeout.ms=500");
        assertThatThrownBy(() -> config(Map.of("strata.groups.session.timeout.ms", "400000")))
                .hasMessageContaining("strata.groups.max.session.timeout.ms");
        assertThatThrownBy(() -> config(Map.of("strata.groups.heartbeat.interval.ms", "10000")))
                .hasMessageContaining("strata.groups.heartbeat.interval.ms=10000");
        assertThatThrownBy(() -> config(Map.of("strata.groups.reconciling.heartbeat.interval.ms", "2000")))
                .hasMessageContaining("strata.groups.reconciling.heartbeat.interval.ms=2000");
        assertThatThrownBy(() -> config(Map.of("strata.groups.max.size", "0"))).hasMessageContaining("strata.groups.max.size=0");
        assertThatThrownBy(() -> config(Map.of("strata.groups.assignor", "sticky")))
                .hasMessageContaining("strata.groups.assignor=sticky").hasMessageContaining("uniform");
        assertThatThrownBy(() -> config(Map.of("strata.groups.lag.refresh.interval.ms", "10")))
                .hasMessageContaining("strata.groups.lag.refresh.interval.ms=10");
        assertThatThrownBy(() -> config(Map.of("strata.session.timeout.ms", "10"))).hasMessageContaining("strata.session.timeout.ms");
    }
}
