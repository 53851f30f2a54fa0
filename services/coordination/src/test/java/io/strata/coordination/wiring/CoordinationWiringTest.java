package io.strata.coordination.wiring;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.coordination.config.CoordinationConfig;
import io.strata.coordination.grpc.CoordinationGrpcService;
import io.strata.coordination.health.MetadataStoreReadiness;
import io.strata.coordination.store.MetadataStore;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.MetadataRequest;
import io.strata.runtime.GrpcServer;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.strata.coordination.grpc.CoordinationGrpcTestAccess.storageRegistration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The role as Quarkus assembles it: CDI finds the config, the store producer and the gRPC
 * service, and the runtime's gRPC server serves it; readiness includes the metadata store's.
 */
@QuarkusTest
@TestProfile(CoordinationWiringTest.Profile.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CoordinationWiringTest {

    static final Path DATA_DIR = Path.of("target", "wiring-test-" + UUID.randomUUID());

    public static final class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "strata.listeners", "127.0.0.1:0",
                    "quarkus.http.test-port", "0",
                    "strata.data.dir", DATA_DIR.toString(),
                    "strata.num.partitions", "4");
        }
    }

    @Inject
    CoordinationConfig config;

    @Inject
    MetadataStore store;

    @Inject
    @Any
    Instance<BindableService> services;

    @Inject
    GrpcServer server;

    @TestHTTPResource("/q/health/ready")
    URI readiness;

    @Test
    void configStoreAndServiceAreWiredAndServedOverGrpc() throws Exception {
        assertThat(config.numPartitions()).isEqualTo(4);
        assertThat(config.metadataDir()).isEqualTo(DATA_DIR.resolve("metadata"));
        assertThat(store.currentRevision()).isPositive();
        assertThat(services.stream().anyMatch(s -> s instanceof CoordinationGrpcService)).isTrue();

        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try (var node = storageRegistration(CoordinationGrpc.newStub(channel), 1)) {
            var stub = CoordinationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            assertThat(stub.createTopic(CreateTopicRequest.newBuilder().setName("wired").build()).getPartitionsCount()).isEqualTo(4);
            assertThat(stub.getMetadata(MetadataRequest.getDefaultInstance()).getNodesList()).hasSize(1);
        } finally {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void readinessIsUpWithTheMetadataStoreCheck() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(readiness).timeout(Duration.ofSeconds(2)).build();

        await().atMost(Duration.ofSeconds(10)).until(() -> http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        String body = http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).join().body();
        assertThat(body).contains("\"" + MetadataStoreReadiness.NAME + "\"").contains("\"grpc-server\"").doesNotContain("DOWN");
    }
}
