package io.strata.coordination.metadata;

import io.strata.coordination.layout.Keys;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.MetadataStoreException;
import io.strata.coordination.store.Watch;
import io.strata.coordination.store.WatchEvent;
import io.strata.coordination.store.WatchListener;
import io.strata.coordination.topics.TopicDefaults;
import io.strata.coordination.topics.TopicTable;
import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.proto.v1.PartitionAssignment;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Storage nodes' assignment snapshots (WatchAssignments). One feed serves every subscriber:
 * while anyone subscribes it watches {@code topics/} and {@code partitions/}; a burst of
 * changes schedules one refresh after {@code coalesce}; a refresh reads topics and partitions
 * once, at one revision, and sends each subscriber its full snapshot if it differs from the
 * last one that subscriber got (a new subscriber always gets one at once).
 *
 * <p>Concurrency rule: refreshes run on the given executor, one at a time ({@code refreshLock}),
 * each reading the newest state, so snapshots reach a subscriber in revision order. Watch
 * callbacks only schedule. The subscriber list and the watches are guarded by {@code this}.
 * Sinks must not block (the gRPC adapter sends or keeps the latest snapshot).
 */
public final class AssignmentFeed implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AssignmentFeed.class);
    private static final long RETRY_MS = 1000;

    private final MetadataStore store;
    private final TopicDefaults defaults;
    private final ScheduledExecutorService executor;
    private final Duration coalesce;
    private final Object refreshLock = new Object();
    private final List<Subscription> subscribers = new ArrayList<>();
    private List<Watch> watches = List.of();
    private boolean refreshScheduled;
    private boolean closed;

    /** A subscriber's handle; {@link #close()} ends the subscription. */
    public final class Subscription implements AutoCloseable {
        private final int nodeId;
        private final Consumer<AssignmentSnapshot> sink;
        private final Consumer<Throwable> onFailure;
        private List<PartitionAssignment> lastSent;

        private Subscription(int nodeId, Consumer<AssignmentSnapshot> sink, Consumer<Throwable> onFailure) {
            this.nodeId = nodeId;
            this.sink = sink;
            this.onFailure = onFailure;
        }

        @Override
        public void close() {
            unsubscribe(this);
        }
    }

    public AssignmentFeed(MetadataStore store, TopicDefaults defaults, ScheduledExecutorService executor, Duration coalesce) {
        this.store = store;
        this.defaults = defaults;
        this.executor = executor;
        this.coalesce = coalesce;
    }

    /**
     * Subscribes {@code nodeId}: {@code sink} gets its snapshot at once, then after every
     * change of it. {@code onFailure} is called once if the feed cannot go on (store closed or
     * failed); nothing is sent after it.
     */
    public Subscription subscribe(int nodeId, Consumer<AssignmentSnapshot> sink, Consumer<Throwable> onFailure) {
        Subscription subscription = new Subscription(nodeId, Objects.requireNonNull(sink), Objects.requireNonNull(onFailure));
        synchronized (this) {
            if (closed) {
                throw new MetadataStoreException(MetadataStoreException.Reason.CLOSED, "coordination is shutting down");
            }
            subscribers.add(subscription);
            if (watches.isEmpty()) {
                openWatches();
            }
        }
        schedule(0);
        return subscription;
    }

    /** How many subscriptions are open. */
    public synchronized int subscriberCount() {
        return subscribers.size();
    }

    private synchronized void unsubscribe(Subscription subscription) {
        subscribers.remove(subscription);
        if (subscribers.isEmpty()) {
            closeWatches();
        }
    }

    private void openWatches() {
        List<Watch> opened = new ArrayList<>(2);
        try {
            for (String prefix : List.of(Keys.TOPICS, Keys.PARTITIONS)) {
                opened.add(store.watchPrefix(prefix, 0, new WatchListener() {
                    @Override
                    public void onEvents(List<WatchEvent> events) {
                        scheduleRefresh();
                    }

                    @Override
                    public void onError(MetadataStoreException error) {
                        watchFailed(error);
                    }
                }));
            }
        } catch (RuntimeException e) {
            opened.forEach(Watch::close);
            throw e;
        }
        watches = opened;
    }

    private void closeWatches() {
        watches.forEach(Watch::close);
        watches = List.of();
    }

    private void watchFailed(MetadataStoreException error) {
        synchronized (this) {
            closeWatches();
            if (subscribers.isEmpty() || closed) {
                return;
            }
            try {
                openWatches();
            } catch (RuntimeException e) {
                failAll(e);
                return;
            }
        }
        LOG.warnf("assignment watch ended (%s); watching again from now and refreshing", error.getMessage());
        scheduleRefresh();
    }

    private void scheduleRefresh() {
        synchronized (this) {
            if (refreshScheduled || closed) {
                return;
            }
            refreshScheduled = true;
        }
        schedule(coalesce.toMillis());
    }

    private void schedule(long delayMs) {
        try {
            executor.schedule(this::refresh, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("assignment refresh dropped: coordination is shutting down");
        }
    }

    private void refresh() {
        synchronized (refreshLock) {
            List<Subscription> targets;
            synchronized (this) {
                refreshScheduled = false;
                if (closed || subscribers.isEmpty()) {
                    return;
                }
                targets = List.copyOf(subscribers);
            }
            TopicTable table;
            try {
                table = TopicTable.from(store.getPrefixes(List.of(Keys.TOPICS, Keys.PARTITIONS)));
            } catch (MetadataStoreException e) {
                if (e.retriable()) {
                    LOG.warnf("reading assignments failed (%s); retrying in %d ms", e.getMessage(), RETRY_MS);
                    schedule(RETRY_MS);
                } else {
                    failAll(e);
                }
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "reading assignments failed");
                failAll(e);
                return;
            }
            for (Subscription s : targets) {
                List<PartitionAssignment> partitions = table.assignmentsOf(s.nodeId, defaults);
                if (partitions.equals(s.lastSent)) {
                    continue;
                }
                s.lastSent = partitions;
                try {
                    s.sink.accept(AssignmentSnapshot.newBuilder().setRevision(table.revision()).addAllPartitions(partitions).build());
                } catch (RuntimeException e) {
                    LOG.warnf("sending assignments to node %d failed: %s", s.nodeId, e.getMessage());
                }
            }
        }
    }

    private void failAll(Throwable error) {
        List<Subscription> failed;
        synchronized (this) {
            failed = List.copyOf(subscribers);
            subscribers.clear();
            closeWatches();
        }
        for (Subscription s : failed) {
            try {
                s.onFailure.accept(error);
            } catch (RuntimeException e) {
                LOG.debugf("failing an assignment subscriber: %s", e.getMessage());
            }
        }
    }

    /** Ends every subscription with an error and stops watching. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        failAll(new MetadataStoreException(MetadataStoreException.Reason.CLOSED, "coordination is shutting down"));
    }
}
