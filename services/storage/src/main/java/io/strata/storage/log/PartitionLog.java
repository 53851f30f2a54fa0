package io.strata.storage.log;

import io.strata.records.RecordBatch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.function.IntFunction;
import java.nio.channels.ClosedChannelException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The log of one partition: a directory {@code <topic>-<partition>} of {@link Segment}s, a
 * {@code leader-epoch-checkpoint} ({@link LeaderEpochCache}), a {@code partition.metadata}
 * ({@link PartitionMetadataFile}) and producer-state snapshots ({@link ProducerSnapshots}) of its
 * {@link ProducerStateTable}, which every append is checked against. Opened by {@link LogManager}.
 * See {@code DESIGN.md} next to this class for the invariants.
 *
 * <p>Concurrency. One writer at a time: {@link #append}, {@link #appendAsFollower}, rolls,
 * {@link #truncateTo}, {@link #truncateFullyAndStartAt}, {@link #deleteOldSegments},
 * {@link #updateConfig} and {@link #close} serialize on a lock. Readers ({@link #read},
 * {@link #offsetForTimestamp}, the accessors) never take it: they read a volatile snapshot of the
 * log end (offset, segment, byte position) published after each append, find segments in a
 * concurrent skip-list map and use positional reads, so they never block appends nor see a
 * half-written batch. A truncation moves the log end down before it removes any byte and bumps a
 * counter that readers check after reading, so a read that raced it starts over. fsyncs run
 * outside the lock, except those asked for by {@code flush.messages}, which run inside the append.
 *
 * <p>Durability. Appends go to the page cache. When a segment rolls, a single background thread
 * fsyncs it and advances the recovery point to the new segment's base offset (Kafka's rule), then
 * asks for the recovery-point checkpoint to be rewritten. {@code flush.messages},
 * {@code flush.ms} and {@link #flush()} fsync up to the log end.
 *
 * <p>Failures: see {@link LogStorageException} (sticky per log).
 */
public final class PartitionLog implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PartitionLog.class.getName());

    /** What readers see: the log end offset, its segment and the byte position there. */
    private record LogEnd(long offset, Segment segment, int position) {
    }

    /** Sealed segments in offset order with the running max of their max timestamps. */
    private record TimeDirectory(long version, Segment[] sealed, long[] runningMax) {
        /** The first index whose running max is {@code >= timestamp}; length when none. */
        int firstReaching(long timestamp) {
            int lo = 0;
            int hi = sealed.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (runningMax[mid] >= timestamp) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return lo;
        }
    }

    @FunctionalInterface
    private interface IoAction<T> {
        T run() throws IOException;
    }

    /** The offsets of a log that its {@link LogManager} keeps in the log dir's checkpoint files. */
    record Checkpointed(long recoveryPoint, long highWatermark) {
    }

    /** How a log asks its {@link LogManager} to rewrite the checkpoints of its log dir. */
    interface CheckpointListener {
        /** The recovery point advanced: rewrite soon (the manager coalesces, in the background). */
        void recoveryPointAdvanced(PartitionLog log);

        /** The log was truncated: rewrite now, before the log takes appends past its new end. */
        void truncated(PartitionLog log);
    }

    /** Thrown inside a read that a truncation raced; the read starts over against the new end. */
    private static final class TruncatedWhileReading extends RuntimeException {
        TruncatedWhileReading() {
            super(null, null, false, false);
        }
    }

    private static final TruncatedWhileReading TRUNCATED_WHILE_READING = new TruncatedWhileReading();

    private final TopicPartition topicPartition;
    private final Path dir;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final CheckpointListener checkpoints;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private final Set<Segment> pendingDeletes = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    /**
     * Orders the offsets that a truncation lowers (the published end, recovery point and high
     * watermark, with the truncation counter) against the threads that raise them outside the
     * writer lock, so that a raise computed before a truncation cannot land after it.
     */
    private final Object offsetsGuard = new Object();
    private final AtomicLong recoveryPoint = new AtomicLong();
    private final LeaderEpochCache epochs;
    private final ProducerStateTable producers;
    private final ProducerSnapshots producerSnapshots;
    private volatile String topicId;
    private volatile LogConfig config;
    private volatile LogEnd end;
    private volatile long logStartOffset;
    private volatile long segmentsVersion;
    private volatile TimeDirectory timeDirectory;
    private volatile long highWatermark;
    /**
     * Truncations so far, times two; odd while one publishes its new state (a seqlock: readers
     * start over when it changed during their read). Written under the lock and {@link #offsetsGuard}.
     */
    private volatile long truncations;
    private volatile LogStorageException failure;
    private volatile boolean closed;
    private volatile long lastFlushMs;
    private RecoveryResult recovery = RecoveryResult.NONE;

    // Writer state, guarded by lock.
    private Segment active;
    private long nextOffset;
    private long unflushedMessages;

    private PartitionLog(Path dir, TopicPartition topicPartition, String topicId, LogConfig config, Clock clock,
                         ScheduledExecutorService scheduler, LeaderEpochCache epochs, ProducerStateTable producers,
                         CheckpointListener checkpoints) {
        this.dir = dir;
        this.producers = producers;
        this.producerSnapshots = new ProducerSnapshots(dir);
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.config = config;
        this.clock = clock;
        this.scheduler = scheduler;
        this.epochs = epochs;
        this.checkpoints = checkpoints;
    }

    /**
     * Opens (creating if needed) the log in {@code dir} and recovers what lies past
     * {@code recoveryPoint}: segments below the one containing it are trusted and not read;
     * from there on batches are checked and a torn or corrupt tail is cut (see
     * {@link Segment#recover}). Leftover {@code .deleted}, {@code .tmp} and orphan index files are
     * removed. Then the producer state is loaded from the newest snapshot at or below the log end
     * and the batches after it. The checkpointed high watermark is clamped to the recovered
     * {@code [logStartOffset, logEndOffset]}.
     *
     * @param checkpointed the offsets from the log dir's checkpoints (0 when missing)
     * @param producers    the partition's (empty) producer state, filled here
     * @param checkpoints  told when the checkpointed offsets changed (a rolled segment was fsynced in
     *                     the background, a flush, a truncation), so that the files get rewritten
     */
    static PartitionLog open(Path dir, TopicPartition topicPartition, String topicId, LogConfig config,
                             Checkpointed checkpointed, Clock clock, ScheduledExecutorService scheduler,
                             ProducerStateTable producers, CheckpointListener checkpoints)
            throws IOException {
        Files.createDirectories(dir);
        TreeSet<Long> bases = cleanDirectory(dir);
        LeaderEpochCache epochs;
        try {
            epochs = LeaderEpochCache.load(dir);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "ignoring unreadable leader-epoch checkpoint of {0}: {1}", dir,
                    e.getMessage());
            epochs = LeaderEpochCache.empty(dir);
        }
        PartitionLog log = new PartitionLog(dir, topicPartition, topicId, config, clock, scheduler, epochs, producers,
                checkpoints);
        try {
            log.load(bases, checkpointed.recoveryPoint());
            log.highWatermark = Math.clamp(checkpointed.highWatermark(), log.logStartOffset, log.nextOffset);
        } catch (IOException | RuntimeException e) {
            for (Segment s : log.segments.values()) {
                closeQuietly(s);
            }
            throw e;
        }
        return log;
    }

    /** Deletes leftovers and returns the base offsets of the segments present. */
    private static TreeSet<Long> cleanDirectory(Path dir) throws IOException {
        TreeSet<Long> logs = new TreeSet<>();
        List<Path> indexFiles = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(Segment.DELETED_SUFFIX) || name.endsWith(AtomicFiles.TEMP_SUFFIX)) {
                    Files.deleteIfExists(f);
                    continue;
                }
                OptionalLong base = Segment.parseBaseOffset(name, Segment.LOG_SUFFIX);
                if (base.isPresent()) {
                    logs.add(base.getAsLong());
                } else if (name.endsWith(Segment.INDEX_SUFFIX) || name.endsWith(Segment.TIME_INDEX_SUFFIX)) {
                    indexFiles.add(f);
                }
            }
        }
        for (Path f : indexFiles) {
            String name = f.getFileName().toString();
            OptionalLong base = Segment.parseBaseOffset(name, name.endsWith(Segment.INDEX_SUFFIX)
                    ? Segment.INDEX_SUFFIX : Segment.TIME_INDEX_SUFFIX);
            if (base.isEmpty() || !logs.contains(base.getAsLong())) {
                Files.deleteIfExists(f);
            }
        }
        return logs;
    }

    private void load(TreeSet<Long> bases, long checkpointedRecoveryPoint) throws IOException {
        long now = clock.millis();
        int interval = config.indexIntervalBytes();
        if (bases.isEmpty()) {
            Segment s = Segment.create(dir, 0, interval, now);
            segments.put(0L, s);
            active = s;
        } else {
            for (long base : bases) {
                segments.put(base, Segment.open(dir, base, interval));
            }
            long rp = Math.max(checkpointedRecoveryPoint, bases.first());
            long recoverFrom = segments.floorKey(rp);
            int recovered = 0;
            long validated = 0;
            long truncated = 0;
            Segment previous = null;
            List<Segment> toWalk = new ArrayList<>(segments.tailMap(recoverFrom, true).values());
            for (int i = 0; i < toWalk.size(); i++) {
                Segment s = toWalk.get(i);
                boolean gap = previous != null && previous.nextOffset() != s.baseOffset();
                Segment.Recovered r = gap ? null : s.recover(s.baseOffset() == recoverFrom ? rp : s.baseOffset(),
                        epochs::assign);
                if (r != null) {
                    recovered++;
                    validated += r.validatedBytes();
                    truncated += r.truncatedBytes();
                    if (previous != null) {
                        previous.seal();
                    }
                    previous = s;
                }
                if (gap || r.truncatedBytes() > 0) {
                    List<Segment> later = toWalk.subList(gap ? i : i + 1, toWalk.size());
                    for (Segment l : later) {
                        truncated += l.size();
                        segments.remove(l.baseOffset());
                        l.closeAndDeleteFiles();
                    }
                    if (!later.isEmpty()) {
                        LOG.log(System.Logger.Level.WARNING, "{0}: deleted {1} segments after the damage{2}",
                                topicPartition, later.size(), gap ? " (offset gap before segment "
                                        + later.getFirst().baseOffset() + ")" : "");
                    }
                    break;
                }
            }
            active = previous;
            restartRollClock(now);
            recovery = new RecoveryResult(recovered, validated, truncated);
            if (validated > 0 || truncated > 0) {
                LOG.log(System.Logger.Level.INFO, "{0}: recovered {1} segments from offset {2}: validated {3} bytes,"
                        + " cut {4} bytes", topicPartition, recovered, rp, validated, truncated);
            }
            recoveryPoint.set(Math.min(rp, active.nextOffset()));
        }
        nextOffset = active.nextOffset();
        logStartOffset = segments.firstKey();
        epochs.truncateFromEnd(nextOffset);
        epochs.truncateFromStart(logStartOffset);
        end = new LogEnd(nextOffset, active, active.size());
        lastFlushMs = now;
        loadProducerState();
    }

    /** Writer, when recovery or a truncation made a segment active: {@code segment.ms} counts from its first batch. */
    private void restartRollClock(long now) throws IOException {
        long firstTimestamp = active.firstBatchMaxTimestamp();
        active.setRollBaseMs(firstTimestamp >= 0 ? Math.min(firstTimestamp, now) : now);
    }

    /**
     * Rebuilds the producer state as of the log end: the newest snapshot at or below it, then the
     * headers of the batches after it. A roll or a clean close leaves a snapshot, so this reads at
     * most the tail since the last one; without a usable snapshot, the whole log (headers only).
     * Snapshots past the log end are deleted (a truncation, or a crash, cut their batches).
     */
    private void loadProducerState() throws IOException {
        producerSnapshots.deleteBelow(logStartOffset);
        Optional<ProducerSnapshots.Loaded> snapshot = producerSnapshots.loadLatest(nextOffset);
        long from = logStartOffset;
        producers.load(snapshot.isPresent() ? snapshot.get().entries() : List.of());
        if (snapshot.isPresent()) {
            from = Math.max(from, snapshot.get().offset());
        }
        for (Segment s : segments.tailMap(segments.floorKey(from), true).values()) {
            s.forEachBatchHeader(from, s.size(), producers::replay);
        }
        if (from < nextOffset) {
            LOG.log(System.Logger.Level.INFO, "{0}: producer state from {1} and the batches of offsets [{2}, {3})",
                    topicPartition, snapshot.isPresent() ? "snapshot " + snapshot.get().offset() : "no snapshot", from,
                    nextOffset);
        }
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Path dir() {
        return dir;
    }

    /** The topic id from {@code partition.metadata}; empty when the directory had none. */
    public String topicId() {
        return topicId;
    }

    public LogConfig config() {
        return config;
    }

    /**
     * Appends batches the caller validated (CRC, framing, sizes): stamps each batch's base offset
     * (consecutive from the log end, the next one at the previous batch's last offset + 1) and
     * {@code leaderEpoch} into the headers (both outside the CRC), and writes the bytes as they are
     * with one positional write. Rolls first when the active segment would exceed
     * {@code segment.bytes}, is older than {@code segment.ms}, or its relative offsets would
     * overflow. Records {@code leaderEpoch} in the leader-epoch checkpoint when it is newer.
     * Consumes {@code validatedBatches} (its position moves to its limit).
     *
     * <p>Idempotent batches are first checked against the producer state
     * ({@link ProducerStateTable}): a request whose every batch was written before appends nothing
     * and answers with the original offsets ({@link LogAppendInfo#duplicate()}).
     *
     * @throws IllegalArgumentException when the buffer is not a sequence of whole batches with magic
     *                                  2 (record sizes are the validator's business: it checks each
     *                                  record against {@code max.message.bytes})
     * @throws ProducerStateException   when the producer state refuses the request (nothing is written)
     * @throws LogStorageException      on an I/O error, now or earlier (sticky), or when closed
     */
    public LogAppendInfo append(ByteBuffer validatedBatches, int leaderEpoch) {
        ByteBuffer buf = validatedBatches.duplicate(); // big-endian view of the same bytes
        int start = buf.position();
        int limit = buf.limit();
        lock.lock();
        try {
            ensureWritable();
            LogConfig c = config;
            Scanned scanned = scan(buf, start, limit);
            Optional<List<SequencedBatch>> originals = producers.check(buf, start, limit);
            if (originals.isPresent()) {
                validatedBatches.position(limit);
                return LogAppendInfo.duplicateOf(originals.get(), logStartOffset);
            }
            long first = nextOffset;
            long last = first + scanned.offsets() - 1;
            io(() -> {
                maybeRoll(c, limit - start, last);
                active.append(buf, first, leaderEpoch, clock.millis());
                epochs.assign(leaderEpoch, first);
                return null;
            });
            return appended(validatedBatches, buf, start, c, first, last, scanned);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends batches a follower fetched from its leader, keeping the base offsets and leader
     * epochs in their headers (nothing is stamped): the first batch must start at the log end and
     * each next one right after the previous one's last offset. Rolls, indexes and
     * {@code flush.messages} as {@link #append}; each batch's leader epoch that is newer than the
     * latest goes into the leader-epoch checkpoint at the batch's base offset. The producer state
     * records the idempotent batches without checking their sequences (the leader did), so it
     * stays what the leader's is and a producer's retry is still recognised after a failover.
     * Consumes {@code validatedBatches} (its position moves to its limit).
     *
     * @throws IllegalArgumentException     when the buffer is not a sequence of whole batches with magic 2
     * @throws NonContiguousAppendException when the batches do not follow on from the log end or from
     *                                      each other (nothing is written)
     * @throws LogStorageException          on an I/O error, now or earlier (sticky), or when closed
     */
    public LogAppendInfo appendAsFollower(ByteBuffer validatedBatches) {
        ByteBuffer buf = validatedBatches.duplicate();
        int start = buf.position();
        int limit = buf.limit();
        lock.lock();
        try {
            ensureWritable();
            LogConfig c = config;
            Scanned scanned = scan(buf, start, limit);
            long first = nextOffset;
            long expected = first;
            for (int p = start; p < limit; p += RecordBatch.sizeInBytes(buf, p)) {
                long base = RecordBatch.baseOffset(buf, p);
                if (base != expected) {
                    throw new NonContiguousAppendException(topicPartition, expected, base);
                }
                expected = RecordBatch.nextOffset(buf, p);
            }
            long last = expected - 1;
            io(() -> {
                maybeRoll(c, limit - start, last);
                active.appendStamped(buf, clock.millis());
                for (int p = start; p < limit; p += RecordBatch.sizeInBytes(buf, p)) {
                    epochs.assign(RecordBatch.partitionLeaderEpoch(buf, p), RecordBatch.baseOffset(buf, p));
                }
                return null;
            });
            return appended(validatedBatches, buf, start, c, first, last, scanned);
        } finally {
            lock.unlock();
        }
    }

    /** Offsets, max timestamp and count of the batches of an append. */
    private record Scanned(long offsets, long maxTimestamp, int batches) {
    }

    /** Checks that {@code [start, limit)} holds whole batches with magic 2 and sums them up. */
    private static Scanned scan(ByteBuffer buf, int start, int limit) {
        long offsets = 0;
        long maxTimestamp = Segment.NO_TIMESTAMP;
        int batches = 0;
        for (int p = start; p < limit; ) {
            int size = limit - p < RecordBatch.HEADER_SIZE ? -1 : RecordBatch.sizeInBytes(buf, p);
            if (size < RecordBatch.HEADER_SIZE || size > limit - p) {
                throw new IllegalArgumentException("no whole batch at byte " + (p - start) + " of the append");
            }
            if (RecordBatch.magic(buf, p) != RecordBatch.MAGIC || RecordBatch.lastOffsetDelta(buf, p) < 0) {
                throw new IllegalArgumentException("malformed batch header at byte " + (p - start));
            }
            offsets += RecordBatch.lastOffsetDelta(buf, p) + 1L;
            maxTimestamp = Math.max(maxTimestamp, RecordBatch.maxTimestamp(buf, p));
            batches++;
            p += size;
        }
        if (batches == 0) {
            throw new IllegalArgumentException("append without batches");
        }
        return new Scanned(offsets, maxTimestamp, batches);
    }

    /** Writer, after the bytes of an append are written: producer state, the published end, flush policy. */
    private LogAppendInfo appended(ByteBuffer validatedBatches, ByteBuffer buf, int start, LogConfig c, long first,
                                   long last, Scanned scanned) {
        producers.onAppended(buf, start, buf.limit());
        nextOffset = last + 1;
        end = new LogEnd(nextOffset, active, active.size());
        validatedBatches.position(buf.limit());
        unflushedMessages += scanned.offsets();
        if (unflushedMessages >= c.flushMessages()) {
            flush();
        }
        return new LogAppendInfo(first, last, scanned.maxTimestamp(), scanned.batches(), logStartOffset, false);
    }

    private void maybeRoll(LogConfig c, int bytes, long lastOffset) throws IOException {
        Segment a = active;
        if (a.size() == 0) {
            return;
        }
        boolean full = (long) a.size() + bytes > c.segmentBytes();
        boolean old = clock.millis() - a.rollBaseMs() > c.segmentMs();
        boolean offsetsOverflow = lastOffset - a.baseOffset() > Integer.MAX_VALUE;
        if (full || old || offsetsOverflow) {
            roll();
        }
    }

    /**
     * Writer: seals the active segment, starts a new one at the log end, and in the background
     * fsyncs the old one and writes the producer-state snapshot at the new base.
     */
    private void roll() throws IOException {
        long base = nextOffset;
        List<ProducerStateEntry> producerState = producers.entries();
        active.seal();
        Segment s = Segment.create(dir, base, config.indexIntervalBytes(), clock.millis());
        segments.put(base, s);
        active = s;
        segmentsVersion++;
        timeDirectory = null;
        end = new LogEnd(base, s, 0);
        long generation = truncations;
        try {
            scheduler.execute(() -> flushRolled(base, producerState, generation));
        } catch (RejectedExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, "scheduler stopped; roll of {0} at {1} not flushed in the background",
                    topicPartition, base);
        }
    }

    /**
     * Scheduler thread: writes the producer snapshot taken at the roll, fsyncs the segments below
     * {@code newActiveBase}, then advances the recovery point there. Unless a truncation came
     * after the roll ({@code generation} is its count then): its batches may be gone, so the
     * snapshot is deleted again (the truncation deleted those it found) and the point stays.
     */
    private void flushRolled(long newActiveBase, List<ProducerStateEntry> producerState, long generation) {
        if (closed || failure != null) {
            return;
        }
        try {
            if (truncations == generation) {
                producerSnapshots.write(newActiveBase, producerState);
            }
            if (truncations != generation) {
                Files.deleteIfExists(ProducerSnapshots.file(dir, newActiveBase));
                return;
            }
            forceAll(segmentsFromRecoveryPoint().headMap(newActiveBase, false).values(), generation);
            AtomicFiles.fsyncDirectory(dir);
        } catch (IOException e) {
            if (!closed) {
                fail(e);
            }
            return;
        }
        if (advanceRecoveryPoint(newActiveBase, generation)) {
            checkpoints.recoveryPointAdvanced(this);
        }
    }

    /**
     * Fsyncs everything up to the log end (log and index files) and advances the recovery point
     * there; the checkpoint file is rewritten in the background.
     */
    public void flush() {
        long target;
        long generation;
        List<Segment> toSync;
        lock.lock();
        try {
            ensureWritable();
            target = nextOffset;
            generation = truncations;
            io(() -> {
                active.writeActiveIndexes(true);
                return null;
            });
            toSync = List.copyOf(segmentsFromRecoveryPoint().values());
            unflushedMessages = 0;
            lastFlushMs = clock.millis();
        } finally {
            lock.unlock();
        }
        io(() -> {
            forceAll(toSync, generation);
            return null;
        });
        if (advanceRecoveryPoint(target, generation)) {
            checkpoints.recoveryPointAdvanced(this);
        }
    }

    /** Scheduler thread: flushes when {@code flush.ms} passed since the last flush and something is unflushed. */
    void flushIfDue(long nowMs) {
        long flushMs = config.flushMs();
        if (flushMs != Long.MAX_VALUE && !closed && failure == null && end.offset() > recoveryPoint.get()
                && nowMs - lastFlushMs >= flushMs) {
            flush();
        }
    }

    /**
     * Fsyncs {@code toSync}. An error on a segment deleted since, or after a truncation came since
     * the caller took {@code generation} (it replaces index files and cuts logs), is no failure:
     * the caller then does not advance the recovery point, so nothing claims those bytes durable.
     */
    private void forceAll(Iterable<Segment> toSync, long generation) throws IOException {
        for (Segment s : toSync) {
            try {
                s.force();
            } catch (IOException e) {
                if (!s.isDeleted() && truncations == generation) {
                    throw e;
                }
            }
        }
    }

    /** The segments that may hold unflushed data: from the one containing the recovery point on. */
    private NavigableMap<Long, Segment> segmentsFromRecoveryPoint() {
        Long from = segments.floorKey(recoveryPoint.get());
        return from == null ? segments : segments.tailMap(from, true);
    }

    /**
     * Raises the recovery point to {@code offset}, fsynced up to there, unless a truncation came
     * since the caller took {@code generation}: the bytes it fsynced may be gone. Returns whether
     * the point could be raised.
     */
    private boolean advanceRecoveryPoint(long offset, long generation) {
        synchronized (offsetsGuard) {
            if (truncations != generation) {
                return false;
            }
            recoveryPoint.accumulateAndGet(offset, Math::max);
            return true;
        }
    }

    /**
     * Reads whole batches starting with the batch that contains {@code offset}: at least that
     * batch even if it is larger than {@code maxBytes}, then more while the total stays within
     * {@code maxBytes}, from that batch's segment only. Empty when {@code offset} is the log end.
     *
     * @throws OffsetOutOfRangeException when {@code offset} is outside {@code [logStartOffset, logEndOffset]}
     * @throws LogStorageException       on an I/O error or when the log is closed
     */
    public LogReadResult read(long offset, int maxBytes) throws OffsetOutOfRangeException {
        return read(offset, maxBytes, ByteBuffer::allocate);
    }

    /**
     * As {@link #read(long, int)}, reading into buffers from {@code buffers}: given a size, it
     * returns an empty buffer with exactly that many bytes remaining (position 0). Lets a caller
     * reuse direct buffers, which saves the JDK's copy through a temporary direct buffer and the
     * zeroing of a fresh heap array; the result is valid only until the caller reuses the buffer.
     */
    public LogReadResult read(long offset, int maxBytes, IntFunction<ByteBuffer> buffers) throws OffsetOutOfRangeException {
        return read(offset, maxBytes, buffers, Long.MAX_VALUE);
    }

    /**
     * As {@link #read(long, int, IntFunction)}, returning only batches whose base offset is below
     * {@code maxOffset}: the high watermark for a consumer, which on a leader is always a batch
     * boundary, so exactly the committed batches. The batch that contains {@code offset} comes
     * first, as ever; when {@code offset} is at or past {@code maxOffset} (and within the log) the
     * result is empty.
     *
     * @throws OffsetOutOfRangeException when {@code offset} is outside {@code [logStartOffset, logEndOffset]}
     * @throws LogStorageException       on an I/O error or when the log is closed
     */
    public LogReadResult read(long offset, int maxBytes, IntFunction<ByteBuffer> buffers, long maxOffset)
            throws OffsetOutOfRangeException {
        for (;;) {
            long generation = truncationCount();
            try {
                LogReadResult r = readOnce(offset, maxBytes, buffers, maxOffset, generation);
                if (truncations == generation) {
                    return r;
                }
            } catch (RuntimeException e) {
                // A read that raced a truncation may have seen a cut file or an index mid-change
                // (a negative position, a short buffer): whatever it threw, it reads again.
                if (truncations == generation) {
                    throw e;
                }
            }
        }
    }

    private LogReadResult readOnce(long offset, int maxBytes, IntFunction<ByteBuffer> buffers, long maxOffset,
                                   long generation) {
        LogEnd e = end;
        long start = logStartOffset;
        if (offset < start || offset > e.offset()) {
            throw outOfRange(offset, start, e.offset());
        }
        if (offset == e.offset() || offset >= maxOffset) {
            return new LogReadResult(ByteBuffer.allocate(0), offset, start, e.offset());
        }
        Map.Entry<Long, Segment> entry = segments.floorEntry(offset);
        while (entry != null) {
            Segment s = entry.getValue();
            int limit = s == e.segment() ? e.position() : s.size();
            try {
                int position = s.locate(offset, limit);
                if (position >= 0) {
                    Segment.Chunk chunk = s.read(position, limit, maxBytes, buffers, maxOffset);
                    return new LogReadResult(chunk.batches(), chunk.nextOffset(), start, e.offset());
                }
            } catch (IOException ex) {
                throw readFailure(s, offset, ex, generation);
            }
            if (s == e.segment()) {
                break;
            }
            entry = segments.higherEntry(entry.getKey());
        }
        throw outOfRange(offset, logStartOffset, end.offset());
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long logEndOffset() {
        return end.offset();
    }

    /** Everything below this offset is fsynced; recovery after a crash starts here. */
    public long recoveryPoint() {
        return recoveryPoint.get();
    }

    public int segmentCount() {
        return segments.size();
    }

    /** Base offsets of the segments, oldest first. */
    public List<Long> segmentBaseOffsets() {
        return List.copyOf(segments.keySet());
    }

    /** Bytes of all segments' log files. */
    public long sizeInBytes() {
        long total = 0;
        for (Segment s : segments.values()) {
            total += s.size();
        }
        return total;
    }

    /** The leader-epoch checkpoint's entries, oldest first. */
    public List<EpochEntry> leaderEpochs() {
        return epochs.entries();
    }

    /** The latest leader epoch in the leader-epoch checkpoint (that appended, or was assigned), or -1 when none. */
    public int latestEpoch() {
        return epochs.latestEpoch();
    }

    /**
     * Where leader epoch {@code epoch} ends in this log (OffsetForLeaderEpoch): the largest epoch
     * {@code <= epoch} that the leader-epoch checkpoint knows, with the start offset of the next
     * known epoch, or the log end offset when it is the latest; {@code (-1, logStartOffset)} when
     * none is known. Any thread.
     */
    public EpochEndOffset endOffsetForEpoch(int epoch) {
        for (;;) {
            long generation = truncationCount();
            LogEnd e = end;
            EpochEndOffset answer = epochs.endOffsetFor(epoch, logStartOffset, e.offset());
            if (truncations == generation) {
                return answer;
            }
        }
    }

    /**
     * Records that leader epoch {@code epoch} starts at {@code startOffset}, the log end, before
     * anything is appended in it (a new leader does this, as Kafka's makeLeader), so that
     * {@link #endOffsetForEpoch} answers for it from the start. Persisted at once. A no-op when
     * {@code epoch} is not above {@link #latestEpoch()}. An epoch recorded at the same start offset
     * before (it wrote nothing) is replaced. As in Kafka, opening the log drops epochs that start at
     * its end, so an epoch that has no batch yet does not survive a restart: a leader assigns its
     * epoch each time it becomes leader.
     *
     * @throws IllegalArgumentException when {@code startOffset} is past the log end or before the
     *                                  start of the latest epoch
     * @throws LogStorageException      on an I/O error, now or earlier (sticky), or when closed
     */
    public void assignEpochStartOffset(int epoch, long startOffset) {
        lock.lock();
        try {
            ensureWritable();
            List<EpochEntry> known = epochs.entries();
            if (startOffset > nextOffset || (!known.isEmpty() && startOffset < known.getLast().startOffset())) {
                throw new IllegalArgumentException("epoch " + epoch + " of " + topicPartition + " cannot start at "
                        + startOffset + ": the log ends at " + nextOffset + " and the latest epoch starts at "
                        + (known.isEmpty() ? "-" : known.getLast().startOffset()));
            }
            io(() -> {
                epochs.assign(epoch, startOffset);
                return null;
            });
        } finally {
            lock.unlock();
        }
    }

    /**
     * The high watermark: the offset below which every batch is replicated to the in-sync
     * replicas, so consumers may read below it. Kept by the log so that it survives a restart
     * (the log dir's {@code replication-offset-checkpoint}); within
     * {@code [logStartOffset, logEndOffset]}.
     */
    public long highWatermark() {
        return highWatermark;
    }

    /**
     * Raises the high watermark to {@code hw}, clamped to {@code [logStartOffset, logEndOffset]}. A
     * value below the current one is ignored: only a truncation lowers it. Written to the
     * checkpoint with the manager's periodic checkpoints and at a clean shutdown. Any thread.
     */
    public void updateHighWatermark(long hw) {
        synchronized (offsetsGuard) {
            long clamped = Math.min(Math.max(hw, logStartOffset), end.offset());
            if (clamped > highWatermark) {
                highWatermark = clamped;
            }
        }
    }

    /**
     * Removes every batch at or above {@code offset}, for a follower whose log diverged from its
     * leader's; when {@code offset} falls inside a batch, that batch goes too and the log ends at
     * its base offset (the follower fetches it again). A no-op when {@code offset} is at or past the
     * log end. Segments above the cut are deleted (renamed, removed after
     * {@code file.delete.delay.ms}); the segment holding it is cut as recovery cuts a torn tail, and
     * becomes the active segment; leader epochs starting at or after the new end are dropped; the
     * producer state is rebuilt as of the new end (the newest snapshot at or below it, then the
     * batches after it; later snapshots are deleted); the recovery point and the high watermark
     * come down to the new end when above it, and the log dir's checkpoints are rewritten before
     * this returns.
     *
     * <p>Readers: the log end moves down before any byte goes, and a read that overlapped the move
     * starts over, so no read returns data past the new end.
     *
     * @throws IllegalArgumentException when {@code offset} is below the log start offset (see
     *                                  {@link #truncateFullyAndStartAt})
     * @throws LogStorageException      on an I/O error, now or earlier (sticky), or when closed
     */
    public void truncateTo(long offset) {
        lock.lock();
        try {
            ensureWritable();
            if (offset >= nextOffset) {
                return;
            }
            if (offset < logStartOffset) {
                throw new IllegalArgumentException("cannot truncate " + topicPartition + " to " + offset
                        + ", below its log start offset " + logStartOffset + ": use truncateFullyAndStartAt");
            }
            io(() -> {
                truncateLocked(offset);
                return null;
            });
            checkpoints.truncated(this);
        } finally {
            lock.unlock();
        }
    }

    private void truncateLocked(long offset) throws IOException {
        long before = nextOffset;
        Segment s = segments.floorEntry(offset).getValue();
        OffsetPosition cut = s.findBatch(offset, s.size());
        if (cut == null) {
            throw new IOException("no batch of " + s + " holds offset " + offset);
        }
        List<Segment> doomed = List.copyOf(segments.tailMap(s.baseOffset(), false).values());
        publishTruncation(new LogEnd(cut.offset(), s, cut.position()), logStartOffset, () -> {
            for (Segment d : doomed) {
                segments.remove(d.baseOffset());
            }
        });
        epochs.persist();
        scheduleDeletion(doomed);
        active = s;
        Segment.Recovered r = s.truncateTo(cut.offset());
        if (r.nextOffset() < cut.offset()) {
            // The header walk met damage below the cut (past the recovery point): the log ends there.
            publishTruncation(new LogEnd(r.nextOffset(), s, s.size()), logStartOffset, () -> { });
            epochs.persist();
        }
        nextOffset = r.nextOffset();
        restartRollClock(clock.millis());
        loadProducerState();
        AtomicFiles.fsyncDirectory(dir);
        LOG.log(System.Logger.Level.INFO, "{0}: truncated from {1} to {2} (asked {3}); deleted {4} segments",
                topicPartition, before, nextOffset, offset, doomed.size());
    }

    /**
     * Deletes every segment and starts the log empty at {@code offset}: log start = log end =
     * high watermark = recovery point = {@code offset}, no leader epochs, no producer state. For a
     * follower whose log ends below its leader's log start offset. Concurrent reads of the old
     * data may fail with {@link OffsetOutOfRangeException}, as reads of segments retention deletes.
     *
     * @throws IllegalArgumentException when {@code offset} is negative
     * @throws LogStorageException      on an I/O error, now or earlier (sticky), or when closed
     */
    public void truncateFullyAndStartAt(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("negative start offset " + offset + " for " + topicPartition);
        }
        lock.lock();
        try {
            ensureWritable();
            io(() -> {
                truncateFullyLocked(offset);
                return null;
            });
            checkpoints.truncated(this);
        } finally {
            lock.unlock();
        }
    }

    private void truncateFullyLocked(long offset) throws IOException {
        List<Segment> doomed = List.copyOf(segments.values());
        scheduleDeletion(doomed); // renames first: the new segment may take an old one's name
        Segment s = Segment.create(dir, offset, config.indexIntervalBytes(), clock.millis());
        publishTruncation(new LogEnd(offset, s, 0), offset, () -> {
            segments.clear();
            segments.put(offset, s);
            epochs.dropFrom(Long.MIN_VALUE);
        });
        epochs.persist();
        active = s;
        nextOffset = offset;
        producers.load(List.of());
        producerSnapshots.deleteBelow(Long.MAX_VALUE);
        AtomicFiles.fsyncDirectory(dir);
        LOG.log(System.Logger.Level.INFO, "{0}: deleted all {1} segments; the log starts again at {2}",
                topicPartition, doomed.size(), offset);
    }

    /**
     * Writer, before a truncation removes any byte: publishes {@code [start, e)} as the log's range
     * with {@code segmentChanges} (memory only), the leader epochs starting at or past its end
     * dropped (in memory; the caller persists them) and the recovery point and high watermark
     * brought into it, as one step for readers (see {@link #truncations}).
     */
    private void publishTruncation(LogEnd e, long start, Runnable segmentChanges) {
        synchronized (offsetsGuard) {
            truncations++;
            segmentChanges.run();
            epochs.dropFrom(e.offset());
            logStartOffset = start;
            end = e;
            segmentsVersion++;
            timeDirectory = null;
            recoveryPoint.set(Math.clamp(recoveryPoint.get(), start, e.offset()));
            highWatermark = Math.clamp(highWatermark, start, e.offset());
            truncations++;
        }
    }

    /** The truncation count once no truncation is publishing (odd while one is, for a few memory writes). */
    private long truncationCount() {
        long g = truncations;
        while ((g & 1) != 0) {
            Thread.onSpinWait();
            g = truncations;
        }
        return g;
    }

    /** What opening this log had to recover. */
    public RecoveryResult recoveryResult() {
        return recovery;
    }

    /**
     * The first batch whose max timestamp is {@code >= timestampMs}: its base offset and max
     * timestamp. Batch granularity: the log does not decode records, so the offset may belong to
     * an earlier record of that batch whose own timestamp is below the target; clients skip
     * those (Kafka's consumer does the same with compressed batches). Empty when no batch
     * qualifies. The segment is found by binary search over the running max of the segments' max
     * timestamps (cached per segment once read), then the time index and a header scan.
     */
    public Optional<TimestampOffset> offsetForTimestamp(long timestampMs) {
        for (;;) {
            long generation = truncationCount();
            try {
                Optional<TimestampOffset> found = offsetForTimestampOnce(timestampMs, generation);
                if (truncations == generation) {
                    return found;
                }
            } catch (RuntimeException e) {
                if (truncations == generation) {
                    throw e; // not a race with a truncation (one that raced reads again against the new end)
                }
            }
        }
    }

    private Optional<TimestampOffset> offsetForTimestampOnce(long timestampMs, long generation) {
        LogEnd e = end;
        TimeDirectory d = timeDirectory(generation);
        for (int i = d.firstReaching(timestampMs); i < d.sealed().length; i++) {
            Segment s = d.sealed()[i];
            Optional<TimestampOffset> found = findInSegment(s, timestampMs, s.size(), generation);
            if (found.isPresent()) {
                return found;
            }
        }
        for (Segment s : segmentsAfter(d, e)) {
            int limit = s == e.segment() ? e.position() : s.size();
            if (maxTimestampOf(s, generation).timestamp() >= timestampMs) {
                Optional<TimestampOffset> found = findInSegment(s, timestampMs, limit, generation);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    /** The batch with the largest max timestamp (the first one if several): its max timestamp and base offset. */
    public Optional<TimestampOffset> maxTimestampOffset() {
        for (;;) {
            long generation = truncationCount();
            try {
                Optional<TimestampOffset> found = maxTimestampOffsetOnce(generation);
                if (truncations == generation) {
                    return found;
                }
            } catch (RuntimeException e) {
                if (truncations == generation) {
                    throw e; // not a race with a truncation (one that raced reads again against the new end)
                }
            }
        }
    }

    private Optional<TimestampOffset> maxTimestampOffsetOnce(long generation) {
        LogEnd e = end;
        TimeDirectory d = timeDirectory(generation);
        TimestampOffset best = Segment.NO_MAX;
        int n = d.sealed().length;
        if (n > 0 && d.runningMax()[n - 1] >= 0) {
            best = maxTimestampOf(d.sealed()[d.firstReaching(d.runningMax()[n - 1])], generation);
        }
        for (Segment s : segmentsAfter(d, e)) {
            TimestampOffset m = maxTimestampOf(s, generation);
            if (m.timestamp() > best.timestamp() && m.offset() < e.offset()) {
                best = m;
            }
        }
        return best.timestamp() >= 0 ? Optional.of(best) : Optional.empty();
    }

    private Optional<TimestampOffset> findInSegment(Segment s, long timestampMs, int limit, long generation) {
        if (s.isDeleted()) {
            return Optional.empty();
        }
        try {
            return s.findByTimestamp(timestampMs, limit);
        } catch (IOException ex) {
            if (s.isDeleted()) {
                return Optional.empty();
            }
            throw readFailure(s, -1, ex, generation);
        }
    }

    private TimestampOffset maxTimestampOf(Segment s, long generation) {
        try {
            return s.maxTimestamp();
        } catch (IOException ex) {
            if (s.isDeleted()) {
                return Segment.NO_MAX;
            }
            throw readFailure(s, -1, ex, generation);
        }
    }

    /** Segments newer than the directory's, up to the published end's segment. */
    private List<Segment> segmentsAfter(TimeDirectory d, LogEnd e) {
        long after = d.sealed().length == 0 ? Long.MIN_VALUE : d.sealed()[d.sealed().length - 1].baseOffset();
        return List.copyOf(segments.subMap(after, false, e.segment().baseOffset(), true).values());
    }

    private TimeDirectory timeDirectory(long generation) {
        TimeDirectory d = timeDirectory;
        long version = segmentsVersion;
        if (d != null && d.version() == version) {
            return d;
        }
        LogEnd e = end;
        List<Segment> sealed = new ArrayList<>(segments.headMap(e.segment().baseOffset(), false).values());
        sealed.removeIf(Segment::isDeleted);
        long[] running = new long[sealed.size()];
        long max = Long.MIN_VALUE;
        for (int i = 0; i < running.length; i++) {
            max = Math.max(max, maxTimestampOf(sealed.get(i), generation).timestamp());
            running[i] = max;
        }
        d = new TimeDirectory(version, sealed.toArray(new Segment[0]), running);
        if (segmentsVersion == version) {
            timeDirectory = d;
        }
        return d;
    }

    /** Applies new settings; {@code index.interval.bytes} applies to entries added from now on. */
    public void updateConfig(LogConfig newConfig) {
        lock.lock();
        try {
            config = newConfig;
            for (Segment s : segments.values()) {
                s.setIndexIntervalBytes(newConfig.indexIntervalBytes());
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Deletes whole segments by retention, oldest first: by time, segments whose max timestamp
     * (or file time when no batch has one) is more than {@code retention.ms} old, stopping at the
     * first younger one; if that takes in the non-empty active segment, it is rolled first (as
     * Kafka does). Then by size, oldest sealed segments while the log stays at or above
     * {@code retention.bytes} without them. Never deletes the active segment. Either way only
     * segments whose records are all below the high watermark (committed) go. Deleted segments
     * leave the map at once and their files are renamed {@code .deleted}; the files are closed and
     * removed after {@code file.delete.delay.ms}, so reads in flight finish. Advances the log
     * start offset.
     *
     * @return the number of segments deleted
     */
    public int deleteOldSegments() {
        lock.lock();
        try {
            if (closed || failure != null) {
                return 0;
            }
            return io(this::deleteOldSegmentsLocked);
        } finally {
            lock.unlock();
        }
    }

    private int deleteOldSegmentsLocked() throws IOException {
        LogConfig c = config;
        long now = clock.millis();
        long hw = highWatermark;
        List<Segment> doomed = new ArrayList<>();
        if (c.retentionMs() >= 0) {
            for (Segment s : segments.values()) {
                if (s.size() == 0 || now - s.retentionTimestamp() <= c.retentionMs() || !committed(s, hw)) {
                    break;
                }
                doomed.add(s);
            }
            if (!doomed.isEmpty() && doomed.getLast() == active) {
                roll();
            }
        }
        if (c.retentionBytes() >= 0) {
            long excess = sizeInBytes() - c.retentionBytes();
            for (Segment s : doomed) {
                excess -= s.size();
            }
            long after = doomed.isEmpty() ? Long.MIN_VALUE : doomed.getLast().baseOffset();
            for (Segment s : segments.tailMap(after, false).values()) {
                if (s == active || excess - s.size() < 0 || !committed(s, hw)) {
                    break;
                }
                excess -= s.size();
                doomed.add(s);
            }
        }
        if (!doomed.isEmpty()) {
            deleteSegments(doomed);
        }
        return doomed.size();
    }

    /**
     * Whether every record of {@code s} is below the high watermark {@code hw}: only such a
     * segment may go by retention (Kafka's rule). A record at or above it may not be on the other
     * replicas yet; deleting it would drop a write before it was committed, and moving the log
     * start past it would raise the high watermark over records no follower has.
     */
    private boolean committed(Segment s, long hw) {
        Map.Entry<Long, Segment> next = segments.higherEntry(s.baseOffset());
        long end = next != null ? next.getKey() : nextOffset;
        return end <= hw;
    }

    private void deleteSegments(List<Segment> doomed) throws IOException {
        for (Segment s : doomed) {
            segments.remove(s.baseOffset());
        }
        logStartOffset = segments.firstKey();
        segmentsVersion++;
        timeDirectory = null;
        advanceRecoveryPoint(logStartOffset, truncations);
        synchronized (offsetsGuard) {
            highWatermark = Math.max(highWatermark, logStartOffset);
        }
        epochs.truncateFromStart(logStartOffset);
        producerSnapshots.deleteBelow(logStartOffset);
        scheduleDeletion(doomed);
        LOG.log(System.Logger.Level.INFO, "{0}: deleted {1} segments by retention; log start offset now {2}",
                topicPartition, doomed.size(), logStartOffset);
    }

    /**
     * Writer, for segments just removed from the map: renames their files {@code .deleted} and
     * closes and deletes them after {@code file.delete.delay.ms}, so reads in flight finish.
     */
    private void scheduleDeletion(List<Segment> doomed) throws IOException {
        long delayMs = config.fileDeleteDelayMs();
        for (Segment s : doomed) {
            s.markDeleted();
            pendingDeletes.add(s);
            try {
                scheduler.schedule(() -> deleteFiles(s), delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                deleteFiles(s);
            }
        }
    }

    private void deleteFiles(Segment s) {
        if (!pendingDeletes.remove(s)) {
            return;
        }
        try {
            s.closeAndDeleteFiles();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not delete the files of {0}: {1}", s, e.getMessage());
        }
    }

    /**
     * Drops the producers idle longer than {@code producer.id.expiration.ms} (the scheduler calls
     * it every few minutes); returns how many.
     */
    public int removeExpiredProducers() {
        lock.lock();
        try {
            return closed ? 0 : producers.removeExpired();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Clean shutdown: fsyncs everything, sets the recovery point to the log end, writes the
     * producer-state snapshot there (so the next open reads no batch), closes the files.
     */
    @Override
    public void close() {
        close(true);
    }

    /** Closes without flushing: the directory is about to be deleted. */
    void closeForDeletion() {
        close(false);
    }

    private void close(boolean flush) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            try {
                if (flush && failure == null) {
                    active.writeActiveIndexes(true);
                    forceAll(segmentsFromRecoveryPoint().values(), truncations);
                    AtomicFiles.fsyncDirectory(dir);
                    advanceRecoveryPoint(nextOffset, truncations);
                    producerSnapshots.write(nextOffset, producers.entries());
                }
            } catch (IOException e) {
                throw fail(e);
            } finally {
                closed = true;
                for (Segment s : segments.values()) {
                    closeQuietly(s);
                }
                for (Segment s : List.copyOf(pendingDeletes)) {
                    deleteFiles(s);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Package-private: the partition.metadata file was (re)written with this id. */
    void setTopicId(String id) {
        this.topicId = id;
    }

    private void ensureWritable() {
        if (closed) {
            throw new LogStorageException("log " + topicPartition + " is closed");
        }
        LogStorageException f = failure;
        if (f != null) {
            throw new LogStorageException("log " + topicPartition + " failed earlier and takes no writes until"
                    + " restarted", f);
        }
    }

    /** The one place where I/O errors of this log become {@link LogStorageException}s. */
    private <T> T io(IoAction<T> action) {
        try {
            return action.run();
        } catch (IOException | UncheckedIOException e) {
            throw fail(e);
        }
    }

    /**
     * A reader's I/O error: a retry when a truncation came since the read took {@code generation}
     * (it cut the bytes being read), out of range for a segment that retention deleted, else a
     * failure of the log.
     */
    private RuntimeException readFailure(Segment s, long offset, IOException e, long generation) {
        if (truncations != generation) {
            return TRUNCATED_WHILE_READING;
        }
        if (s.isDeleted() && offset >= 0) {
            return outOfRange(offset, logStartOffset, end.offset());
        }
        if (closed || e instanceof ClosedChannelException) {
            LogStorageException ex = new LogStorageException("log " + topicPartition + " is closed", e);
            return closed ? ex : fail(e);
        }
        return fail(e);
    }

    private LogStorageException fail(Exception cause) {
        LogStorageException ex = new LogStorageException("I/O error on log " + topicPartition + " in " + dir + ": "
                + cause.getMessage(), cause);
        synchronized (this) {
            if (failure == null) {
                failure = ex;
                LOG.log(System.Logger.Level.ERROR, "log " + topicPartition + " failed; it takes no more writes", cause);
            }
        }
        return ex;
    }

    private OffsetOutOfRangeException outOfRange(long offset, long start, long endOffset) {
        return new OffsetOutOfRangeException(topicPartition.toString(), offset, start, endOffset);
    }

    private static void closeQuietly(Segment s) {
        try {
            s.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing {0}: {1}", s, e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "PartitionLog(" + topicPartition + ", " + dir + ")";
    }
}
