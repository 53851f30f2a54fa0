package io.strata.coordination.health;

import io.strata.coordination.store.EmbeddedMetadataStore;
import io.strata.coordination.store.MetadataStore;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The readiness check on its own: it reports the prober's last result at once, and a probe
 * that does not come back makes it DOWN. The etcd cases (hung, killed, back) are in
 * {@code EtcdOutageRpcTest}.
 */
@Timeout(30)
class MetadataStoreReadinessTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @Test
    void theEmbeddedStoreIsUpWithItsRevisionUntilItIsClosed() {
        EmbeddedMetadataStore store = EmbeddedMetadataStore.open(dir);
        try (MetadataStoreReadiness readiness = new MetadataStoreReadiness(store, Duration.ofMillis(20), Duration.ofSeconds(1))) {
            await().atMost(WAIT).until(() -> readiness.call().getStatus() == HealthCheckResponse.Status.UP);
            HealthCheckResponse up = readiness.call();
            assertThat(up.getName()).isEqualTo(MetadataStoreReadiness.NAME);
            assertThat(up.getData().orElseThrow()).containsEntry("revision", store.currentRevision())
                    .containsEntry("store", store.toString()).containsKey("checked_at").doesNotContainKey("error");

            store.close();

            await().atMost(WAIT).until(() -> readiness.call().getStatus() == HealthCheckResponse.Status.DOWN);
            assertThat(readiness.call().getData().orElseThrow()).doesNotContainKey("revision")
                    .hasEntrySatisfying("error", e -> assertThat(e.toString()).contains("closed"));
        }
    }

    @Test
    void aProbeThatDoesNotComeBackMakesItDownWhileTheCheckItselfAnswersAtOnce() {
        CountDownLatch never = new CountDownLatch(1);
        MetadataStore hung = (MetadataStore) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {MetadataStore.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "probe" -> {
                        never.await();
                        yield 0L;
                    }
                    case "toString" -> "hung store";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        Duration timeout = Duration.ofMillis(200);
        try (MetadataStoreReadiness readiness = new MetadataStoreReadiness(hung, Duration.ofMillis(20), timeout)) {
            assertThat(readiness.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);

            await().atMost(WAIT).until(() -> readiness.call().getData().orElse(Map.of()).getOrDefault("error", "").toString()
                    .contains("has not returned for"));
            long start = System.nanoTime();
            HealthCheckResponse down = readiness.call();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(50));
            assertThat(down.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
            assertThat(down.getData().orElseThrow()).containsEntry("store", "hung store");
        }
    }
}
