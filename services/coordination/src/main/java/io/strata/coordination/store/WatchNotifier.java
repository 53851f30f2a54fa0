package io.strata.coordination.store;

import org.jboss.logging.Logger;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that delivers a store's watch events, in the order they were queued. Tasks
 * queued after {@link #stop()} are dropped (the watches have ended); delayed tasks still
 * pending at stop are dropped too. Shared by both stores' watch hubs.
 */
final class WatchNotifier {

    private static final Logger LOG = Logger.getLogger(WatchNotifier.class);

    private final String name;
    private final ScheduledThreadPoolExecutor executor;

    WatchNotifier(String threadName) {
        this.name = threadName;
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setRemoveOnCancelPolicy(true);
    }

    void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debugf("%s: task dropped, the notifier has stopped", name);
        }
    }

    void schedule(Runnable task, long delayMillis) {
        try {
            executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debugf("%s: delayed task dropped, the notifier has stopped", name);
        }
    }

    /** Delivers what is queued (at most 5 s: a blocked listener is interrupted), then stops. */
    void stop() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warnf("%s did not finish within 5 s; a watch listener may be blocked", name);
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
