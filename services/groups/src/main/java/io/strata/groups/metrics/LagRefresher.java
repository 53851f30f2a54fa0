package io.strata.groups.metrics;

import io.strata.proto.v1.GroupDescription;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Recomputes the consumer-group gauges on an interval, not per scrape: asks the active
 * coordinator for every group's lag ({@code describeAll}, which asks the partitions' leaders for
 * their log end offsets) and shows the result ({@link LagGauges}). One refresh at a time; one that
 * takes longer than {@code timeout} is given up (the gauges keep the previous values). On a standby
 * the gauges are removed: only the active instance exports lag.
 */
final class LagRefresher {

    private static final Logger LOG = Logger.getLogger(LagRefresher.class);

    private final Supplier<Optional<CompletableFuture<List<GroupDescription>>>> describeAll;
    private final LagGauges gauges;
    private final Duration timeout;
    private final AtomicBoolean running = new AtomicBoolean();

    /**
     * @param describeAll starts {@code describeAll()} on the active coordinator; empty when this instance is not active
     * @param timeout     how long one refresh may take
     */
    LagRefresher(Supplier<Optional<CompletableFuture<List<GroupDescription>>>> describeAll, LagGauges gauges, Duration timeout) {
        this.describeAll = describeAll;
        this.gauges = gauges;
        this.timeout = timeout;
    }

    /** One refresh; the returned future completes when the gauges show its result (or it was given up). */
    CompletableFuture<Void> refresh() {
        if (!running.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        Optional<CompletableFuture<List<GroupDescription>>> started;
        try {
            started = describeAll.get();
        } catch (RuntimeException e) {
            running.set(false);
            LOG.debugf("lag refresh not started: %s", e.toString());
            return CompletableFuture.completedFuture(null);
        }
        if (started.isEmpty()) {
            gauges.show(LagSnapshot.EMPTY);
            running.set(false);
            return CompletableFuture.completedFuture(null);
        }
        return started.get().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((groups, error) -> {
            try {
                if (error != null) {
                    LOG.debugf("lag refresh failed: %s", error.toString());
                } else {
                    gauges.show(LagSnapshot.of(groups));
                }
            } finally {
                running.set(false);
            }
            return null;
        });
    }
}
