package io.strata.groups.metrics;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.strata.groups.instance.GroupsInstance;
import io.strata.groups.testing.GroupsCluster;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.OffsetCommit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static io.strata.groups.testing.GroupsCluster.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The consumer-group gauges computed by the active instance's coordinator, with log end offsets
 * asked from the partitions' leaders over gRPC (ListOffsets), as Prometheus scrapes them; a
 * standby exports none.
 */
@Timeout(120)
class GroupsLagTest {

    @TempDir
    Path dir;

    private GroupsCluster cluster;

    @BeforeEach
    void start() throws Exception {
        cluster = new GroupsCluster(dir, 3);
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private static LagRefresher refresher(GroupsInstance instance, PrometheusMeterRegistry registry) {
        return new LagRefresher(() -> instance.activeCoordinator().map(c -> c.describeAll()), new LagGauges(registry),
                Duration.ofSeconds(5));
    }

    private static List<String> samples(PrometheusMeterRegistry registry) {
        return Arrays.stream(registry.scrape().split("\n")).filter(l -> l.startsWith("kafka_consumergroup_")).sorted().toList();
    }

    @Test
    void theActiveInstanceExportsEveryGroupsLag() throws Exception {
        cluster.createTopic("orders", 3);
        GroupsCluster.Instance active = cluster.instance();
        await().atMost(WAIT).until(active.groups()::isActive);
        GroupsCluster.Instance standby = cluster.instance();
        await().atMost(WAIT).until(standby.groups()::registered);

        // "archive" has only offsets (assign() commits); "payments" has a member and nothing committed.
        active.stub().commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId("archive").setMemberEpoch(-1)
                .addOffsets(OffsetCommit.newBuilder().setTopic("orders").setPartition(0).setOffset(42)).build());
        active.stub().heartbeat(GroupHeartbeatRequest.newBuilder().setGroupId("payments").setMemberEpoch(0)
                .addSubscribedTopicNames("orders").build());

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        refresher(active.groups(), registry).refresh().join();
        List<String> scraped = samples(registry);
        assertThat(scraped).containsExactly(
                "kafka_consumergroup_current_offset_sum{consumergroup=\"archive\",topic=\"orders\",} 42.0",
                "kafka_consumergroup_current_offset{consumergroup=\"archive\",partition=\"0\",topic=\"orders\",} 42.0",
                "kafka_consumergroup_current_offset{consumergroup=\"payments\",partition=\"0\",topic=\"orders\",} -1.0",
                "kafka_consumergroup_current_offset{consumergroup=\"payments\",partition=\"1\",topic=\"orders\",} -1.0",
                "kafka_consumergroup_current_offset{consumergroup=\"payments\",partition=\"2\",topic=\"orders\",} -1.0",
                "kafka_consumergroup_lag_sum{consumergroup=\"archive\",topic=\"orders\",} 58.0",
                "kafka_consumergroup_lag_sum{consumergroup=\"payments\",topic=\"orders\",} 0.0",
                "kafka_consumergroup_lag{consumergroup=\"archive\",partition=\"0\",topic=\"orders\",} 58.0",
                "kafka_consumergroup_lag{consumergroup=\"payments\",partition=\"0\",topic=\"orders\",} -1.0",
                "kafka_consumergroup_lag{consumergroup=\"payments\",partition=\"1\",topic=\"orders\",} -1.0",
                "kafka_consumergroup_lag{consumergroup=\"payments\",partition=\"2\",topic=\"orders\",} -1.0",
                "kafka_consumergroup_members{consumergroup=\"archive\",} 0.0",
                "kafka_consumergroup_members{consumergroup=\"payments\",} 1.0");

        PrometheusMeterRegistry standbyRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        refresher(standby.groups(), standbyRegistry).refresh().join();
        assertThat(samples(standbyRegistry)).isEmpty();
    }
}
