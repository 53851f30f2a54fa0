package io.strata.groups.metrics;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.MemberDescription;
import io.strata.proto.v1.PartitionLag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The consumer-group gauges as Prometheus scrapes them: kafka_exporter's names and labels, exactly. */
class GroupsMetricsTest {

    private static PartitionLag partition(String topic, int partition, long committed, long logEnd) {
        return PartitionLag.newBuilder().setTopic(topic).setPartition(partition).setCommitted(committed).setLogEndOffset(logEnd)
                .setLag(committed >= 0 && logEnd >= 0 ? logEnd - committed : 0).build();
    }

    private static final GroupDescription PAYMENTS = GroupDescription.newBuilder().setGroupId("payments").setState("stable")
            .addMembers(MemberDescription.newBuilder().setMemberId("m1"))
            .addMembers(MemberDescription.newBuilder().setMemberId("m2"))
            .addPartitions(partition("orders", 0, 40, 100))
            .addPartitions(partition("orders", 1, 90, 90))
            .addPartitions(partition("orders", 2, -1, 12))     // nothing committed: lag -1, kafka_exporter's marker
            .addPartitions(partition("refunds", 0, 5, -1))     // leader unreachable: no lag at all
            .build();
    private static final GroupDescription ARCHIVE = GroupDescription.newBuilder().setGroupId("archive").setState("empty")
            .addPartitions(partition("orders", 0, 7, 100)).build();

    private static List<String> samples(PrometheusMeterRegistry registry, String prefix) {
        return Arrays.stream(registry.scrape().split("\n")).filter(l -> l.startsWith(prefix)).sorted().toList();
    }

    @Test
    void theScrapeShowsKafkaExportersNamesAndLabels() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        LagGauges gauges = new LagGauges(registry);
        gauges.show(LagSnapshot.of(List.of(PAYMENTS, ARCHIVE)));

        String scrape = registry.scrape();
        assertThat(scrape).contains("# HELP kafka_consumergroup_lag Current Approximate Lag of a ConsumerGroup at Topic/Partition\n"
                + "# TYPE kafka_consumergroup_lag gauge\n");
        assertThat(scrape).contains("# TYPE kafka_consumergroup_lag_sum gauge\n");
        assertThat(samples(registry, "kafka_consumergroup_")).containsExactly(
                "kafka_consumergroup_current_offset_sum{consumergroup=\"archive\",topic=\"orders\",} 7.0",
                "kafka_consumergroup_current_offset_sum{consumergroup=\"payments\",topic=\"orders\",} 130.0",
                "kafka_consumergroup_current_offset_sum{consumergroup=\"payments\",topic=\"refunds\",} 5.0",
                "kafka_consumergroup_current_offset{consumergroup=\"archive\",partition=\"0\",topic=\"orders\",} 7.0",
                "kafka_consumergroup_current_offset{consumergroup=\"payments\",partition=\"0\",topic=\"orders\",} 40.0",
                "kafka_consumergroup_current_offset{consumergroup=\"payments\",partition=\"0\",topic=\"refunds\",} 5.0",
                "kafka_consumergroup_current_offset{consumergroup=\"payments\",partition=\"1\",topic=\"orders\",} 90.0",
                "kafka_consumergroup_current_offset{consumergroup=\"payments\",partition=\"2\",topic=\"orders\",} -1.0",
                "kafka_consumergroup_lag_sum{consumergroup=\"archive\",topic=\"orders\",} 93.0",
                "kafka_consumergroup_lag_sum{consumergroup=\"payments\",topic=\"orders\",} 60.0",
                "kafka_consumergroup_lag{consumergroup=\"archive\",partition=\"0\",topic=\"orders\",} 93.0",
                "kafka_consumergroup_lag{consumergroup=\"payments\",partition=\"0\",topic=\"orders\",} 60.0",
                "kafka_consumergroup_lag{consumergroup=\"payments\",partition=\"1\",topic=\"orders\",} 0.0",
                "kafka_consumergroup_lag{consumergroup=\"payments\",partition=\"2\",topic=\"orders\",} -1.0",
                "kafka_consumergroup_members{consumergroup=\"archive\",} 0.0",
                "kafka_consumergroup_members{consumergroup=\"payments\",} 2.0");
    }

    @Test
    void gaugesFollowTheLatestSnapshotAndAStandbyShowsNone() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AtomicBoolean active = new AtomicBoolean(true);
        AtomicReference<List<GroupDescription>> groups = new AtomicReference<>(List.of(PAYMENTS, ARCHIVE));
        GroupsMetrics.bindActive(registry, active::get);
        LagRefresher refresher = new LagRefresher(() -> active.get() ? Optional.of(CompletableFuture.completedFuture(groups.get()))
                : Optional.empty(), new LagGauges(registry), Duration.ofSeconds(5));

        refresher.refresh().join();
        assertThat(samples(registry, "strata_groups_active")).containsExactly("strata_groups_active 1.0");
        assertThat(samples(registry, "kafka_consumergroup_members")).hasSize(2);

        // The archive group is deleted and orders-2 of payments is no longer reported.
        groups.set(List.of(PAYMENTS.toBuilder().removePartitions(2).build()));
        refresher.refresh().join();
        assertThat(samples(registry, "kafka_consumergroup_members")).containsExactly("kafka_consumergroup_members{consumergroup=\"payments\",} 2.0");
        assertThat(samples(registry, "kafka_consumergroup_lag{")).containsExactly(
                "kafka_consumergroup_lag{consumergroup=\"payments\",partition=\"0\",topic=\"orders\",} 60.0",
                "kafka_consumergroup_lag{consumergroup=\"payments\",partition=\"1\",topic=\"orders\",} 0.0");

        // A failed refresh keeps the last values.
        LagRefresher failing = new LagRefresher(() -> Optional.of(CompletableFuture.failedFuture(new IllegalStateException("boom"))),
                new LagGauges(registry), Duration.ofSeconds(5));
        failing.refresh().join();
        assertThat(samples(registry, "kafka_consumergroup_members")).hasSize(1);

        active.set(false);
        refresher.refresh().join();
        assertThat(samples(registry, "strata_groups_active")).containsExactly("strata_groups_active 0.0");
        assertThat(samples(registry, "kafka_consumergroup_")).isEmpty();
    }
}
