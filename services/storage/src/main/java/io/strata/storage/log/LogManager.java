package io.strata.storage.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToLongFunction;

/**
 * The partition logs of one storage node, spread over one or more log directories. Each log dir
 * holds partition directories {@code <topic>-<partition>}, a
 * {@code recovery-point-offset-checkpoint} and a {@code replication-offset-checkpoint} (the
 * high watermarks), both {@link OffsetCheckpoint}s, and, between a clean shutdown and the next
 * startup, the empty marker file {@value #CLEAN_SHUTDOWN_FILE}.
 *
 * <p>Lifecycle: construct, {@link #startup()} (opens and recovers every partition found, then
 * starts the background tasks), use, {@link #close()} (clean shutdown: everything fsynced, the
 * checkpoints say "recover nothing", the marker written).
 *
 * <p>Background tasks, on one scheduler thread: fsync of rolled segments (submitted by the logs),
 * a rewrite of a dir's recovery-point checkpoint whenever a log's recovery point advanced
 * (coalesced: at most one pending per dir), retention every 30 s, the {@code flush.ms} check
 * every 100 ms, a checkpoint of all recovery points and high watermarks every 5 s, and the
 * removal of idle producers' state every 10 minutes. A truncation rewrites its dir's checkpoints
 * on the truncating thread. Thread-safe.
 */
public final class LogManager implements AutoCloseable {

    static final long RETENTION_CHECK_INTERVAL_MS = 30_000;
    static final long FLUSH_CHECK_INTERVAL_MS = 100;
    /** Kafka's {@code replica.high.watermark.checkpoint.interval.ms}: a restarted leader's HW is at most 5 s old. */
    static final long CHECKPOINT_INTERVAL_MS = 5_000;
    /** Kafka's default {@code producer.id.expiration.check.interval.ms}. */
    static final long PRODUCER_EXPIRATION_CHECK_INTERVAL_MS = 600_000;
    /** Kafka's default {@code producer.id.expiration.ms}: one day. */
    public static final long DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000L;
    /** Written in each log dir at the end of a clean {@link #close()}, deleted by {@link #startup()}. */
    static final String CLEAN_SHUTDOWN_FILE = ".strata-clean-shutdown";
    private static final String DELETE_DIR_SUFFIX = "-delete";
    private static final System.Logger LOG = System.getLogger(LogManager.class.getName());

    private final List<Path> logDirs;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final LogConfig defaultConfig;
    private final long producerIdExpirationMs;
    private final Map<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();
    private final Map<Path, Object> checkpointLocks = new HashMap<>();
    private final Map<Path, AtomicBoolean> checkpointPending = new HashMap<>();
    private final Object lifecycleLock = new Object();
    private final PartitionLog.CheckpointListener checkpointListener = new PartitionLog.CheckpointListener() {
        @Override
        public void recoveryPointAdvanced(PartitionLog log) {
            LogManager.this.recoveryPointAdvanced(log);
        }

        @Override
        public void truncated(PartitionLog log) {
            if (logs.get(log.topicPartition()) == log) {
                writeCheckpoints(log.dir().getParent());
            }
        }
    };
    private volatile boolean started;
    private volatile boolean closed;
    private volatile boolean uncleanShutdown;

    /** Creates the log dirs if missing; logs found at startup use {@link LogConfig#defaults()} until configured. */
    public LogManager(List<Path> logDirs, Clock clock) {
        this(logDirs, clock, LogConfig.defaults(), DEFAULT_PRODUCER_ID_EXPIRATION_MS, newScheduler());
    }

    /**
     * As {@link #LogManager(List, Clock)}, with the config that logs found at startup get until
     * {@link #getOrCreateLog} or {@link PartitionLog#updateConfig} gives them theirs.
     */
    public LogManager(List<Path> logDirs, Clock clock, LogConfig defaultConfig) {
        this(logDirs, clock, defaultConfig, DEFAULT_PRODUCER_ID_EXPIRATION_MS, newScheduler());
    }

    /**
     * As {@link #LogManager(List, Clock, LogConfig)}, forgetting the state of producers idle for
     * {@code producerIdExpirationMs} ({@code producer.id.expiration.ms}).
     */
    public LogManager(List<Path> logDirs, Clock clock, LogConfig defaultConfig, long producerIdExpirationMs) {
        this(logDirs, clock, defaultConfig, producerIdExpirationMs, newScheduler());
    }

    /**
     * As {@link #LogManager(List, Clock, LogConfig, long)}, on the caller's scheduler (one thread is
     * enough; tests stop it to simulate a crash). {@link #close()} shuts it down.
     */
    public LogManager(List<Path> logDirs, Clock clock, LogConfig defaultConfig, long producerIdExpirationMs,
               ScheduledExecutorService scheduler) {
        if (producerIdExpirationMs < 1) {
            throw new IllegalArgumentException("producer id expiration must be >= 1 ms, got " + producerIdExpirationMs);
        }
        if (logDirs.isEmpty()) {
            throw new IllegalArgumentException("no log dirs");
        }
        List<Path> dirs = new ArrayList<>();
        for (Path d : logDirs) {
            Path p = d.toAbsolutePath().normalize();
            if (dirs.contains(p)) {
                throw new IllegalArgumentException("log dir listed twice: " + p);
            }
            dirs.add(p);
            checkpointLocks.put(p, new Object());
            checkpointPending.put(p, new AtomicBoolean());
        }
        this.logDirs = List.copyOf(dirs);
        this.clock = clock;
        this.defaultConfig = defaultConfig;
        this.producerIdExpirationMs = producerIdExpirationMs;
        this.scheduler = scheduler;
        if (scheduler instanceof ScheduledThreadPoolExecutor s) {
            // Pending delayed deletions are done by the logs' close; don't wait for them.
            s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        }
        io(() -> {
            for (Path p : this.logDirs) {
                Files.createDirectories(p);
            }
            return null;
        });
    }

    private static ScheduledExecutorService newScheduler() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "strata-log-scheduler");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return s;
    }

    public List<Path> logDirs() {
        return logDirs;
    }

    /**
     * Opens every partition directory of every log dir and recovers it from its checkpointed
     * recovery point (in parallel, one task per partition), removes directories left by
     * interrupted deletions, then starts the background tasks. Returns when recovery is done.
     * Notes whether the previous run shut down cleanly ({@link #recoveredFromUncleanShutdown()})
     * and deletes the clean-shutdown markers, so that a crash of this run is noticed next time.
     *
     * @throws IllegalStateException when called twice, or a partition is in two log dirs
     * @throws LogStorageException   on an I/O error
     */
    public void startup() {
        synchronized (lifecycleLock) {
            if (started || closed) {
                throw new IllegalStateException("startup() called twice or after close()");
            }
            Map<TopicPartition, Path> found = new LinkedHashMap<>();
            Map<Path, Map<TopicPartition, Long>> recoveryPoints = new HashMap<>();
            Map<Path, Map<TopicPartition, Long>> highWatermarks = new HashMap<>();
            io(() -> {
                for (Path logDir : logDirs) {
                    recoveryPoints.put(logDir, readCheckpoint(logDir.resolve(OffsetCheckpoint.RECOVERY_POINT_FILE)));
                    highWatermarks.put(logDir, readCheckpoint(logDir.resolve(OffsetCheckpoint.HIGH_WATERMARK_FILE)));
                    Path marker = logDir.resolve(CLEAN_SHUTDOWN_FILE);
                    boolean clean = Files.deleteIfExists(marker);
                    if (clean) {
                        AtomicFiles.fsyncDirectory(logDir);
                    }
                    int partitions = 0;
                    try (DirectoryStream<Path> entries = Files.newDirectoryStream(logDir, Files::isDirectory)) {
                        for (Path p : entries) {
                            String name = p.getFileName().toString();
                            if (name.endsWith(DELETE_DIR_SUFFIX)) {
                                deleteRecursively(p);
                                continue;
                            }
                            Optional<TopicPartition> tp = TopicPartition.parseDirName(name);
                            if (tp.isEmpty()) {
                                continue;
                            }
                            partitions++;
                            Path other = found.putIfAbsent(tp.get(), p);
                            if (other != null) {
                                throw new IllegalStateException("partition " + tp.get() + " is in two log dirs: "
                                        + other + " and " + p);
                            }
                        }
                    }
                    if (!clean && partitions > 0) {
                        uncleanShutdown = true;
                        LOG.log(System.Logger.Level.WARNING, "{0} was not shut down cleanly", logDir);
                    }
                }
                return null;
            });
            ExecutorService pool = Executors.newFixedThreadPool(
                    Math.max(1, Math.min(found.size(), Runtime.getRuntime().availableProcessors())));
            try {
                List<Future<PartitionLog>> opening = new ArrayList<>();
                for (Map.Entry<TopicPartition, Path> e : found.entrySet()) {
                    Path partitionDir = e.getValue();
                    PartitionLog.Checkpointed checkpointed = new PartitionLog.Checkpointed(
                            recoveryPoints.get(partitionDir.getParent()).getOrDefault(e.getKey(), 0L),
                            highWatermarks.get(partitionDir.getParent()).getOrDefault(e.getKey(), 0L));
                    opening.add(pool.submit(() -> PartitionLog.open(partitionDir, e.getKey(),
                            PartitionMetadataFile.read(partitionDir).orElse(""), defaultConfig, checkpointed, clock,
                            scheduler, newProducerState(), checkpointListener)));
                }
                List<Throwable> failures = new ArrayList<>();
                for (Future<PartitionLog> f : opening) {
                    try {
                        PartitionLog log = f.get();
                        logs.put(log.topicPartition(), log);
                    } catch (ExecutionException e) {
                        failures.add(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        failures.add(e);
                    }
                }
                if (!failures.isEmpty()) {
                    logs.values().forEach(PartitionLog::closeForDeletion);
                    logs.clear();
                    Throwable first = failures.getFirst();
                    throw first instanceof RuntimeException r && !(first instanceof UncheckedIOException) ? r
                            : new LogStorageException("could not open the logs: " + first.getMessage(), first);
                }
            } finally {
                pool.shutdownNow();
            }
            scheduler.scheduleWithFixedDelay(this::retentionPass, RETENTION_CHECK_INTERVAL_MS,
                    RETENTION_CHECK_INTERVAL_MS, TimeUnit.MILLISECONDS);
            scheduler.scheduleWithFixedDelay(this::flushPass, FLUSH_CHECK_INTERVAL_MS, FLUSH_CHECK_INTERVAL_MS,
                    TimeUnit.MILLISECONDS);
            scheduler.scheduleWithFixedDelay(this::checkpointPass, CHECKPOINT_INTERVAL_MS, CHECKPOINT_INTERVAL_MS,
                    TimeUnit.MILLISECONDS);
            scheduler.scheduleWithFixedDelay(this::producerExpirationPass, PRODUCER_EXPIRATION_CHECK_INTERVAL_MS,
                    PRODUCER_EXPIRATION_CHECK_INTERVAL_MS, TimeUnit.MILLISECONDS);
            started = true;
            LOG.log(System.Logger.Level.INFO, "opened {0} partition logs in {1}", logs.size(), logDirs);
        }
    }

    private static Map<TopicPartition, Long> readCheckpoint(Path file) {
        try {
            return OffsetCheckpoint.read(file);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "ignoring unreadable checkpoint {0} (recovery from the start, high"
                    + " watermarks at the log start): {1}", file, e.getMessage());
            return Map.of();
        }
    }

    /**
     * Whether {@link #startup()} found a log dir holding partitions but no clean-shutdown marker:
     * the previous run crashed (or was killed) and recovery checked what it had not fsynced. False
     * for new or empty log dirs, and before startup.
     */
    public boolean recoveredFromUncleanShutdown() {
        return uncleanShutdown;
    }

    /**
     * The partition's log, created if missing: in the log dir holding the fewest partitions, with a
     * {@code partition.metadata} naming {@code topicId}. An existing log gets {@code config}. If the
     * existing log belongs to another topic id (the topic was deleted and re-created), it is
     * deleted first; a log without topic id adopts {@code topicId}.
     */
    public PartitionLog getOrCreateLog(TopicPartition tp, String topicId, LogConfig config) {
        synchronized (lifecycleLock) {
            ensureRunning();
            PartitionLog existing = logs.get(tp);
            if (existing != null) {
                if (existing.topicId().isEmpty() && !topicId.isEmpty()) {
                    io(() -> {
                        PartitionMetadataFile.write(existing.dir(), topicId);
                        return null;
                    });
                    existing.setTopicId(topicId);
                }
                if (existing.topicId().equals(topicId)) {
                    if (!existing.config().equals(config)) {
                        existing.updateConfig(config);
                    }
                    return existing;
                }
                LOG.log(System.Logger.Level.INFO, "{0} belongs to topic id {1}, not {2}: deleting the old log", tp,
                        existing.topicId(), topicId);
                deleteLog(tp);
            }
            Path logDir = leastLoadedDir();
            Path partitionDir = logDir.resolve(tp.dirName());
            PartitionLog log = io(() -> {
                Files.createDirectories(partitionDir);
                PartitionMetadataFile.write(partitionDir, topicId);
                AtomicFiles.fsyncDirectory(logDir);
                return PartitionLog.open(partitionDir, tp, topicId, config, new PartitionLog.Checkpointed(0L, 0L),
                        clock, scheduler, newProducerState(), checkpointListener);
            });
            logs.put(tp, log);
            return log;
        }
    }

    private Path leastLoadedDir() {
        Map<Path, Integer> counts = new HashMap<>();
        for (PartitionLog log : logs.values()) {
            counts.merge(log.dir().getParent(), 1, Integer::sum);
        }
        Path best = logDirs.getFirst();
        for (Path d : logDirs) {
            if (counts.getOrDefault(d, 0) < counts.getOrDefault(best, 0)) {
                best = d;
            }
        }
        return best;
    }

    public Optional<PartitionLog> getLog(TopicPartition tp) {
        return Optional.ofNullable(logs.get(tp));
    }

    public Collection<PartitionLog> allLogs() {
        return List.copyOf(logs.values());
    }

    /**
     * Closes the partition's log (without flushing) and deletes its directory: renamed to
     * {@code <topic>-<partition>.<uuid>-delete} first, so a crash midway leaves nothing that
     * startup would open. A no-op when the partition has no log.
     */
    public void deleteLog(TopicPartition tp) {
        synchronized (lifecycleLock) {
            PartitionLog log = logs.remove(tp);
            if (log == null) {
                return;
            }
            log.closeForDeletion();
            Path dir = log.dir();
            Path logDir = dir.getParent();
            io(() -> {
                Path doomed = logDir.resolve(tp.dirName() + "." + UUID.randomUUID().toString().replace("-", "")
                        + DELETE_DIR_SUFFIX);
                Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
                AtomicFiles.fsyncDirectory(logDir);
                deleteRecursively(doomed);
                return null;
            });
            writeCheckpoints(logDir);
        }
    }

    /**
     * Clean shutdown: stops the background tasks, flushes and closes every log (recovery point =
     * log end), writes each log dir's checkpoints, so the next startup recovers nothing, and then
     * the clean-shutdown markers (none when a log failed to close).
     */
    @Override
    public void close() {
        synchronized (lifecycleLock) {
            if (closed) {
                return;
            }
            closed = true;
            scheduler.shutdown();
            try {
                if (!scheduler.awaitTermination(60, TimeUnit.SECONDS)) {
                    LOG.log(System.Logger.Level.WARNING, "background log tasks did not stop within 60 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            RuntimeException failure = null;
            for (PartitionLog log : logs.values()) {
                try {
                    log.close();
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                }
            }
            for (Path logDir : logDirs) {
                writeCheckpoints(logDir);
            }
            if (failure != null) {
                throw failure;
            }
            for (Path logDir : logDirs) {
                try {
                    AtomicFiles.writeString(logDir.resolve(CLEAN_SHUTDOWN_FILE), "");
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.ERROR, "could not mark " + logDir + " as cleanly shut down", e);
                }
            }
        }
    }

    /** Rewrites both checkpoints of one log dir from the logs' current values. */
    void writeCheckpoints(Path logDir) {
        writeCheckpoint(logDir, OffsetCheckpoint.RECOVERY_POINT_FILE, PartitionLog::recoveryPoint);
        writeCheckpoint(logDir, OffsetCheckpoint.HIGH_WATERMARK_FILE, PartitionLog::highWatermark);
    }

    private void writeCheckpoint(Path logDir, String fileName, ToLongFunction<PartitionLog> offset) {
        synchronized (checkpointLocks.get(logDir)) {
            Map<TopicPartition, Long> points = new LinkedHashMap<>();
            for (PartitionLog log : logs.values()) {
                if (log.dir().getParent().equals(logDir)) {
                    points.put(log.topicPartition(), offset.applyAsLong(log));
                }
            }
            try {
                OffsetCheckpoint.write(logDir.resolve(fileName), points);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "could not write " + fileName + " of " + logDir, e);
            }
        }
    }

    /** Schedules a rewrite of the log's dir checkpoint, unless one is already pending. */
    private void recoveryPointAdvanced(PartitionLog log) {
        if (logs.get(log.topicPartition()) != log) {
            return;
        }
        Path logDir = log.dir().getParent();
        AtomicBoolean pending = checkpointPending.get(logDir);
        if (pending.compareAndSet(false, true)) {
            try {
                scheduler.execute(() -> {
                    pending.set(false);
                    writeCheckpoint(logDir, OffsetCheckpoint.RECOVERY_POINT_FILE, PartitionLog::recoveryPoint);
                });
            } catch (RejectedExecutionException e) {
                pending.set(false); // shutting down: close() writes the checkpoints
            }
        }
    }

    private void retentionPass() {
        for (PartitionLog log : logs.values()) {
            try {
                log.deleteOldSegments();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "retention of " + log.topicPartition() + " failed", e);
            }
        }
    }

    private void flushPass() {
        long now = clock.millis();
        for (PartitionLog log : logs.values()) {
            try {
                log.flushIfDue(now);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "flush of " + log.topicPartition() + " failed", e);
            }
        }
    }

    private ProducerStateTable newProducerState() {
        return new ProducerStateTable(producerIdExpirationMs, clock);
    }

    private void producerExpirationPass() {
        for (PartitionLog log : logs.values()) {
            int removed = log.removeExpiredProducers();
            if (removed > 0) {
                LOG.log(System.Logger.Level.DEBUG, "{0}: forgot {1} producers idle for {2} ms", log.topicPartition(),
                        removed, producerIdExpirationMs);
            }
        }
    }

    private void checkpointPass() {
        for (Path logDir : logDirs) {
            writeCheckpoints(logDir);
        }
    }

    private void ensureRunning() {
        if (!started || closed) {
            throw new IllegalStateException(closed ? "log manager is closed" : "log manager not started");
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @FunctionalInterface
    private interface IoAction<T> {
        T run() throws IOException;
    }

    /** The one place where this class's own I/O errors become {@link LogStorageException}s. */
    private static <T> T io(IoAction<T> action) {
        try {
            return action.run();
        } catch (IOException | UncheckedIOException e) {
            throw new LogStorageException("I/O error in the log dirs: " + e.getMessage(), e);
        }
    }
}
