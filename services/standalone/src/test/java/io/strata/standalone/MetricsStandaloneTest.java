package io.strata.standalone;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.proto.TopicConfigs;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.replication.ReplicationNode;
import io.strata.runtime.GrpcServer;
import io.strata.storage.StorageNode;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Standalone serves {@code /q/metrics} on its HTTP port, with the storage node's gauges (tagged
 * with its node id) and the replication controller's, computed from the live cluster.
 */
@QuarkusTest
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MetricsStandaloneTest {

    /** A sample line of the Prometheus text format: name, optional labels, value. */
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)$");

    @TestHTTPResource("/q/metrics")
    URI metrics;
    @Inject
    GrpcServer grpcServer;
    @Inject
    StorageNode storageNode;
    @Inject
    ReplicationNode replicationNode;

    private ManagedChannel channel;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcServer.port()).usePlaintext().build();
        await().atMost(Duration.ofSeconds(30)).until(() -> storageNode.isReady() && replicationNode.controller().isActive());
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    @Test
    void theStorageAndControllerGaugesAreScraped() {
        // One replica but min.insync.replicas=2: led here, complete, yet under min ISR (acks=all refused).
        CoordinationGrpc.newBlockingStub(channel).createTopic(CreateTopicRequest.newBuilder()
                .setName("metrics-" + UUID.randomUUID()).setPartitions(2).setReplicationFactor(1)
                .putConfigs(TopicConfigs.MIN_INSYNC_REPLICAS, "2").build());
        String node = "{node_id=\"" + storageNode.nodeId() + "\"}";

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Map<String, Double> scraped = scrape();
            assertThat(scraped.get("strata_storage_partitions" + node)).isGreaterThanOrEqualTo(2);
            assertThat(scraped.get("strata_storage_leader_partitions" + node)).isGreaterThanOrEqualTo(2);
            assertThat(scraped.get("strata_storage_under_min_isr_partitions" + node)).isGreaterThanOrEqualTo(2);
            assertThat(scraped.get("strata_storage_under_replicated_partitions" + node)).isZero();
            assertThat(scraped.get("strata_storage_pending_acks" + node)).isNotNull();
            assertThat(scraped.get("strata_controller_active")).isEqualTo(1);
            assertThat(scraped.get("strata_controller_live_storage_nodes")).isEqualTo(1);
            assertThat(scraped.get("strata_controller_offline_partitions")).isZero();
            assertThat(scraped.get("strata_controller_under_replicated_partitions")).isZero();
            assertThat(scraped.get("strata_controller_preferred_replica_imbalance")).isZero();
            assertThat(scraped.get("strata_controller_elections_total")).isNotNull();
        });
    }

    /** The scraped samples, by name and labels as written. */
    private Map<String, Double> scrape() throws Exception {
        HttpResponse<String> response;
        try (HttpClient http = HttpClient.newHttpClient()) {
            response = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Double> samples = new HashMap<>();
        for (String line : response.body().split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches()) {
                samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
            }
        }
        return samples;
    }
}
