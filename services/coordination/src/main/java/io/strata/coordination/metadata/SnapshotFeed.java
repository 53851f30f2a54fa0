package io.strata.coordination.metadata;

import io.strata.coordination.store.KeyRange;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.MetadataStoreException;
import io.strata.coordination.store.Watch;
import io.strata.coordination.store.WatchEvent;
import io.strata.coordination.store.WatchListener;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ObjLongConsumer;

/**
 * A feed of full snapshots of some key prefixes, pushed to subscribers (the engine of
 * WatchAssignments and WatchQuotas). While anyone subscribes it watches the prefixes; a burst of
 * changes schedules one refresh after {@code coalesce}; a refresh reads the prefixes once, at one
 * revision, turns them into a view, and sends each subscriber its value of the view (by its key)
 * if it differs from the last one that subscriber got (a new subscriber always gets one at once).
 *
 * <p>Concurrency rule: refreshes run on the given executor, one at a time ({@code refreshLock}),
 * each reading the newest state, so values reach a subscriber in revision order. Watch callbacks
 * only schedule. The subscriber list and the watches are guarded by {@code this}. Sinks must not
 * block (the gRPC adapter sends or keeps the latest value).
 *
 * @param <K> what a subscriber asks for (a node id; nothing for quotas)
 * @param <V> what it gets: a value compared with {@code equals} to skip repeats
 */
public final class SnapshotFeed<K, V> implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SnapshotFeed.class);
    private static final long RETRY_MS = 1000;

    private final MetadataStore store;
    private final List<String> prefixes;
    private final Function<KeyRange, Function<K, V>> view;
    private final ScheduledExecutorService executor;
    private final Duration coalesce;
    private final String what;
    private final Object refreshLock = new Object();
    private final List<Subscription> subscribers = new ArrayList<>();
    private List<Watch> watches = List.of();
    private boolean refreshScheduled;
    private boolean closed;

    /** What a subscriber holds: {@link #close()} ends its subscription. */
    public interface Handle extends AutoCloseable {
        @Override
        void close();
    }

    /** A subscriber's handle; {@link #close()} ends the subscription. */
    public final class Subscription implements Handle {
        private final K key;
        private final ObjLongConsumer<V> sink;
        private final Consumer<Throwable> onFailure;
        private V lastSent;

        private Subscription(K key, ObjLongConsumer<V> sink, Consumer<Throwable> onFailure) {
            this.key = key;
            this.sink = sink;
            this.onFailure = onFailure;
        }

        @Override
        public void close() {
            unsubscribe(this);
        }
    }

    /**
     * @param prefixes the keys the view is made of, read together at one revision
     * @param view     per refresh: the read keys to a function from a subscriber's key to its value
     * @param what     how logs name the feed, e.g. "assignment"
     */
    public SnapshotFeed(MetadataStore store, List<String> prefixes, Function<KeyRange, Function<K, V>> view,
                        ScheduledExecutorService executor, Duration coalesce, String what) {
        this.store = store;
        this.prefixes = List.copyOf(prefixes);
        this.view = view;
        this.executor = executor;
        this.coalesce = coalesce;
        this.what = what;
    }

    /**
     * Subscribes {@code key}: {@code sink} gets its value and the store revision it was read at,
     * at once, then after every change of it. {@code onFailure} is called once if the feed cannot
     * go on (store closed or failed); nothing is sent after it.
     */
    public Subscription subscribe(K key, ObjLongConsumer<V> sink, Consumer<Throwable> onFailure) {
        Subscription subscription = new Subscription(key, Objects.requireNonNull(sink), Objects.requireNonNull(onFailure));
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
        List<Watch> opened = new ArrayList<>(prefixes.size());
        try {
            for (String prefix : prefixes) {
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
        LOG.warnf("%s watch ended (%s); watching again from now and refreshing", what, error.getMessage());
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
            LOG.debugf("%s refresh dropped: coordination is shutting down", what);
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
            KeyRange range;
            Function<K, V> values;
            try {
                range = store.getPrefixes(prefixes);
                values = view.apply(range);
            } catch (MetadataStoreException e) {
                if (e.retriable()) {
                    LOG.warnf("reading the %s feed failed (%s); retrying in %d ms", what, e.getMessage(), RETRY_MS);
                    schedule(RETRY_MS);
                } else {
                    failAll(e);
                }
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "reading the %s feed failed", what);
                failAll(e);
                return;
            }
            for (Subscription s : targets) {
                V value = values.apply(s.key);
                if (value.equals(s.lastSent)) {
                    continue;
                }
                s.lastSent = value;
                try {
                    s.sink.accept(value, range.revision());
                } catch (RuntimeException e) {
                    LOG.warnf("sending the %s feed to %s failed: %s", what, s.key, e.getMessage());
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
                LOG.debugf("failing a %s subscriber: %s", what, e.getMessage());
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
