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
import java.util.function.Consumer;

/**
 * The log of one partition: a directory {@code <topic>-<partition>} of {@link Segment}s, a
 * {@code leader-epoch-checkpoint} ({@link LeaderEpochCache}), a {@code partition.metadata}
 * ({@link PartitionMetadataFile}) and producer-state snapshots ({@link ProducerSnapshots}) of its
 * {@link ProducerStateTable}, which every append is checked against. Opened by {@link LogManager}.
 * See {@code DESIGN.md} next to this class for the invariants.
 *
 * <p>Concurrency. One writer at a time: {@link #append}, rolls, {@link #deleteOldSegments},
 * {@link #updateConfig} and {@link #close} serialize on a lock. Readers ({@link #read},
 * {@link #offsetForTimestamp}, the accessors) never take it: they read a volatile snapshot of the
 * log end (offset, segment, byte position) published after each append, find segments in a
 * concurrent skip-list map and use positional reads, so they never block appends nor see a
 * half-written batch. fsyncs run outside the lock, except those asked for by
 * {@code flush.messages}, which run inside the append.
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

    private final TopicPartition topicPartition;
    private final Path dir;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final Consumer<PartitionLog> onRecoveryPointAdvanced;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private final Set<Segment> pendingDeletes = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
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
                         Consumer<PartitionLog> onRecoveryPointAdvanced) {
        this.dir = dir;
        this.producers = producers;
        this.producerSnapshots = new ProducerSnapshots(dir);
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.config = config;
        this.clock = clock;
        this.scheduler = scheduler;
        this.epochs = epochs;
        this.onRecoveryPointAdvanced = onRecoveryPointAdvanced;
    }

    /**
     * Opens (creating if needed) the log in {@code dir} and recovers what lies past
     * {@code recoveryPoint}: segments below the one containing it are trusted and not read;
     * from there on batches are checked and a torn or corrupt tail is cut (see
     * {@link Segment#recover}). Leftover {@code .deleted}, {@code .tmp} and orphan index files are
     * removed. Then the producer state is loaded from the newest snapshot at or below the log end
     * and the batches after it.
     *
     * @param producers               the partition's (empty) producer state, filled here
     * @param onRecoveryPointAdvanced called after the recovery point advanced (a rolled segment was
     *                                fsynced in the background, or a flush), so that the
     *                                checkpoint gets rewritten
     */
    static PartitionLog open(Path dir, TopicPartition topicPartition, String topicId, LogConfig config,
                             long recoveryPoint, Clock clock, ScheduledExecutorService scheduler,
                             ProducerStateTable producers, Consumer<PartitionLog> onRecoveryPointAdvanced)
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
                onRecoveryPointAdvanced);
        try {
            log.load(bases, recoveryPoint);
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
            long firstTimestamp = active.firstBatchMaxTimestamp();
            active.setRollBaseMs(firstTimestamp >= 0 ? Math.min(firstTimestamp, now) : now);
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

    /**
     * Rebuilds the producer state as of the log end: the newest snapshot at or below it, then the
     * headers of the batches after it. A roll or a clean close leaves a snapshot, so this reads at
     * most the tail since the last one; without a usable snapshot, the whole log (headers only).
     */
    private void loadProducerState() throws IOException {
        producerSnapshots.deleteBelow(logStartOffset);
        Optional<ProducerSnapshots.Loaded> snapshot = producerSnapshots.loadLatest(nextOffset);
        long from = logStartOffset;
        if (snapshot.isPresent()) {
            producers.load(snapshot.get().entries());
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
            Optional<List<SequencedBatch>> originals = producers.check(buf, start, limit);
            if (originals.isPresent()) {
                validatedBatches.position(limit);
                return LogAppendInfo.duplicateOf(originals.get(), logStartOffset);
            }
            long first = nextOffset;
            long last = first + offsets - 1;
            int bytes = limit - start;
            io(() -> {
                maybeRoll(c, bytes, last);
                active.append(buf, first, leaderEpoch, clock.millis());
                epochs.assign(leaderEpoch, first);
                return null;
            });
            producers.onAppended(buf, start, limit);
            nextOffset = last + 1;
            end = new LogEnd(nextOffset, active, active.size());
            validatedBatches.position(limit);
            unflushedMessages += offsets;
            if (unflushedMessages >= c.flushMessages()) {
                flush();
            }
            return new LogAppendInfo(first, last, maxTimestamp, batches, logStartOffset, false);
        } finally {
            lock.unlock();
        }
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
        try {
            scheduler.execute(() -> flushRolled(base, producerState));
        } catch (RejectedExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, "scheduler stopped; roll of {0} at {1} not flushed in the background",
                    topicPartition, base);
        }
    }

    /**
     * Scheduler thread: writes the producer snapshot taken at the roll, fsyncs the segments below
     * {@code newActiveBase}, then advances the recovery point there.
     */
    private void flushRolled(long newActiveBase, List<ProducerStateEntry> producerState) {
        if (closed || failure != null) {
            return;
        }
        try {
            producerSnapshots.write(newActiveBase, producerState);
            forceAll(segmentsFromRecoveryPoint().headMap(newActiveBase, false).values());
            AtomicFiles.fsyncDirectory(dir);
        } catch (IOException e) {
            if (!closed) {
                fail(e);
            }
            return;
        }
        advanceRecoveryPoint(newActiveBase);
        onRecoveryPointAdvanced.accept(this);
    }

    /**
     * Fsyncs everything up to the log end (log and index files) and advances the recovery point
     * there; the checkpoint file is rewritten in the background.
     */
    public void flush() {
        long target;
        List<Segment> toSync;
        lock.lock();
        try {
            ensureWritable();
            target = nextOffset;
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
            forceAll(toSync);
            return null;
        });
        advanceRecoveryPoint(target);
        onRecoveryPointAdvanced.accept(this);
    }

    /** Scheduler thread: flushes when {@code flush.ms} passed since the last flush and something is unflushed. */
    void flushIfDue(long nowMs) {
        long flushMs = config.flushMs();
        if (flushMs != Long.MAX_VALUE && !closed && failure == null && end.offset() > recoveryPoint.get()
                && nowMs - lastFlushMs >= flushMs) {
            flush();
        }
    }

    private void forceAll(Iterable<Segment> toSync) throws IOException {
        for (Segment s : toSync) {
            try {
                s.force();
            } catch (IOException e) {
                if (!s.isDeleted()) {
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

    private void advanceRecoveryPoint(long offset) {
        recoveryPoint.accumulateAndGet(offset, Math::max);
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
        LogEnd e = end;
        long start = logStartOffset;
        if (offset < start || offset > e.offset()) {
            throw outOfRange(offset, start, e.offset());
        }
        if (offset == e.offset()) {
            return new LogReadResult(ByteBuffer.allocate(0), offset, start, e.offset());
        }
        Map.Entry<Long, Segment> entry = segments.floorEntry(offset);
        while (entry != null) {
            Segment s = entry.getValue();
            int limit = s == e.segment() ? e.position() : s.size();
            try {
                int position = s.locate(offset, limit);
                if (position >= 0) {
                    Segment.Chunk chunk = s.read(position, limit, maxBytes, buffers);
                    return new LogReadResult(chunk.batches(), chunk.nextOffset(), start, e.offset());
                }
            } catch (IOException ex) {
                throw readFailure(s, offset, ex);
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

    /** The latest leader epoch that appended, or -1. */
    public int latestEpoch() {
        return epochs.latestEpoch();
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
        LogEnd e = end;
        TimeDirectory d = timeDirectory();
        for (int i = d.firstReaching(timestampMs); i < d.sealed().length; i++) {
            Segment s = d.sealed()[i];
            Optional<TimestampOffset> found = findInSegment(s, timestampMs, s.size());
            if (found.isPresent()) {
                return found;
            }
        }
        for (Segment s : segmentsAfter(d, e)) {
            int limit = s == e.segment() ? e.position() : s.size();
            if (maxTimestampOf(s).timestamp() >= timestampMs) {
                Optional<TimestampOffset> found = findInSegment(s, timestampMs, limit);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    /** The batch with the largest max timestamp (the first one if several): its max timestamp and base offset. */
    public Optional<TimestampOffset> maxTimestampOffset() {
        LogEnd e = end;
        TimeDirectory d = timeDirectory();
        TimestampOffset best = Segment.NO_MAX;
        int n = d.sealed().length;
        if (n > 0 && d.runningMax()[n - 1] >= 0) {
            best = maxTimestampOf(d.sealed()[d.firstReaching(d.runningMax()[n - 1])]);
        }
        for (Segment s : segmentsAfter(d, e)) {
            TimestampOffset m = maxTimestampOf(s);
            if (m.timestamp() > best.timestamp() && m.offset() < e.offset()) {
                best = m;
            }
        }
        return best.timestamp() >= 0 ? Optional.of(best) : Optional.empty();
    }

    private Optional<TimestampOffset> findInSegment(Segment s, long timestampMs, int limit) {
        if (s.isDeleted()) {
            return Optional.empty();
        }
        try {
            return s.findByTimestamp(timestampMs, limit);
        } catch (IOException ex) {
            if (s.isDeleted()) {
                return Optional.empty();
            }
            throw readFailure(s, -1, ex);
        }
    }

    private TimestampOffset maxTimestampOf(Segment s) {
        try {
            return s.maxTimestamp();
        } catch (IOException ex) {
            if (s.isDeleted()) {
                return Segment.NO_MAX;
            }
            throw readFailure(s, -1, ex);
        }
    }

    /** Segments newer than the directory's, up to the published end's segment. */
    private List<Segment> segmentsAfter(TimeDirectory d, LogEnd e) {
        long after = d.sealed().length == 0 ? Long.MIN_VALUE : d.sealed()[d.sealed().length - 1].baseOffset();
        return List.copyOf(segments.subMap(after, false, e.segment().baseOffset(), true).values());
    }

    private TimeDirectory timeDirectory() {
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
            max = Math.max(max, maxTimestampOf(sealed.get(i)).timestamp());
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
     * {@code retention.bytes} without them. Never deletes the active segment. Deleted segments
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
        List<Segment> doomed = new ArrayList<>();
        if (c.retentionMs() >= 0) {
            for (Segment s : segments.values()) {
                if (s.size() == 0 || now - s.retentionTimestamp() <= c.retentionMs()) {
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
                if (s == active || excess - s.size() < 0) {
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

    private void deleteSegments(List<Segment> doomed) throws IOException {
        for (Segment s : doomed) {
            segments.remove(s.baseOffset());
        }
        logStartOffset = segments.firstKey();
        segmentsVersion++;
        timeDirectory = null;
        advanceRecoveryPoint(logStartOffset);
        epochs.truncateFromStart(logStartOffset);
        producerSnapshots.deleteBelow(logStartOffset);
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
        LOG.log(System.Logger.Level.INFO, "{0}: deleted {1} segments by retention; log start offset now {2}",
                topicPartition, doomed.size(), logStartOffset);
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
                    forceAll(segmentsFromRecoveryPoint().values());
                    AtomicFiles.fsyncDirectory(dir);
                    advanceRecoveryPoint(nextOffset);
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

    private RuntimeException readFailure(Segment s, long offset, IOException e) {
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
