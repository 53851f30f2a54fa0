package io.strata.coordination.store;

import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The embedded store's watches: a bounded in-memory history of recent revisions (so a watch
 * may start a little in the past) and one notifier thread that delivers every event.
 *
 * <p>Concurrency rule: {@link #publish} and {@link #register} are called under the store's
 * lock, so the tasks they queue on the notifier are in revision order; the list of active
 * watches is touched only by the notifier thread. A watch registered at revision R replays
 * the history after its start revision in the same task that adds it, before any later
 * publish, so it misses nothing and sees nothing twice.
 */
final class WatchHub {

    private static final Logger LOG = Logger.getLogger(WatchHub.class);

    private final WatchNotifier notifier;
    private final List<WatchImpl> active = new ArrayList<>();
    private final ArrayDeque<List<WatchEvent>> history = new ArrayDeque<>();
    private final int maxHistoryRevisions;
    private long compactedRevision;

    /**
     * @param startRevision the store's revision when it opened: the history holds nothing at
     *                      or before it
     */
    WatchHub(String threadName, long startRevision, int maxHistoryRevisions) {
        this.compactedRevision = startRevision;
        this.maxHistoryRevisions = maxHistoryRevisions;
        this.notifier = new WatchNotifier(threadName);
    }

    /** Records one revision's events and queues their delivery. Caller holds the store lock. */
    void publish(List<WatchEvent> events) {
        List<WatchEvent> revision = List.copyOf(events);
        history.addLast(revision);
        while (history.size() > maxHistoryRevisions) {
            compactedRevision = history.removeFirst().get(0).revision();
        }
        submit(() -> {
            for (Iterator<WatchImpl> it = active.iterator(); it.hasNext(); ) {
                WatchImpl w = it.next();
                if (w.closed) {
                    it.remove();
                } else {
                    w.deliver(revision);
                }
            }
        });
    }

    /** Adds a watch. Caller holds the store lock; {@code currentRevision} is the store's. */
    Watch register(String prefix, long fromRevision, WatchListener listener, long currentRevision) {
        WatchImpl watch = new WatchImpl(prefix, listener, fromRevision <= 0 ? currentRevision + 1 : fromRevision);
        if (fromRevision > 0 && fromRevision <= compactedRevision) {
            MetadataStoreException error = new MetadataStoreException(MetadataStoreException.Reason.COMPACTED,
                    "cannot watch '" + prefix + "' from revision " + fromRevision + ": this store remembers changes after revision "
                            + compactedRevision + " only; read the current state and watch from its revision + 1");
            submit(() -> watch.fail(error));
            return watch;
        }
        List<List<WatchEvent>> replay = new ArrayList<>();
        for (List<WatchEvent> revision : history) {
            if (revision.get(0).revision() >= watch.nextRevision) {
                replay.add(revision);
            }
        }
        submit(() -> {
            for (List<WatchEvent> revision : replay) {
                watch.deliver(revision);
            }
            active.add(watch);
        });
        return watch;
    }

    /** Ends every watch with {@code why} and stops the notifier after it has delivered what was queued. */
    void close(MetadataStoreException why) {
        submit(() -> {
            for (WatchImpl w : active) {
                w.fail(why);
            }
            active.clear();
        });
        notifier.stop();
    }

    private void submit(Runnable task) {
        notifier.submit(task);
    }

    private static final class WatchImpl implements Watch {
        private final String prefix;
        private final WatchListener listener;
        private volatile boolean closed;
        /** The first revision not delivered yet; notifier thread only. */
        private long nextRevision;

        WatchImpl(String prefix, WatchListener listener, long nextRevision) {
            this.prefix = prefix;
            this.listener = listener;
            this.nextRevision = nextRevision;
        }

        void deliver(List<WatchEvent> revision) {
            long rev = revision.get(0).revision();
            if (closed || rev < nextRevision) {
                return;
            }
            nextRevision = rev + 1;
            List<WatchEvent> matching = new ArrayList<>();
            for (WatchEvent e : revision) {
                if (e.key().startsWith(prefix)) {
                    matching.add(e);
                }
            }
            if (matching.isEmpty()) {
                return;
            }
            try {
                listener.onEvents(List.copyOf(matching));
            } catch (RuntimeException e) {
                LOG.errorf(e, "watch listener on prefix '%s' failed at revision %d; the watch goes on", prefix, rev);
            }
        }

        void fail(MetadataStoreException error) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                listener.onError(error);
            } catch (RuntimeException e) {
                LOG.errorf(e, "watch listener on prefix '%s' failed in onError", prefix);
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
