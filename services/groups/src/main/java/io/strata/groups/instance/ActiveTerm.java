package io.strata.groups.instance;

import io.strata.groups.config.GroupsConfig;
import io.strata.groups.coordinator.GroupCoordinator;
import io.strata.groups.coordinator.PartitionOffsets;
import io.strata.groups.store.CoordinationGroupPersistence;
import io.strata.groups.store.GroupStateLoader;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ElectionFence;
import io.strata.proto.v1.TopicMetadata;
import io.strata.proto.v1.WatchMetadataRequest;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationWatch;
import io.strata.runtime.coordination.SingletonRoleElection;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * One term as the active groups instance, from winning the election to losing it:
 * <ol>
 *   <li>builds a fresh {@link GroupCoordinator} whose writes carry this term's fence, and loads
 *       every stored group into it (LoadGroups); a failed load is started over with a new
 *       coordinator after {@value #RELOAD_MS} ms;</li>
 *   <li>meanwhile follows the cluster (WatchMetadata), keeping the newest snapshot for leader
 *       lookups ({@link #latest()}) and, once loaded, telling the coordinator every change of the
 *       topics' partition counts;</li>
 *   <li>once loaded, serves ({@link #coordinator()}) and ticks the coordinator every
 *       {@value #TICK_MS} ms.</li>
 * </ol>
 * {@link #stop()} ends the term at once: the coordinator is dropped and its writes are refused
 * before they are sent (requests in flight may still finish a write already sent; the fence
 * makes coordination refuse it once another term leads).
 */
final class ActiveTerm implements SingletonRoleElection.Term {

    private static final Logger LOG = Logger.getLogger(ActiveTerm.class);
    static final long TICK_MS = 100;
    static final long RELOAD_MS = 1000;

    private final long term;
    private final CoordinationChannels channels;
    private final ScheduledExecutorService scheduler;
    private final GroupsConfig config;
    private final Clock clock;
    private final PartitionOffsets offsets;
    private final CoordinationGroupPersistence persistence;
    private final CoordinationWatch<ClusterMetadata> watch;
    private final Object topicsLock = new Object();
    private volatile boolean active = true;
    private volatile ClusterMetadata latest;
    private volatile GroupCoordinator coordinator;
    private volatile ScheduledFuture<?> ticks;
    private Map<String, Integer> appliedCounts;

    /**
     * @param election the election this term was won in
     * @param deposed  told this term's number when coordination refuses a write because the term no longer leads
     */
    ActiveTerm(String election, long term, CoordinationChannels channels, ScheduledExecutorService scheduler, GroupsConfig config,
               Clock clock, PartitionOffsets offsets, LongConsumer deposed) {
        this.term = term;
        this.channels = channels;
        this.scheduler = scheduler;
        this.config = config;
        this.clock = clock;
        this.offsets = offsets;
        this.persistence = new CoordinationGroupPersistence(channels, scheduler,
                ElectionFence.newBuilder().setElection(election).setTerm(term).build(), () -> active, () -> deposed.accept(term));
        this.watch = new CoordinationWatch<>(channels, scheduler, "groups metadata watch (term " + term + ")",
                (stub, o) -> stub.watchMetadata(WatchMetadataRequest.getDefaultInstance(), o), this::offer);
    }

    @Override
    public void start() {
        watch.start();
        load();
    }

    long term() {
        return term;
    }

    /** The coordinator once every stored group is loaded; null while loading and after {@link #stop()}. */
    GroupCoordinator coordinator() {
        return active ? coordinator : null;
    }

    /** The newest cluster snapshot, empty before the first one. */
    Optional<ClusterMetadata> latest() {
        return Optional.ofNullable(latest);
    }

    private void load() {
        if (!active) {
            return;
        }
        long began = System.nanoTime();
        GroupCoordinator fresh;
        try {
            fresh = new GroupCoordinator(config.settings(), clock, persistence, offsets);
        } catch (RuntimeException e) {
            LOG.errorf(e, "term %d: cannot create the group coordinator; trying again in %d ms", term, RELOAD_MS);
            reloadLater();
            return;
        }
        GroupStateLoader.load(channels, group -> fresh.load(group.getGroupId(), group.hasRecord() ? group.getRecord() : null,
                group.getOffsetsList())).whenComplete((count, error) -> {
                    if (error != null) {
                        LOG.warnf("term %d: loading the groups failed (%s); starting over in %d ms", term, error.toString(), RELOAD_MS);
                        reloadLater();
                        return;
                    }
                    serve(fresh, count, began);
                });
    }

    private void reloadLater() {
        if (!active) {
            return;
        }
        try {
            scheduler.schedule(this::load, RELOAD_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debugf("term %d: not loading again: shutting down", term);
        }
    }

    private void serve(GroupCoordinator loaded, int groups, long began) {
        synchronized (topicsLock) {
            if (!active) {
                return;
            }
            coordinator = loaded;
            ClusterMetadata snapshot = latest;
            if (snapshot != null) {
                applyTopics(loaded, snapshot);
            }
        }
        try {
            ticks = scheduler.scheduleAtFixedRate(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return;
        }
        if (!active) {
            ticks.cancel(false);
        }
        LOG.infof("term %d: loaded %d groups in %d ms; serving", term, groups, (System.nanoTime() - began) / 1_000_000);
    }

    private void offer(ClusterMetadata snapshot) {
        synchronized (topicsLock) {
            ClusterMetadata previous = latest;
            if (previous != null && snapshot.getRevision() < previous.getRevision()) {
                return;
            }
            latest = snapshot;
            GroupCoordinator c = coordinator;
            if (c != null && active) {
                applyTopics(c, snapshot);
            }
        }
    }

    /** Tells the coordinator the partition counts when they differ from the last ones told (a snapshot follows every ISR change). */
    private void applyTopics(GroupCoordinator c, ClusterMetadata snapshot) {
        Map<String, Integer> counts = new HashMap<>();
        for (TopicMetadata t : snapshot.getTopicsList()) {
            counts.put(t.getName(), t.getPartitionsCount());
        }
        if (counts.equals(appliedCounts)) {
            return;
        }
        try {
            c.topicsChanged(Map.copyOf(counts));
            appliedCounts = counts;
        } catch (RuntimeException e) {
            LOG.errorf(e, "term %d: applying the partition counts of metadata revision %d failed", term, snapshot.getRevision());
        }
    }

    private void tick() {
        GroupCoordinator c = coordinator;
        if (c == null || !active) {
            return;
        }
        try {
            c.tick();
        } catch (RuntimeException e) {
            LOG.errorf(e, "term %d: the coordinator's tick failed", term);
        }
    }

    /** Ends the term: the coordinator is dropped and writes are no longer sent. */
    @Override
    public void stop() {
        active = false;
        coordinator = null;
        ScheduledFuture<?> t = ticks;
        if (t != null) {
            t.cancel(false);
        }
        watch.close();
    }
}
