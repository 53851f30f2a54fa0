package io.strata.replication.controller;

import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.WatchMetadataRequest;
import io.strata.replication.config.ReplicationConfig;
import io.strata.replication.rules.PartitionChange;
import io.strata.replication.rules.Reconciler;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationWatch;
import io.strata.runtime.coordination.SingletonRoleElection;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * One term as the active controller, from winning the election to losing it: watches the whole
 * cluster (WatchMetadata) and, on its own thread, reconciles the newest snapshot
 * ({@link Reconciler}, pure) and writes the changes ({@link PartitionWriter}), then takes the
 * next newest snapshot — snapshots that arrive meanwhile replace each other, so a burst of
 * changes costs one pass. A write that fails for another reason than a lost compare-and-set
 * makes the loop try again after {@link #RETRY_MS}. Every check interval (when
 * {@code auto.leader.rebalance.enable}) a pass also moves leaders back to preferred replicas.
 *
 * <p>{@link #stop()} ends the term at once: nothing is written after it (writes in flight may
 * still land; their compare-and-set and the next controller's re-decision make that harmless).
 */
final class ActiveTerm implements SingletonRoleElection.Term {

    private static final Logger LOG = Logger.getLogger(ActiveTerm.class);
    static final long RETRY_MS = 1000;
    private static final long PASS_TIMEOUT_MS = 60_000;

    private final long term;
    private final CoordinationChannels channels;
    private final ScheduledExecutorService scheduler;
    private final ReplicationConfig config;
    private final PartitionWriter writer;
    private final CoordinationWatch<ClusterMetadata> watch;
    private final Thread loop;
    private volatile boolean active = true;
    private volatile ScheduledFuture<?> rebalance;
    private ClusterMetadata latest;
    private boolean dirty;
    private boolean preferredDue;

    ActiveTerm(long term, CoordinationChannels channels, ScheduledExecutorService scheduler, ReplicationConfig config,
               LongAdder leaderChanges) {
        this.term = term;
        this.channels = channels;
        this.scheduler = scheduler;
        this.config = config;
        this.writer = new PartitionWriter(channels, config.maxInflightWrites(), () -> active, leaderChanges);
        this.watch = new CoordinationWatch<>(channels, scheduler, "replication controller metadata watch",
                (stub, o) -> stub.watchMetadata(WatchMetadataRequest.getDefaultInstance(), o), this::offer);
        this.loop = new Thread(this::run, "strata-replication-controller-" + term);
        this.loop.setDaemon(true);
    }

    @Override
    public void start() {
        watch.start();
        loop.start();
        if (config.autoLeaderRebalance()) {
            long ms = config.leaderImbalanceCheckInterval().toMillis();
            rebalance = scheduler.scheduleAtFixedRate(this::preferredLeadersDue, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    long term() {
        return term;
    }

    boolean active() {
        return active;
    }

    PartitionWriter writer() {
        return writer;
    }

    /** The newest cluster snapshot, or null before the first one. */
    synchronized ClusterMetadata latest() {
        return latest;
    }

    private synchronized void offer(ClusterMetadata snapshot) {
        if (latest == null || snapshot.getRevision() >= latest.getRevision()) {
            latest = snapshot;
            dirty = true;
            notifyAll();
        }
    }

    private synchronized void preferredLeadersDue() {
        preferredDue = true;
        notifyAll();
    }

    private synchronized void retryLater() {
        if (!active) {
            return;
        }
        try {
            scheduler.schedule(() -> {
                synchronized (this) {
                    dirty = true;
                    notifyAll();
                }
            }, RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debugf("no retry: shutting down");
        }
    }

    private void run() {
        while (active) {
            ClusterMetadata snapshot;
            boolean preferred;
            synchronized (this) {
                while (active && (latest == null || !(dirty || preferredDue))) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (!active) {
                    return;
                }
                snapshot = latest;
                preferred = preferredDue;
                dirty = false;
                preferredDue = false;
            }
            pass(snapshot, preferred);
        }
    }

    private void pass(ClusterMetadata snapshot, boolean preferred) {
        List<PartitionChange> changes;
        try {
            changes = Reconciler.reconcile(snapshot, tp -> preferred);
        } catch (RuntimeException e) {
            LOG.errorf(e, "reconciling revision %d failed", snapshot.getRevision());
            return;
        }
        if (changes.isEmpty()) {
            return;
        }
        LOG.debugf("term %d: revision %d calls for %d partition changes", term, snapshot.getRevision(), changes.size());
        List<CompletableFuture<?>> writes = changes.stream().<CompletableFuture<?>>map(writer::write).toList();
        boolean retry = false;
        try {
            CompletableFuture.allOf(writes.stream().map(f -> f.handle((v, e) -> e)).toArray(CompletableFuture[]::new))
                    .get(PASS_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            for (CompletableFuture<?> w : writes) {
                if (w.isCompletedExceptionally() && !casFailed(w)) {
                    retry = true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (TimeoutException e) {
            retry = true;
        } catch (Exception e) {
            retry = true;
        }
        if (retry) {
            retryLater();
        }
    }

    private static boolean casFailed(CompletableFuture<?> write) {
        try {
            write.join();
            return false;
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return io.strata.proto.StrataError.reasonOf(cause).orElse(null) == io.strata.proto.v1.ErrorCode.CAS_FAILED;
        }
    }

    /** Ends the term: no write starts after this returns. */
    @Override
    public void stop() {
        active = false;
        ScheduledFuture<?> r = rebalance;
        if (r != null) {
            r.cancel(false);
        }
        watch.close();
        loop.interrupt();
    }
}
