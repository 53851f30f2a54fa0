package io.strata.coordination.grpc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/** WatchMetadata on the embedded metadata store (standalone's). */
@Timeout(60)
class WatchMetadataRpcTest extends WatchMetadataRpcContract {

    @TempDir
    Path dir;

    @Override
    CoordinationTestServer startCoordination(Map<String, String> config) throws Exception {
        return new CoordinationTestServer(dir, config);
    }

    @Test
    void cancellingTheStreamReleasesItsWatches() {
        var watch = watchMetadata();
        await().atMost(Duration.ofSeconds(10)).until(() -> watch.values.size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> coordination.store.openWatches() > 0);

        watch.cancel();

        await().atMost(Duration.ofSeconds(10)).until(() -> coordination.store.openWatches() == 0);
    }
}
