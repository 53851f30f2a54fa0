package io.strata.coordination.health;

import io.quarkus.runtime.Startup;
import io.strata.coordination.store.MetadataStore;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Readiness of a coordination instance ({@code /q/health/ready}, check {@value #NAME}): UP
 * while its metadata store answers. Every Coordination RPC needs the store, so an instance
 * that cannot reach etcd (down, unreachable, hung, without a leader) takes no traffic, and it
 * is ready again by itself once etcd answers.
 *
 * <p>The check never waits for the store: one daemon thread ({@code strata-metadata-probe})
 * calls {@link MetadataStore#probe} every {@link #INTERVAL} (after the previous probe ended),
 * bounded by {@link #PROBE_TIMEOUT}, and the check reports the last result at once. A probe
 * still running twice its timeout after it started counts as DOWN, so a store that overran its
 * bound cannot leave a stale UP behind. Data: {@code store} (which one), then {@code revision}
 * when UP or {@code error} when DOWN, and {@code checked_at}, when the reported probe ended.
 * Changes are logged: DOWN as a warning with the error, UP again as info.
 *
 * <p>Thread-safe: the prober thread writes the result, the check only reads it.
 */
@Readiness
@Startup
@Singleton
public class MetadataStoreReadiness implements HealthCheck, AutoCloseable {

    public static final String NAME = "metadata-store";
    /** Pause between the end of one probe and the start of the next. */
    public static final Duration INTERVAL = Duration.ofSeconds(1);
    /** The longest one probe waits for the store. */
    public static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

    private static final Logger LOG = Logger.getLogger(MetadataStoreReadiness.class);

    private final MetadataStore store;
    private final Duration timeout;
    private final ScheduledExecutorService prober;
    private volatile Result last = new Result(false, 0, "not probed yet", null);
    /** {@link System#nanoTime()} when the running probe started; meaningful while {@link #probing}. */
    private volatile long probeStartedNanos;
    private volatile boolean probing;

    @Inject
    public MetadataStoreReadiness(MetadataStore store) {
        this(store, INTERVAL, PROBE_TIMEOUT);
    }

    /** Starts probing {@code store} at once, then {@code interval} after each probe, each bounded by {@code timeout}. */
    public MetadataStoreReadiness(MetadataStore store, Duration interval, Duration timeout) {
        this.store = store;
        this.timeout = timeout;
        this.prober = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strata-metadata-probe");
            t.setDaemon(true);
            return t;
        });
        prober.scheduleWithFixedDelay(this::probe, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public HealthCheckResponse call() {
        Result result = last;
        if (probing) {
            long runningMs = (System.nanoTime() - probeStartedNanos) / 1_000_000;
            if (runningMs > 2 * timeout.toMillis()) {
                result = new Result(false, 0, "the probe has not returned for " + runningMs + " ms", result.checkedAt());
            }
        }
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME).status(result.up()).withData("store", store.toString());
        if (result.up()) {
            response.withData("revision", result.revision());
        } else {
            response.withData("error", result.error());
        }
        if (result.checkedAt() != null) {
            response.withData("checked_at", result.checkedAt().toString());
        }
        return response.build();
    }

    /** Stops probing; the store belongs to its producer. Idempotent. */
    @PreDestroy
    @Override
    public void close() {
        prober.shutdownNow();
    }

    private void probe() {
        probeStartedNanos = System.nanoTime();
        probing = true;
        Result result;
        try {
            result = new Result(true, store.probe(timeout), null, Instant.now());
        } catch (RuntimeException e) {
            // Whatever the store throws means it does not answer; the scheduler must keep running.
            result = new Result(false, 0, e.getMessage() == null ? e.toString() : e.getMessage(), Instant.now());
        } finally {
            probing = false;
        }
        if (prober.isShutdown()) {
            return; // close() interrupted this probe: its failure says nothing about the store
        }
        Result previous = last;
        last = result;
        if (!result.up() && (previous.up() || previous.checkedAt() == null)) {
            LOG.warnf("metadata store %s does not answer, this instance is not ready: %s", store, result.error());
        } else if (!previous.up() && result.up()) {
            LOG.infof("metadata store %s answers (revision %d), this instance is ready", store, result.revision());
        }
    }

    /** One probe's outcome; {@code checkedAt} is null before the first probe ended. */
    private record Result(boolean up, long revision, String error, Instant checkedAt) {
    }
}
