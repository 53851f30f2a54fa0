package io.strata.coordination.store;

import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The watches of an {@link EtcdMetadataStore}: each is one jetcd watch (one etcd watch
 * stream) from a known revision, and every delivery runs on this hub's single notifier thread.
 *
 * <h2>Delivery</h2>
 * jetcd calls back on its Vert.x event loop; the callbacks only queue a task on the notifier.
 * The notifier groups a response's events by revision (etcd never splits one revision's events
 * across responses unless a client asks for fragments, which this one does not) and calls the
 * listener once per revision. Each watch remembers the next revision it owes its listener and
 * drops anything older, so it never delivers a revision twice.
 *
 * <h2>Lost streams</h2>
 * When the stream fails for a reason a retry may fix (etcd restarted or unreachable, no
 * leader), the watch closes that jetcd watch (so jetcd's own resume, which tracks revisions on
 * its own, never runs) and opens a new one from its next revision after a backoff (200 ms
 * doubling to 5 s); a new stream waits for etcd to be reachable again. So an outage delays
 * events but loses or repeats none, and the listener hears nothing of it. If etcd compacted
 * the next revision away meanwhile, the watch ends with COMPACTED; on a lasting failure
 * (permission, etc.) with FAILED; when the store closes, with CLOSED.
 *
 * <p>Concurrency rule: a watch's delivery state ({@code nextRevision}, the current attempt,
 * the failure count) is written by the notifier thread only; {@link Watch#close()} may come
 * from any thread and only sets a flag and closes the jetcd watch. Callbacks of an attempt that
 * was replaced or closed are ignored.
 */
final class EtcdWatchHub {

    private static final Logger LOG = Logger.getLogger(EtcdWatchHub.class);
    private static final long MIN_BACKOFF_MS = 200;
    private static final long MAX_BACKOFF_MS = 5000;

    private final io.etcd.jetcd.Watch client;
    private final EtcdKeys keys;
    private final EtcdErrors errors;
    private final WatchNotifier notifier;
    private final Set<EtcdWatch> active = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    EtcdWatchHub(io.etcd.jetcd.Watch client, EtcdKeys keys, EtcdErrors errors, String threadName) {
        this.client = client;
        this.keys = keys;
        this.errors = errors;
        this.notifier = new WatchNotifier(threadName);
    }

    /** Starts a watch of every key under {@code prefix} from {@code fromRevision} (positive). */
    Watch register(String prefix, long fromRevision, WatchListener listener) {
        EtcdWatch watch = new EtcdWatch(prefix, listener, fromRevision);
        synchronized (this) {
            if (closed) {
                throw errors.closed("watch '" + prefix + "'");
            }
            active.add(watch);
        }
        submit(watch::connect);
        return watch;
    }

    /** Ends every watch with {@code why} and stops the notifier once it has delivered that. */
    void close(MetadataStoreException why) {
        List<EtcdWatch> ending;
        synchronized (this) {
            closed = true;
            ending = List.copyOf(active);
            active.clear();
        }
        for (EtcdWatch watch : ending) {
            watch.retire();
            submit(() -> watch.end(why));
        }
        notifier.stop();
    }

    private void submit(Runnable task) {
        notifier.submit(task);
    }

    private void schedule(Runnable task, long delayMillis) {
        notifier.schedule(task, delayMillis);
    }

    private final class EtcdWatch implements Watch {
        private final String prefix;
        private final WatchListener listener;
        private volatile boolean done;
        private volatile Attempt attempt;
        /** The first revision not delivered yet; notifier thread only. */
        private long nextRevision;
        /** Stream failures since the last delivery; notifier thread only. */
        private int failures;

        EtcdWatch(String prefix, WatchListener listener, long fromRevision) {
            this.prefix = prefix;
            this.listener = listener;
            this.nextRevision = fromRevision;
        }

        /** Opens a jetcd watch from {@link #nextRevision}. Notifier thread. */
        void connect() {
            if (done || closed) {
                return;
            }
            Attempt a = new Attempt();
            attempt = a;
            try {
                a.watcher = client.watch(keys.prefix(prefix),
                        WatchOption.builder().isPrefix(true).withRevision(nextRevision).build(), a);
            } catch (RuntimeException e) {
                failed(a, e);
                return;
            }
            if (done) {
                a.retire();
            }
        }

        /** The events of one response, one listener call per revision. Notifier thread. */
        void deliver(WatchResponse response) {
            List<WatchEvent> batch = new ArrayList<>();
            for (io.etcd.jetcd.watch.WatchEvent e : response.getEvents()) {
                WatchEvent event = keys.event(e);
                if (event == null) {
                    continue;
                }
                if (!batch.isEmpty() && batch.get(0).revision() != event.revision()) {
                    deliverRevision(batch);
                    batch = new ArrayList<>();
                }
                batch.add(event);
            }
            if (!batch.isEmpty()) {
                deliverRevision(batch);
            }
        }

        private void deliverRevision(List<WatchEvent> events) {
            long revision = events.get(0).revision();
            if (revision < nextRevision || done) {
                return;
            }
            nextRevision = revision + 1;
            failures = 0;
            try {
                listener.onEvents(List.copyOf(events));
            } catch (RuntimeException e) {
                LOG.errorf(e, "watch listener on prefix '%s' failed at revision %d; the watch goes on", prefix, revision);
            }
        }

        /** The attempt's stream failed ({@code error}) or ended (null). Notifier thread. */
        void failed(Attempt a, Throwable error) {
            a.retire();
            if (done || closed) {
                return;
            }
            if (error instanceof CompactedException compacted) {
                end(new MetadataStoreException(MetadataStoreException.Reason.COMPACTED, "cannot watch '" + prefix
                        + "' from revision " + nextRevision + ": etcd has compacted its history up to revision "
                        + compacted.getCompactedRevision() + "; read the current state and watch from its revision + 1", error));
                return;
            }
            RuntimeException converted = error == null ? null : errors.convert("watch of '" + prefix + "'", error, false);
            if (converted == null || converted instanceof MetadataStoreException m && m.retriable()) {
                long delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(failures, 8));
                failures++;
                String why = converted == null ? "etcd ended the stream" : converted.getMessage();
                if (failures == 1) {
                    LOG.warnf("watch of '%s' lost its etcd stream (%s); resuming from revision %d", prefix, why, nextRevision);
                } else {
                    LOG.debugf("watch of '%s' still without etcd (%s); retrying from revision %d in %d ms", prefix, why,
                            nextRevision, delay);
                }
                schedule(this::connect, delay);
                return;
            }
            end(converted instanceof MetadataStoreException m ? m
                    : new MetadataStoreException(MetadataStoreException.Reason.FAILED, converted.getMessage(), converted));
        }

        /** Ends the watch with {@code error} unless it was closed. Notifier thread. */
        void end(MetadataStoreException error) {
            if (done) {
                return;
            }
            done = true;
            active.remove(this);
            retire();
            try {
                listener.onError(error);
            } catch (RuntimeException e) {
                LOG.errorf(e, "watch listener on prefix '%s' failed in onError", prefix);
            }
        }

        void retire() {
            Attempt a = attempt;
            if (a != null) {
                a.retire();
            }
        }

        @Override
        public void close() {
            done = true;
            active.remove(this);
            retire();
        }

        /** One jetcd watch of this watch; its callbacks count only while it is the current one. */
        private final class Attempt implements io.etcd.jetcd.Watch.Listener {
            private volatile io.etcd.jetcd.Watch.Watcher watcher;
            private volatile boolean retired;

            private boolean current() {
                return !retired && attempt == this && !done && !closed;
            }

            void retire() {
                retired = true;
                io.etcd.jetcd.Watch.Watcher w = watcher;
                if (w != null) {
                    try {
                        w.close();
                    } catch (RuntimeException e) {
                        LOG.debugf("closing an etcd watcher of '%s': %s", prefix, e.getMessage());
                    }
                }
            }

            @Override
            public void onNext(WatchResponse response) {
                submit(() -> {
                    if (current()) {
                        deliver(response);
                    }
                });
            }

            @Override
            public void onError(Throwable error) {
                submit(() -> {
                    if (current()) {
                        failed(this, error);
                    }
                });
            }

            @Override
            public void onCompleted() {
                submit(() -> {
                    if (current()) {
                        failed(this, null);
                    }
                });
            }
        }
    }
}
