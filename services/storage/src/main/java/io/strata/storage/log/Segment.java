package io.strata.storage.log;

import io.strata.records.RecordBatch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.IntFunction;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One segment of a partition log. Owns exactly three files, named by {@link #file}:
 * {@code <base>.log} (batches exactly as appended, no file header: each batch carries its magic,
 * see {@link RecordBatch}), {@code <base>.index} ({@link OffsetIndex}) and
 * {@code <base>.timeindex} ({@link TimeIndex}), where {@code <base>} is the base offset
 * zero-padded to 20 digits. Opened through {@link #create} and {@link #open}.
 *
 * <p>Threads. Not thread-safe for writing: the partition's writer (holding
 * {@link PartitionLog}'s write lock) alone calls {@link #append}, {@link #appendStamped},
 * {@link #seal}, {@link #recover}, {@link #truncateTo}, {@link #writeActiveIndexes},
 * {@link #markDeleted} and {@link #close}. Any thread
 * may call the read side ({@link #locate}, {@link #read}, {@link #findByTimestamp},
 * {@link #maxTimestamp}, {@link #force}): positional reads of the log, bounded by a size the caller
 * got from the log's published end, so readers never see a half-written batch.
 *
 * <p>Indexes. The active segment keeps its indexes in memory (the file gets the new entries on
 * flush, roll and close). Once sealed, the index files are memory-mapped on first use, so opening
 * a log reads none of its sealed segments; a missing or invalid index file is rebuilt then from
 * the log's batch headers.
 */
final class Segment {

    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final String TIME_INDEX_SUFFIX = ".timeindex";
    /** Appended to the three file names when the segment is deleted; the files go after a delay. */
    static final String DELETED_SUFFIX = ".deleted";
    static final long NO_TIMESTAMP = -1L;
    static final TimestampOffset NO_MAX = new TimestampOffset(NO_TIMESTAMP, -1L);

    private static final System.Logger LOG = System.getLogger(Segment.class.getName());
    /**
     * Bytes read at a time while walking headers for a lookup: the default index interval, so a
     * walk from an index entry usually needs one read, and a walk over large batches (one header
     * per read) copies little.
     */
    private static final int SCAN_WINDOW = 4 * 1024;
    private static final int RECOVERY_WINDOW = 1 << 20;

    private record Indexes(OffsetIndex offsets, TimeIndex times) {
    }

    /**
     * Adds index entries while batches are walked in order: an offset-index entry for the first
     * batch after more than {@code interval} bytes since the previous entry, and with it a
     * time-index entry when the running max timestamp grew. Confined to one thread.
     */
    private static final class Indexer {
        private final Indexes indexes;
        private int interval;
        private long bytesSinceEntry;
        private TimestampOffset max;

        Indexer(Indexes indexes, int interval, TimestampOffset max) {
            this.indexes = indexes;
            this.interval = interval;
            this.max = max;
        }

        void add(long batchBase, long batchMaxTimestamp, int position, int batchSize) {
            if (batchMaxTimestamp > max.timestamp()) {
                max = new TimestampOffset(batchMaxTimestamp, batchBase);
            }
            if (bytesSinceEntry > interval) {
                indexes.offsets().append(batchBase, position);
                indexes.times().maybeAppend(max);
                bytesSinceEntry = 0;
            }
            bytesSinceEntry += batchSize;
        }
    }

    /** Receives the leader epoch of each batch recovery walks. */
    @FunctionalInterface
    interface EpochSink {
        void accept(int epoch, long baseOffset) throws IOException;
    }

    private static final EpochSink NO_EPOCHS = (epoch, baseOffset) -> { };

    /** Receives batch headers during a walk: the header starts at index {@code at} of {@code buffer}. */
    @FunctionalInterface
    interface HeaderVisitor {
        void visit(ByteBuffer buffer, int at);
    }

    /** What {@link #recover} found. */
    record Recovered(long nextOffset, long validatedBytes, long truncatedBytes) {
    }

    /** A read: whole batches at position 0 of a heap buffer and the offset after the last one. */
    record Chunk(ByteBuffer batches, long nextOffset) {
    }

    private final Path dir;
    private final long baseOffset;
    private final FileChannel log;
    private final Object indexLock = new Object();
    private volatile int size;
    private volatile boolean dirty;
    private volatile boolean indexFilesSynced;
    private volatile boolean deleted;
    private volatile int indexIntervalBytes;
    /** In memory while active; null for a sealed segment until first use, then mapped. */
    private volatile Indexes indexes;
    /** Largest batch max timestamp and its batch; null for a sealed segment until first use. */
    private volatile TimestampOffset max;

    // Writer-only state of the active segment.
    private Indexer indexer;
    private long nextOffset;
    private long rollBaseMs = -1;

    private Segment(Path dir, long baseOffset, FileChannel log, int size, int indexIntervalBytes) {
        this.dir = dir;
        this.baseOffset = baseOffset;
        this.log = log;
        this.size = size;
        this.indexIntervalBytes = indexIntervalBytes;
        this.nextOffset = baseOffset;
    }

    /** The path of one of a segment's files: {@code <dir>/<20-digit base offset><suffix>}. */
    static Path file(Path dir, long baseOffset, String suffix) {
        return dir.resolve(String.format("%020d", baseOffset) + suffix);
    }

    /** The base offset of a file named by {@link #file} with {@code suffix}; empty otherwise. */
    static OptionalLong parseBaseOffset(String fileName, String suffix) {
        if (fileName.length() != 20 + suffix.length() || !fileName.endsWith(suffix)) {
            return OptionalLong.empty();
        }
        String digits = fileName.substring(0, 20);
        for (int i = 0; i < 20; i++) {
            if (!Character.isDigit(digits.charAt(i))) {
                return OptionalLong.empty();
            }
        }
        try {
            return OptionalLong.of(Long.parseLong(digits));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Creates an empty active segment, replacing any leftover files of the same name. */
    static Segment create(Path dir, long baseOffset, int indexIntervalBytes, long nowMs) throws IOException {
        FileChannel ch = FileChannel.open(file(dir, baseOffset, LOG_SUFFIX), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        Segment s = new Segment(dir, baseOffset, ch, 0, indexIntervalBytes);
        try {
            s.indexes = new Indexes(OffsetIndex.inMemory(baseOffset), TimeIndex.inMemory(baseOffset));
            s.max = NO_MAX;
            s.indexer = new Indexer(s.indexes, indexIntervalBytes, NO_MAX);
            s.rollBaseMs = nowMs;
            s.writeActiveIndexes(false);
            return s;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Opens an existing segment as sealed, reading nothing: its indexes are mapped on first use.
     * {@link #recover} turns it into an active segment.
     */
    static Segment open(Path dir, long baseOffset, int indexIntervalBytes) throws IOException {
        FileChannel ch = FileChannel.open(file(dir, baseOffset, LOG_SUFFIX), StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        long size = ch.size();
        if (size > Integer.MAX_VALUE) {
            ch.close();
            throw new IOException("segment larger than 2 GiB: " + file(dir, baseOffset, LOG_SUFFIX));
        }
        Segment s = new Segment(dir, baseOffset, ch, (int) size, indexIntervalBytes);
        s.indexFilesSynced = true;
        return s;
    }

    long baseOffset() {
        return baseOffset;
    }

    /** Bytes in the log file (for the active segment: as written, which may be ahead of what is visible). */
    int size() {
        return size;
    }

    boolean isDeleted() {
        return deleted;
    }

    /** Writer only: the offset after the last batch of the active segment. */
    long nextOffset() {
        return nextOffset;
    }

    /** Writer only: when the active segment's time toward {@code segment.ms} started. */
    long rollBaseMs() {
        return rollBaseMs;
    }

    /** Writer only. */
    void setIndexIntervalBytes(int bytes) {
        this.indexIntervalBytes = bytes;
        if (indexer != null) {
            indexer.interval = bytes;
        }
    }

    /**
     * Appends batches that the caller validated: stamps base offsets from {@code firstOffset} and
     * the leader epoch, writes {@code batches} (position to limit) with one positional write, and
     * updates the in-memory indexes. The caller has checked that the batches fit.
     */
    void append(ByteBuffer batches, long firstOffset, int leaderEpoch, long nowMs) throws IOException {
        long offset = firstOffset;
        for (int p = batches.position(); p < batches.limit(); p += RecordBatch.sizeInBytes(batches, p)) {
            RecordBatch.setBaseOffset(batches, p, offset);
            RecordBatch.setPartitionLeaderEpoch(batches, p, leaderEpoch);
            offset += RecordBatch.lastOffsetDelta(batches, p) + 1L;
        }
        appendStamped(batches, nowMs);
    }

    /**
     * Appends batches that already carry their base offsets and leader epochs (a follower's copy
     * of the leader's, or batches {@link #append} stamped): one positional write of
     * {@code batches} (position to limit), then the in-memory indexes. The caller has checked that
     * they fit and follow on from {@link #nextOffset()}.
     */
    void appendStamped(ByteBuffer batches, long nowMs) throws IOException {
        int start = batches.position();
        int end = batches.limit();
        long offset = nextOffset;
        int filePosition = size;
        SparseIndex.writeFully(log, batches, filePosition);
        dirty = true;
        if (filePosition == 0) {
            rollBaseMs = nowMs;
        }
        Indexer x = indexer;
        for (int p = start; p < end; ) {
            int batchSize = RecordBatch.sizeInBytes(batches, p);
            x.add(RecordBatch.baseOffset(batches, p), RecordBatch.maxTimestamp(batches, p),
                    filePosition + (p - start), batchSize);
            offset = RecordBatch.nextOffset(batches, p);
            p += batchSize;
        }
        max = x.max;
        nextOffset = offset;
        size = filePosition + (end - start);
    }

    /** Writer only: writes the active segment's new index entries to its index files. */
    void writeActiveIndexes(boolean fsync) throws IOException {
        Indexes ix = indexes;
        ix.offsets().writeTo(file(INDEX_SUFFIX), fsync);
        ix.times().writeTo(file(TIME_INDEX_SUFFIX), fsync);
    }

    /**
     * Writer only: the segment takes no more appends. Adds the final time-index entry (the
     * segment's max timestamp), writes both index files (not fsynced: {@link #force} does that)
     * and drops the in-memory indexes; later lookups map the files.
     */
    void seal() throws IOException {
        Indexes ix = indexes;
        ix.times().maybeAppend(max);
        ix.offsets().writeTo(file(INDEX_SUFFIX), false);
        ix.times().writeTo(file(TIME_INDEX_SUFFIX), false);
        indexFilesSynced = false;
        indexer = null;
        indexes = null;
    }

    /**
     * Fsyncs what was written to this segment's log (if anything since the last call) and, for a
     * sealed segment, its index files. Any thread.
     */
    void force() throws IOException {
        if (deleted) {
            return;
        }
        if (dirty) {
            dirty = false;
            log.force(true);
        }
        if (!indexFilesSynced && indexes == null) {
            for (String suffix : new String[] {INDEX_SUFFIX, TIME_INDEX_SUFFIX}) {
                try (FileChannel ch = FileChannel.open(file(suffix), StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
            indexFilesSynced = true;
        }
    }

    /**
     * Position of the batch that contains {@code offset}, looked up in the offset index and found
     * by scanning batch headers below {@code limit}; -1 when no batch below {@code limit} has it.
     */
    int locate(long offset, int limit) throws IOException {
        OffsetPosition batch = findBatch(offset, limit);
        return batch == null ? -1 : batch.position();
    }

    /**
     * The batch below {@code limit} that contains {@code offset}: its base offset and position;
     * null when there is none. As {@link #locate}.
     */
    OffsetPosition findBatch(long offset, int limit) throws IOException {
        OffsetPosition start = indexes().offsets().lookup(offset);
        int pos = start.position() < limit ? start.position() : 0;
        LogScanner scanner = new LogScanner(log, limit, SCAN_WINDOW);
        while (pos < limit) {
            int at = scanner.fetch(pos, RecordBatch.HEADER_SIZE);
            if (at < 0) {
                return null;
            }
            ByteBuffer b = scanner.buffer();
            if (RecordBatch.lastOffset(b, at) >= offset) {
                return new OffsetPosition(RecordBatch.baseOffset(b, at), pos);
            }
            pos += RecordBatch.sizeInBytes(b, at);
        }
        return null;
    }

    /**
     * Visits the header of every batch below {@code limit}, in order, from the one that contains
     * {@code fromOffset} on (none when no batch below {@code limit} has it). Reads headers only.
     */
    void forEachBatchHeader(long fromOffset, int limit, HeaderVisitor visitor) throws IOException {
        int pos = locate(fromOffset, limit);
        if (pos < 0) {
            return;
        }
        LogScanner scanner = new LogScanner(log, limit, SCAN_WINDOW);
        while (pos < limit) {
            int at = scanner.fetch(pos, RecordBatch.HEADER_SIZE);
            if (at < 0) {
                return;
            }
            visitor.visit(scanner.buffer(), at);
            pos += RecordBatch.sizeInBytes(scanner.buffer(), at);
        }
    }

    /**
     * Reads whole batches from {@code position} (a batch start) up to {@code limit}: as many as fit
     * in {@code maxBytes}, and at least the first one whatever its size; after the first, only
     * batches whose base offset is below {@code maxOffset}. {@code buffers} supplies an empty
     * buffer of exactly the asked size (position 0, limit = size). A file shorter than
     * {@code limit} (a truncation raced the read) is an {@link IOException}.
     */
    Chunk read(int position, int limit, int maxBytes, IntFunction<ByteBuffer> buffers, long maxOffset)
            throws IOException {
        int available = limit - position;
        int want = Math.min(available, Math.max(maxBytes, RecordBatch.HEADER_SIZE));
        ByteBuffer buf = buffers.apply(want);
        if (SparseIndex.readFully(log, buf, position) < want) {
            throw new IOException("short read at " + position + " of " + file(LOG_SUFFIX));
        }
        int first = RecordBatch.sizeInBytes(buf, 0);
        if (first > want) {
            // Read the whole batch anew: a pooled supplier may hand out the very buffer just filled.
            ByteBuffer big = buffers.apply(first);
            if (SparseIndex.readFully(log, big, position) < first) {
                throw new IOException("short read at " + position + " of " + file(LOG_SUFFIX));
            }
            return new Chunk(big.flip(), RecordBatch.nextOffset(big, 0));
        }
        int p = 0;
        int last = 0;
        while (p + RecordBatch.LOG_OVERHEAD <= want && p + RecordBatch.sizeInBytes(buf, p) <= want
                && (p == 0 || RecordBatch.baseOffset(buf, p) < maxOffset)) {
            last = p;
            p += RecordBatch.sizeInBytes(buf, p);
        }
        long next = RecordBatch.nextOffset(buf, last);
        buf.position(0).limit(p);
        return new Chunk(buf, next);
    }

    /**
     * The first batch below {@code limit} whose max timestamp is {@code >= timestamp}: its max
     * timestamp and base offset. Starts the header scan after the last time-index entry below the
     * target (every batch up to that one is older).
     */
    Optional<TimestampOffset> findByTimestamp(long timestamp, int limit) throws IOException {
        Indexes ix = indexes();
        Optional<TimestampOffset> before = ix.times().lastBefore(timestamp);
        int pos = before.isPresent() ? ix.offsets().lookup(before.get().offset()).position() : 0;
        LogScanner scanner = new LogScanner(log, limit, SCAN_WINDOW);
        while (pos < limit) {
            int at = scanner.fetch(pos, RecordBatch.HEADER_SIZE);
            if (at < 0) {
                return Optional.empty();
            }
            ByteBuffer b = scanner.buffer();
            long batchMax = RecordBatch.maxTimestamp(b, at);
            if (batchMax >= timestamp) {
                return Optional.of(new TimestampOffset(batchMax, RecordBatch.baseOffset(b, at)));
            }
            pos += RecordBatch.sizeInBytes(b, at);
        }
        return Optional.empty();
    }

    /**
     * The largest batch max timestamp of the segment and the base offset of the first batch that
     * has it ({@link #NO_MAX} when no batch has a timestamp). For a sealed segment read once from
     * the last time-index entry (header and last entry only) and cached.
     */
    TimestampOffset maxTimestamp() throws IOException {
        TimestampOffset m = max;
        if (m != null) {
            return m;
        }
        synchronized (indexLock) {
            if (max == null) {
                Optional<TimestampOffset> last = TimeIndex.readLast(file(TIME_INDEX_SUFFIX), baseOffset)
                        .filter(e -> e.offset() >= baseOffset);
                max = last.isPresent() ? last.get() : indexes().times().last().orElse(NO_MAX);
            }
            return max;
        }
    }

    /** The segment's max timestamp, or its log file's modification time when no batch has one. */
    long retentionTimestamp() throws IOException {
        long ts = maxTimestamp().timestamp();
        return ts >= 0 ? ts : Files.getLastModifiedTime(file(LOG_SUFFIX)).toMillis();
    }

    /** The first batch's max timestamp, or -1 when the segment is empty. */
    long firstBatchMaxTimestamp() throws IOException {
        if (size < RecordBatch.HEADER_SIZE) {
            return NO_TIMESTAMP;
        }
        ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
        SparseIndex.readFully(log, header, 0);
        return RecordBatch.maxTimestamp(header, 0);
    }

    private Indexes indexes() throws IOException {
        Indexes ix = indexes;
        if (ix != null) {
            return ix;
        }
        synchronized (indexLock) {
            if (indexes != null) {
                return indexes;
            }
            if (deleted) {
                throw new IOException("segment " + file(LOG_SUFFIX) + " was deleted");
            }
            Optional<OffsetIndex> offsets = OffsetIndex.map(file(INDEX_SUFFIX), baseOffset, size);
            Optional<TimeIndex> times = TimeIndex.map(file(TIME_INDEX_SUFFIX), baseOffset);
            if (offsets.isPresent() && times.isPresent()) {
                indexes = new Indexes(offsets.get(), times.get());
            } else {
                indexes = rebuildSealedIndexes();
            }
            return indexes;
        }
    }

    /** Rebuilds a sealed segment's index files from its batch headers (no CRC: the data is trusted). */
    private Indexes rebuildSealedIndexes() throws IOException {
        Indexes ix = new Indexes(OffsetIndex.inMemory(baseOffset), TimeIndex.inMemory(baseOffset));
        int end = size;
        LogScanner scanner = new LogScanner(log, end, RECOVERY_WINDOW);
        Indexer x = new Indexer(ix, indexIntervalBytes, NO_MAX);
        int pos = 0;
        while (pos < end) {
            int at = scanner.fetch(pos, RecordBatch.HEADER_SIZE);
            ByteBuffer b = scanner.buffer();
            if (at < 0 || RecordBatch.magic(b, at) != RecordBatch.MAGIC
                    || RecordBatch.batchLength(b, at) < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD) {
                LOG.log(System.Logger.Level.ERROR, "sealed segment {0} has a malformed batch at {1}; indexed up to there",
                        file(LOG_SUFFIX), pos);
                break;
            }
            int batchSize = RecordBatch.sizeInBytes(b, at);
            x.add(RecordBatch.baseOffset(b, at), RecordBatch.maxTimestamp(b, at), pos, batchSize);
            pos += batchSize;
        }
        TimestampOffset m = x.max;
        ix.times().maybeAppend(m);
        ix.offsets().writeTo(file(INDEX_SUFFIX), false);
        ix.times().writeTo(file(TIME_INDEX_SUFFIX), false);
        indexFilesSynced = false;
        max = m;
        LOG.log(System.Logger.Level.INFO, "rebuilt the indexes of {0}", file(LOG_SUFFIX));
        return ix;
    }

    /**
     * Writer only, at log open: walks this segment's batches and makes it the active segment.
     * Batches that end at or below {@code trustedOffset} (fsynced before the crash) are skipped
     * by header from the last offset-index entry below it; every later batch is read whole and
     * checked: header sanity (length, magic), CRC, base offset contiguous with the previous batch.
     * At the first bad or torn batch the file is truncated there. The in-memory indexes are
     * rebuilt for the walked part and the index files rewritten to match.
     */
    Recovered recover(long trustedOffset, EpochSink epochs) throws IOException {
        return recover(trustedOffset, Long.MAX_VALUE, epochs);
    }

    /** {@link #recover}, stopping at the last batch boundary at or below {@code stopOffset} and cutting there. */
    private Recovered recover(long trustedOffset, long stopOffset, EpochSink epochs) throws IOException {
        if (trustedOffset > baseOffset) {
            Optional<OffsetIndex> offsets = OffsetIndex.load(file(INDEX_SUFFIX), baseOffset, size, trustedOffset);
            if (offsets.isPresent()) {
                OffsetPosition restart = offsets.get().last();
                Optional<TimeIndex> times = TimeIndex.load(file(TIME_INDEX_SUFFIX), baseOffset, restart.offset());
                if (times.isPresent()) {
                    Recovered r = walk(new Indexes(offsets.get(), times.get()), restart, trustedOffset, stopOffset,
                            epochs);
                    if (r != null) {
                        return r;
                    }
                    LOG.log(System.Logger.Level.WARNING, "index of {0} points at no batch; rebuilding it",
                            file(LOG_SUFFIX));
                }
            }
        }
        return walkFromStart(trustedOffset, stopOffset, epochs);
    }

    private Recovered walkFromStart(long trustedOffset, long stopOffset, EpochSink epochs) throws IOException {
        return walk(new Indexes(OffsetIndex.inMemory(baseOffset), TimeIndex.inMemory(baseOffset)),
                new OffsetPosition(baseOffset, 0), trustedOffset, stopOffset, epochs);
    }

    /**
     * Writer only: cuts the segment at the last batch boundary at or below {@code offset} (at or
     * above the base offset) and makes it the active segment, as recovery cuts a torn tail: the
     * same walk ({@link #walk}) skips by header from the last index entry below the cut, then the
     * log file is truncated there and fsynced, and the indexes and index files hold exactly the
     * entries below it. The caller has already hidden the bytes past the cut from readers.
     */
    Recovered truncateTo(long offset) throws IOException {
        Indexes current = indexes();
        OffsetIndex offsets = current.offsets().copyBelow(offset);
        Indexes kept = new Indexes(offsets, current.times().copyUpTo(offsets.last().offset()));
        synchronized (indexLock) {
            indexes = kept;
            max = kept.times().last().orElse(NO_MAX);
        }
        // A reader may still hold the old index files mapped, and touching a mapping past the end
        // of a file cut under it faults (SIGBUS): the files are replaced by new ones, never cut.
        Files.deleteIfExists(file(INDEX_SUFFIX));
        Files.deleteIfExists(file(TIME_INDEX_SUFFIX));
        Recovered r = walk(kept, offsets.last(), offset, offset, NO_EPOCHS);
        return r != null ? r : walkFromStart(offset, offset, NO_EPOCHS);
    }

    /**
     * The recovery walk, up to the end of the file or the last batch boundary at or below
     * {@code stopOffset}; null when the restart point taken from an index is not a batch.
     */
    private Recovered walk(Indexes ix, OffsetPosition restart, long trustedOffset, long stopOffset, EpochSink epochs)
            throws IOException {
        int fileSize = size;
        LogScanner scanner = new LogScanner(log, fileSize, RECOVERY_WINDOW);
        Indexer x = new Indexer(ix, indexIntervalBytes, ix.times().last().orElse(NO_MAX));
        long expected = restart.offset();
        int pos = restart.position();
        long validated = 0;
        String problem = null;
        while (pos < fileSize) {
            int at = scanner.fetch(pos, RecordBatch.HEADER_SIZE);
            if (at < 0) {
                problem = "torn batch header";
                break;
            }
            ByteBuffer b = scanner.buffer();
            int batchLength = RecordBatch.batchLength(b, at);
            int delta = RecordBatch.lastOffsetDelta(b, at);
            if (batchLength < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD
                    || batchLength > fileSize - pos - RecordBatch.LOG_OVERHEAD) {
                problem = batchLength < 0 || batchLength > fileSize ? "bad batch length " + batchLength : "torn batch";
            } else if (RecordBatch.magic(b, at) != RecordBatch.MAGIC) {
                problem = "bad magic " + RecordBatch.magic(b, at);
            } else if (RecordBatch.baseOffset(b, at) != expected) {
                problem = "base offset " + RecordBatch.baseOffset(b, at) + " where " + expected + " was expected";
            } else if (delta < 0 || expected + delta - baseOffset > Integer.MAX_VALUE) {
                problem = "bad last offset delta " + delta;
            }
            int batchSize = batchLength + RecordBatch.LOG_OVERHEAD;
            long next = expected + delta + 1;
            if (problem == null && next > stopOffset) {
                break;
            }
            if (problem == null && next > trustedOffset) {
                at = scanner.fetch(pos, batchSize);
                b = scanner.buffer();
                if (at < 0) {
                    problem = "torn batch";
                } else if (!RecordBatch.isCrcValid(b, at)) {
                    problem = "CRC mismatch";
                } else {
                    validated += batchSize;
                }
            }
            if (problem != null) {
                break;
            }
            epochs.accept(RecordBatch.partitionLeaderEpoch(b, at), expected);
            x.add(expected, RecordBatch.maxTimestamp(b, at), pos, batchSize);
            expected = next;
            pos += batchSize;
        }
        if (problem != null && pos == restart.position() && pos > 0) {
            return null;
        }
        long cut = fileSize - pos;
        if (cut > 0) {
            log.truncate(pos);
            log.force(true);
            if (problem != null) {
                LOG.log(System.Logger.Level.WARNING, "recovery of {0}: {1} at byte {2} (offset {3}); cut {4} bytes",
                        file(LOG_SUFFIX), problem, pos, expected, cut);
            }
        }
        size = pos;
        nextOffset = expected;
        max = x.max;
        indexes = ix;
        indexer = x;
        writeActiveIndexes(false);
        rollBaseMs = -1;
        return new Recovered(expected, validated, cut);
    }

    /** Writer only, after {@link #recover}: the clock of {@code segment.ms} restarts at the first batch. */
    void setRollBaseMs(long ms) {
        rollBaseMs = ms;
    }

    /**
     * Writer only, after the segment was removed from the log: renames its files with
     * {@link #DELETED_SUFFIX} (a restart deletes such files); open reads keep working until
     * {@link #closeAndDeleteFiles}.
     */
    void markDeleted() throws IOException {
        synchronized (indexLock) {
            for (String suffix : new String[] {LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX}) {
                Path from = file(dir, baseOffset, suffix);
                if (Files.exists(from)) {
                    Files.move(from, file(dir, baseOffset, suffix + DELETED_SUFFIX), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            deleted = true;
        }
    }

    /** Closes the log file and deletes the segment's files (renamed or not). */
    void closeAndDeleteFiles() throws IOException {
        log.close();
        for (String suffix : new String[] {LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX}) {
            Files.deleteIfExists(file(dir, baseOffset, suffix + (deleted ? DELETED_SUFFIX : "")));
        }
    }

    void close() throws IOException {
        log.close();
    }

    private Path file(String suffix) {
        return file(dir, baseOffset, suffix);
    }

    @Override
    public String toString() {
        return "Segment(" + file(LOG_SUFFIX) + ", size=" + size + ")";
    }
}
