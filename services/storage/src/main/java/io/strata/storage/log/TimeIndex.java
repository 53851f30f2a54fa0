package io.strata.storage.log;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code <base>.timeindex} file of a segment: a sparse map from the running maximum of batch
 * timestamps to the batch that first reached it. An entry {@code (T, o)} says: the largest
 * {@code maxTimestamp} of the batches up to and including the indexed point is {@code T}, first
 * reached by the batch with base offset {@code o}. Entries are added at the same points as
 * offset-index entries, when the running maximum grew, plus one final entry when the segment
 * rolls, so the last entry of a sealed segment is its maximum timestamp and where it is.
 *
 * <p>File format (big-endian; the header is described in {@link SparseIndex}):
 *
 * <pre>
 * offset   size  field
 *  0       4     magic        0x53545449 ("STTI")
 *  4       2     version      1
 *  6       2     key size     8
 *  8       8     base offset  the segment's base offset
 * 16+12i   8     timestamp        running max timestamp (epoch ms), strictly increasing
 * 24+12i   4     relative offset  base offset of the batch that reached it - segment base offset
 * </pre>
 *
 * An invalid file is rebuilt from the log.
 */
final class TimeIndex {

    static final SparseIndex.Format FORMAT = new SparseIndex.Format("time index", 0x53545449, 8, false, false);

    private final long baseOffset;
    private final SparseIndex index;

    private TimeIndex(long baseOffset, SparseIndex index) {
        this.baseOffset = baseOffset;
        this.index = index;
    }

    static TimeIndex inMemory(long baseOffset) {
        return new TimeIndex(baseOffset, SparseIndex.inMemory(FORMAT, baseOffset));
    }

    static Optional<TimeIndex> map(Path file, long baseOffset) throws IOException {
        return SparseIndex.map(FORMAT, file, baseOffset, Integer.MAX_VALUE).map(i -> new TimeIndex(baseOffset, i));
    }

    /** Loads the entries whose batch's base offset is at or below {@code lastOffset} into memory. */
    static Optional<TimeIndex> load(Path file, long baseOffset, long lastOffset) throws IOException {
        Optional<SparseIndex> all = SparseIndex.load(FORMAT, file, baseOffset, Integer.MAX_VALUE, Long.MAX_VALUE);
        if (all.isEmpty()) {
            return Optional.empty();
        }
        SparseIndex src = all.get();
        SparseIndex kept = SparseIndex.inMemory(FORMAT, baseOffset);
        int n = 0;
        while (n < src.count() && baseOffset + src.value(n) <= lastOffset) {
            kept.append(src.key(n), src.value(n));
            n++;
        }
        if (n == src.count()) {
            return Optional.of(new TimeIndex(baseOffset, src));
        }
        return Optional.of(new TimeIndex(baseOffset, kept));
    }

    /**
     * An in-memory copy of the entries, up to the first whose batch's base offset is past
     * {@code lastOffset} (as {@link #load}), in no file yet.
     */
    TimeIndex copyUpTo(long lastOffset) {
        int n = 0;
        while (n < index.count() && baseOffset + index.value(n) <= lastOffset) {
            n++;
        }
        return new TimeIndex(baseOffset, index.copyPrefix(n));
    }

    /** The last entry of a sealed segment's file, read without mapping it; empty when none or invalid. */
    static Optional<TimestampOffset> readLast(Path file, long baseOffset) throws IOException {
        return SparseIndex.readLastEntry(FORMAT, file, baseOffset)
                .map(e -> new TimestampOffset(e[0], baseOffset + e[1]));
    }

    /** The last entry whose timestamp is strictly below {@code timestamp}. */
    Optional<TimestampOffset> lastBefore(long timestamp) {
        int i = index.floor(timestamp, true);
        return i < 0 ? Optional.empty() : Optional.of(entry(i));
    }

    /** The last entry (the maximum so far). */
    Optional<TimestampOffset> last() {
        int n = index.count();
        return n == 0 ? Optional.empty() : Optional.of(entry(n - 1));
    }

    /** Appends {@code max} if it is larger than the last entry and a real timestamp. */
    void maybeAppend(TimestampOffset max) {
        if (max.timestamp() >= 0 && max.timestamp() > index.lastKey()) {
            index.append(max.timestamp(), (int) (max.offset() - baseOffset));
        }
    }

    void clear() {
        index.clear();
    }

    void writeTo(Path file, boolean fsync) throws IOException {
        index.writeTo(file, fsync);
    }

    private TimestampOffset entry(int i) {
        return new TimestampOffset(index.key(i), baseOffset + index.value(i));
    }
}
