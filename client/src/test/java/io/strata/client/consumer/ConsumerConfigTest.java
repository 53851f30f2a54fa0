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

    @Test
    void groupDefaultsFollowTheIssueAndKafka() {
        ConsumerConfig c = new ConsumerConfig(Map.of("bootstrap.servers", "h:1"));
        assertThat(c.groupId()).isEmpty();
        assertThat(c.groupInstanceId()).isEmpty();
        assertThat(c.sessionTimeoutMs()).isEqualTo(10_000);
        assertThat(c.maxPollIntervalMs()).isEqualTo(300_000);
        assertThat(c.groupRemoteAssignor()).isEqualTo("uniform");
        assertThat(c.enableAutoCommit()).as("manual commit is the default").isFalse();
        assertThat(c.autoCommitIntervalMs()).isEqualTo(5_000);
    }

    @Test
    void groupSettingsAreReadAndHeartbeatIntervalIsAcceptedButIgnored() {
        ConsumerConfig c = new ConsumerConfig(Map.of("bootstrap.servers", "h:1", "group.id", "g",
                "group.instance.id", "i-1", "session.timeout.ms", "45000", "heartbeat.interval.ms", 100,
                "group.remote.assignor", "range", "enable.auto.commit", "true", "max.poll.interval.ms", 1000));
        assertThat(c.groupId()).contains("g");
        assertThat(c.groupInstanceId()).contains("i-1");
        assertThat(c.sessionTimeoutMs()).isEqualTo(45_000);
        assertThat(c.groupRemoteAssignor()).isEqualTo("range");
        assertThat(c.enableAutoCommit()).isTrue();
        assertThat(c.maxPollIntervalMs()).isEqualTo(1_000);
    }

    @Test
    void aGroupInstanceIdNeedsAGroupId() {
        assertThatThrownBy(() -> new ConsumerConfig(Map.of("bootstrap.servers", "h:1", "group.instance.id", "i-1")))
                .hasMessageContaining("group.id");
    }
}
