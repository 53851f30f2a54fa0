package io.strata.coordination.metadata;

import io.strata.coordination.layout.Keys;
import io.strata.coordination.store.KeyRange;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.MetadataStoreException;
import io.strata.coordination.store.Watch;
import io.strata.coordination.store.WatchEvent;
import io.strata.coordination.store.WatchListener;
import io.strata.proto.v1.NodeRole;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The routing keys — live storage and ingestion nodes, topics, partitions — held in memory and
 * kept current by one watch on the store's whole root, so that GetMetadata costs a lookup, not
 * a read of every partition key (16 ms and a 10,000-key merge at 10,000 partitions on etcd).
 *
 * <p>Consistency: {@link #snapshot(long)} takes a revision the caller read from the store just
 * before (a count-only read: linearizable, and it fails fast while the store is unavailable)
 * and returns a snapshot that holds every change up to it. The watch covers the whole root, so
 * every write under it — routing keys or not (elections, producer ids) — advances the view's
 * revision; the snapshot usually is there already, else the caller waits for the watch for at
 * most {@link #CATCH_UP}, then the view reloads from the store. A write outside the root (an
 * etcd shared with others) also advances the store's revision and can only be caught up with by
 * such a reload: correct, merely as slow as reading everything. A watch that ends (compaction,
 * store failure) makes the next reader reload.
 *
 * <p>Thread-safe: the map, the revision and the watch are guarded by {@code lock}; store calls
 * are made outside it, one reload at a time ({@code reloadLock}), so the store's notifier thread
 * never waits on a store call.
 */
public final class MetadataView implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MetadataView.class);

    /** How long a reader waits for the watch before reloading from the store. */
    static final Duration CATCH_UP = Duration.ofMillis(200);

    /** The key prefixes the view keeps. */
    static final List<String> PREFIXES = List.of(Keys.nodesOf(NodeRole.STORAGE), Keys.nodesOf(NodeRole.INGESTION),
            Keys.TOPICS, Keys.PARTITIONS);

    /**
     * The routing keys at one revision.
     *
     * @param revision every change up to this revision is in {@code routing}
     * @param version  grows with every change of a routing key; equal versions, equal content
     * @param routing  the routing keys (unsorted), read as of {@code revision}
     */
    public record Snapshot(long revision, long version, KeyRange routing) {
    }

    private final MetadataStore store;
    private final Object lock = new Object();
    private final Object reloadLock = new Object();
    private final Map<String, KeyValue> kvs = new HashMap<>();
    private long revision;
    private long version;
    private boolean loaded;
    /** Tells the deliveries of a replaced watch from the current one's. */
    private long generation;
    private Watch watch;
    private Snapshot cached;
    private boolean closed;
    private long reloads;

    public MetadataView(MetadataStore store) {
        this.store = store;
    }

    /**
     * A snapshot holding every change up to {@code atLeast}.
     *
     * @throws MetadataStoreException when a needed reload fails (the store is unavailable or closed)
     */
    public Snapshot snapshot(long atLeast) {
        Snapshot s = awaitApplied(atLeast, CATCH_UP);
        if (s != null) {
            return s;
        }
        synchronized (reloadLock) {
            s = awaitApplied(atLeast, Duration.ZERO); // another reader may have reloaded meanwhile
            if (s != null) {
                return s;
            }
            reload();
            s = awaitApplied(atLeast, Duration.ZERO);
            if (s == null) {
                throw new MetadataStoreException(MetadataStoreException.Reason.UNAVAILABLE,
                        "the metadata view could not catch up with revision " + atLeast);
            }
            return s;
        }
    }

    /** The snapshot once {@code atLeast} is applied, waiting up to {@code wait}; null when loading is needed. */
    private Snapshot awaitApplied(long atLeast, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            while (true) {
                if (closed) {
                    throw new MetadataStoreException(MetadataStoreException.Reason.CLOSED, "coordination is shutting down");
                }
                if (loaded && revision >= atLeast) {
                    if (cached == null || cached.version() != version) {
                        cached = new Snapshot(revision, version, new KeyRange(new ArrayList<>(kvs.values()), revision));
                    } else if (cached.revision() != revision) {
                        cached = new Snapshot(revision, version, cached.routing());
                    }
                    return cached;
                }
                long leftNanos = deadline - System.nanoTime();
                if (!loaded || leftNanos <= 0) {
                    return null;
                }
                try {
                    lock.wait(Math.max(1, leftNanos / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MetadataStoreException(MetadataStoreException.Reason.UNAVAILABLE, "interrupted waiting for metadata");
                }
            }
        }
    }

    /** Reads the routing keys afresh and watches from there. Caller holds {@code reloadLock}. */
    private void reload() {
        Watch old;
        long gen;
        synchronized (lock) {
            old = watch;
            watch = null;
            loaded = false;
            gen = ++generation;
        }
        if (old != null) {
            old.close();
        }
        KeyRange range = store.getPrefixes(PREFIXES);
        synchronized (lock) {
            reloads++;
            kvs.clear();
            range.kvs().forEach(kv -> kvs.put(kv.key(), kv));
            revision = range.revision();
            version++;
            loaded = true;
            lock.notifyAll();
        }
        Watch opened;
        try {
            opened = store.watchPrefix("", range.revision() + 1, new Listener(gen));
        } catch (RuntimeException e) {
            synchronized (lock) {
                loaded = false; // without a watch the view would go stale: the next reader reloads
            }
            throw e;
        }
        synchronized (lock) {
            if (gen == generation && !closed) {
                watch = opened;
                LOG.debugf("metadata view loaded %d routing keys at revision %d", kvs.size(), revision);
                return;
            }
        }
        opened.close();
    }

    private final class Listener implements WatchListener {
        private final long gen;

        Listener(long gen) {
            this.gen = gen;
        }

        @Override
        public void onEvents(List<WatchEvent> events) {
            synchronized (lock) {
                if (gen != generation) {
                    return;
                }
                boolean changed = false;
                for (WatchEvent e : events) {
                    revision = Math.max(revision, e.revision());
                    if (isRouting(e.key())) {
                        if (e.type() == WatchEvent.Type.PUT) {
                            kvs.put(e.key(), e.kv());
                        } else {
                            kvs.remove(e.key());
                        }
                        changed = true;
                    }
                }
                if (changed) {
                    version++;
                }
                lock.notifyAll();
            }
        }

        @Override
        public void onError(MetadataStoreException error) {
            synchronized (lock) {
                if (gen != generation) {
                    return;
                }
                loaded = false;
                watch = null;
                lock.notifyAll();
            }
            LOG.infof("metadata view's watch ended (%s); the next read reloads", error.getMessage());
        }
    }

    /** How many times the view read everything from the store (the first load included). */
    long reloadCount() {
        synchronized (lock) {
            return reloads;
        }
    }

    private static boolean isRouting(String key) {
        for (String prefix : PREFIXES) {
            if (key.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** Stops watching. Idempotent. */
    @Override
    public void close() {
        Watch w;
        synchronized (lock) {
            closed = true;
            w = watch;
            watch = null;
            lock.notifyAll();
        }
        if (w != null) {
            w.close();
        }
    }
}
