package io.strata.cli.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Asks a process whether it is ready: etcd's {@code /health}, a Strata role's
 * {@code /q/health/ready} (a coordination instance is ready only while its metadata store
 * answers; a storage node once it is registered and serves its partitions).
 */
final class HealthProbe {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    /** Whether {@code p} answers its health endpoint with "ready". */
    boolean isReady(ManagedProcess p) {
        URI uri = switch (p.role()) {
            case ManagedProcess.ETCD -> URI.create("http://127.0.0.1:" + p.port("client") + "/health");
            default -> URI.create("http://127.0.0.1:" + p.port("http") + "/q/health/ready");
        };
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return false;
            }
            // etcd answers {"health":"true"}; Quarkus answers 200 only when every check is UP.
            return !ManagedProcess.ETCD.equals(p.role()) || r.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
