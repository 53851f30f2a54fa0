package io.strata.storage.log;

import io.strata.runtime.testing.MutableClock;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * A {@link LogManager} on test dirs whose scheduler the test owns, so that {@link #crash()} can
 * stop it and abandon the manager without flushing or checkpointing anything, as a killed
 * process would.
 */
final class Logs implements AutoCloseable {

    static final String TOPIC_ID = "topic-id-1";

    final LogManager manager;
    final MutableClock clock;
    private final ScheduledThreadPoolExecutor scheduler;
    private boolean crashed;

    private Logs(List<Path> dirs, MutableClock clock) {
        this.clock = clock;
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "test-log-scheduler");
            t.setDaemon(true);
            return t;
        });
        this.manager = new LogManager(dirs, clock, LogConfig.defaults(), LogManager.DEFAULT_PRODUCER_ID_EXPIRATION_MS,
                scheduler);
        manager.startup();
    }

    static Logs start(MutableClock clock, Path... dirs) {
        return new Logs(List.of(dirs), clock);
    }

    PartitionLog log(String topic, int partition, LogConfig config) {
        return manager.getOrCreateLog(new TopicPartition(topic, partition), TOPIC_ID, config);
    }

    /** Stops background work and abandons the manager: nothing more is flushed or checkpointed. */
    void crash() {
        crashed = true;
        scheduler.shutdownNow();
    }

    @Override
    public void close() {
        if (!crashed) {
            manager.close();
        }
    }
}
