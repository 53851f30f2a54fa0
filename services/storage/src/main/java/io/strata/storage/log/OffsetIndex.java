package io.strata.storage.log;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code <base>.index} file of a segment: a sparse map from offset to file position, one
 * entry per {@code index.interval.bytes} of log (the first batch after at least that many bytes
 * since the previous entry gets one; position 0 is implied). A lookup finds the last entry at or
 * before an offset and the caller scans batch headers forward from there.
 *
 * <p>File format (big-endian; the header is described in {@link SparseIndex}):
 *
 * <pre>
 * offset  size  field
 *  0      4     magic        0x53544F49 ("STOI")
 *  4      2     version      1
 *  6      2     key size     4
 *  8      8     base offset  the segment's base offset
 * 16+8i   4     relative offset  base offset of the indexed batch - segment base offset
 * 20+8i   4     position         byte position of that batch in the .log file
 * </pre>
 *
 * Both columns are strictly increasing; positions lie inside the log file. An invalid file is
 * rebuilt from the log.
 */
final class OffsetIndex {

    static final SparseIndex.Format FORMAT = new SparseIndex.Format("offset index", 0x53544F49, 4, true, true);

    private final long baseOffset;
    private final SparseIndex index;

    private OffsetIndex(long baseOffset, SparseIndex index) {
        this.baseOffset = baseOffset;
        this.index = index;
    }

    static OffsetIndex inMemory(long baseOffset) {
        return new OffsetIndex(baseOffset, SparseIndex.inMemory(FORMAT, baseOffset));
    }

    static Optional<OffsetIndex> map(Path file, long baseOffset, int logSize) throws IOException {
        return SparseIndex.map(FORMAT, file, baseOffset, logSize).map(i -> new OffsetIndex(baseOffset, i));
    }

    /** Loads the entries for batches with base offset below {@code offsetLimit} into memory. */
    static Optional<OffsetIndex> load(Path file, long baseOffset, int logSize, long offsetLimit) throws IOException {
        return SparseIndex.load(FORMAT, file, baseOffset, logSize, offsetLimit - baseOffset)
                .map(i -> new OffsetIndex(baseOffset, i));
    }

    /** An in-memory copy of the entries for batches with base offset below {@code offsetLimit}, in no file yet. */
    OffsetIndex copyBelow(long offsetLimit) {
        return new OffsetIndex(baseOffset, index.copyPrefix(index.floor(offsetLimit - baseOffset, true) + 1));
    }

    /** The last entry at or before {@code offset}; the segment start when none. */
    OffsetPosition lookup(long offset) {
        int i = index.floor(offset - baseOffset, false);
        return i < 0 ? new OffsetPosition(baseOffset, 0) : entry(i);
    }

    /** The last entry, or the segment start when empty. */
    OffsetPosition last() {
        int n = index.count();
        return n == 0 ? new OffsetPosition(baseOffset, 0) : entry(n - 1);
    }

    int entries() {
        return index.count();
    }

    void append(long offset, int position) {
        index.append(offset - baseOffset, position);
    }

    void clear() {
        index.clear();
    }

    void writeTo(Path file, boolean fsync) throws IOException {
        index.writeTo(file, fsync);
    }

    private OffsetPosition entry(int i) {
        return new OffsetPosition(baseOffset + index.key(i), index.value(i));
    }
}
