package io.strata.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;

/**
 * A sorted, sparse (key -&gt; value) index of one segment, the engine under {@link OffsetIndex}
 * and {@link TimeIndex}, which define the keys, values and file formats. Keys are strictly
 * increasing; lookups are binary searches.
 *
 * <p>File layout shared by both index files (big-endian):
 *
 * <pre>
 * offset  size  field
 *  0      4     magic        identifies the index kind ({@link Format#magic})
 *  4      2     version      1
 *  6      2     key size     4 or 8 (bytes of the key field of each entry)
 *  8      8     base offset  the segment's base offset, as in the file name
 * 16      ...   entries      key (key size bytes) then value (int32), sorted by key
 * </pre>
 *
 * <p>An index is in one of two states:
 * <ul>
 *   <li><b>in memory</b> (the active segment): growable arrays, appended by the partition's
 *       single writer and read concurrently by any thread (each reader uses the count it read,
 *       and the arrays are published through a volatile holder). Entries not yet in the file are
 *       written by {@link #writeTo} on flush, roll and close;</li>
 *   <li><b>mapped</b> (sealed segments): the file, memory-mapped read-only on first use and
 *       validated once; immutable.</li>
 * </ul>
 * Indexes are derived data: a file that fails validation is rebuilt from the log by the segment.
 */
final class SparseIndex {

    static final int HEADER_BYTES = 16;
    static final short VERSION = 1;

    /**
     * The kind of an index file: its magic, the width of its keys, and whether its values must be
     * strictly increasing too (file positions) or only non-decreasing (offsets of a time index).
     */
    record Format(String name, int magic, int keyBytes, boolean strictValues, boolean nonNegativeKeys) {
        int entryBytes() {
            return keyBytes + 4;
        }
    }

    private record Arrays2(long[] keys, int[] values) {
    }

    private final Format format;
    private final long baseOffset;
    // In-memory state (mapped == null). Single writer; readers read count, then arrays.
    private volatile Arrays2 arrays;
    private volatile int count;
    private int persisted;
    // Mapped state.
    private final ByteBuffer mapped;

    private SparseIndex(Format format, long baseOffset, Arrays2 arrays, int count, ByteBuffer mapped) {
        this.format = format;
        this.baseOffset = baseOffset;
        this.arrays = arrays;
        this.count = count;
        this.mapped = mapped;
    }

    /** A new, empty in-memory index. */
    static SparseIndex inMemory(Format format, long baseOffset) {
        return new SparseIndex(format, baseOffset, new Arrays2(new long[64], new int[64]), 0, null);
    }

    /**
     * Maps a sealed segment's index file read-only and validates it; empty when the file is
     * missing or fails validation (wrong magic, version, key size or base offset, a torn entry,
     * keys or values out of order, a value at or past {@code valueLimit}).
     */
    static Optional<SparseIndex> map(Format format, Path file, long baseOffset, long valueLimit) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (!validSize(format, size)) {
                return Optional.empty();
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            int count = (int) ((size - HEADER_BYTES) / format.entryBytes());
            SparseIndex index = new SparseIndex(format, baseOffset, null, count, buf);
            return index.validHeader(buf) && index.validEntries(valueLimit) ? Optional.of(index) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Reads an index file into a new in-memory index (for the active segment), keeping only the
     * entries before the first with a key at or past {@code keyLimit}; empty when the file is
     * missing or invalid (see {@link #map}). The kept entries count as already in the file.
     */
    static Optional<SparseIndex> load(Format format, Path file, long baseOffset, long valueLimit, long keyLimit)
            throws IOException {
        Optional<SparseIndex> onDisk = map(format, file, baseOffset, valueLimit);
        if (onDisk.isEmpty()) {
            return Optional.empty();
        }
        SparseIndex src = onDisk.get();
        int n = 0;
        while (n < src.count && src.key(n) < keyLimit) {
            n++;
        }
        long[] keys = new long[Math.max(64, n * 2)];
        int[] values = new int[keys.length];
        for (int i = 0; i < n; i++) {
            keys[i] = src.key(i);
            values[i] = src.value(i);
        }
        SparseIndex index = new SparseIndex(format, baseOffset, new Arrays2(keys, values), n, null);
        index.persisted = n;
        return Optional.of(index);
    }

    /**
     * A new in-memory index holding the first {@code n} entries of this one (mapped or in memory),
     * none of them in a file yet: the next {@link #writeTo} writes the whole file.
     */
    SparseIndex copyPrefix(int n) {
        long[] keys = new long[Math.max(64, n * 2)];
        int[] values = new int[keys.length];
        for (int i = 0; i < n; i++) {
            keys[i] = key(i);
            values[i] = value(i);
        }
        return new SparseIndex(format, baseOffset, new Arrays2(keys, values), n, null);
    }

    /**
     * Reads only the header and the last entry of an index file, without validating the rest:
     * a cheap way to learn a sealed segment's largest key. Empty when the file is missing, has a
     * bad header or size, or no entries.
     */
    static Optional<long[]> readLastEntry(Format format, Path file, long baseOffset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (!validSize(format, size) || size == HEADER_BYTES) {
                return Optional.empty();
            }
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
            ByteBuffer last = ByteBuffer.allocate(format.entryBytes());
            if (readFully(ch, header, 0) != HEADER_BYTES
                    || readFully(ch, last, size - format.entryBytes()) != format.entryBytes()) {
                return Optional.empty();
            }
            SparseIndex probe = new SparseIndex(format, baseOffset, null, 0, null);
            if (!probe.validHeader(header)) {
                return Optional.empty();
            }
            long key = format.keyBytes() == 4 ? last.getInt(0) : last.getLong(0);
            return Optional.of(new long[] {key, last.getInt(format.keyBytes())});
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    int count() {
        return count;
    }

    long key(int i) {
        if (mapped != null) {
            int at = HEADER_BYTES + i * format.entryBytes();
            return format.keyBytes() == 4 ? mapped.getInt(at) : mapped.getLong(at);
        }
        return arrays.keys[i];
    }

    int value(int i) {
        if (mapped != null) {
            return mapped.getInt(HEADER_BYTES + i * format.entryBytes() + format.keyBytes());
        }
        return arrays.values[i];
    }

    /** The last key, or {@code Long.MIN_VALUE} when empty. */
    long lastKey() {
        int n = count;
        return n == 0 ? Long.MIN_VALUE : key(n - 1);
    }

    /**
     * Index of the last entry whose key is {@code <= key} (or {@code < key} when {@code strict}),
     * or -1 when there is none. Binary search over a count read once.
     */
    int floor(long key, boolean strict) {
        int n = count;
        if (mapped != null) {
            return floorIn(key, strict, n, null);
        }
        return floorIn(key, strict, n, arrays);
    }

    private int floorIn(long key, boolean strict, int n, Arrays2 a) {
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long k = a == null ? key(mid) : a.keys[mid];
            if (k < key || (!strict && k == key)) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** Appends an entry (in-memory state only; the caller keeps keys increasing). */
    void append(long key, int value) {
        Arrays2 a = arrays;
        int n = count;
        if (n == a.keys.length) {
            a = new Arrays2(Arrays.copyOf(a.keys, n * 2), Arrays.copyOf(a.values, n * 2));
            arrays = a;
        }
        a.keys[n] = key;
        a.values[n] = value;
        count = n + 1;
    }

    /** Drops every entry (in-memory state; the next {@link #writeTo} rewrites the file). */
    void clear() {
        count = 0;
        persisted = 0;
    }

    /**
     * Writes the entries not yet in the file (the whole file, header included, when none are),
     * cuts the file to exactly the entries, and fsyncs it if asked. In-memory state only.
     */
    void writeTo(Path file, boolean fsync) throws IOException {
        int n = count;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            int from = persisted;
            if (from == 0) {
                ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
                header.putInt(format.magic()).putShort(VERSION).putShort((short) format.keyBytes()).putLong(baseOffset);
                writeFully(ch, header.flip(), 0);
            }
            if (n > from) {
                ByteBuffer entries = ByteBuffer.allocate((n - from) * format.entryBytes());
                Arrays2 a = arrays;
                for (int i = from; i < n; i++) {
                    if (format.keyBytes() == 4) {
                        entries.putInt((int) a.keys[i]);
                    } else {
                        entries.putLong(a.keys[i]);
                    }
                    entries.putInt(a.values[i]);
                }
                writeFully(ch, entries.flip(), HEADER_BYTES + (long) from * format.entryBytes());
            }
            long exact = HEADER_BYTES + (long) n * format.entryBytes();
            if (ch.size() > exact) {
                ch.truncate(exact);
            }
            if (fsync) {
                ch.force(true);
            }
            persisted = n;
        }
    }

    private static boolean validSize(Format format, long size) {
        return size >= HEADER_BYTES && size <= Integer.MAX_VALUE
                && (size - HEADER_BYTES) % format.entryBytes() == 0;
    }

    private boolean validHeader(ByteBuffer buf) {
        return buf.getInt(0) == format.magic() && buf.getShort(4) == VERSION
                && buf.getShort(6) == format.keyBytes() && buf.getLong(8) == baseOffset;
    }

    private boolean validEntries(long valueLimit) {
        long prevKey = Long.MIN_VALUE;
        long prevValue = Long.MIN_VALUE;
        for (int i = 0; i < count; i++) {
            long k = key(i);
            int v = value(i);
            boolean keyOk = (i == 0 || k > prevKey) && (!format.nonNegativeKeys() || k >= 0);
            boolean valueOk = v >= 0 && v < valueLimit && (format.strictValues() ? v > prevValue : v >= prevValue);
            if (!keyOk || !valueOk) {
                return false;
            }
            prevKey = k;
            prevValue = v;
        }
        return true;
    }

    static int readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            int n = ch.read(dst, position + dst.position() - start);
            if (n < 0) {
                break;
            }
        }
        return dst.position() - start;
    }

    static void writeFully(FileChannel ch, ByteBuffer src, long position) throws IOException {
        long at = position;
        while (src.hasRemaining()) {
            at += ch.write(src, at);
        }
    }
}
