package io.strata.records;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds one record batch (layout in {@link RecordBatch}, record encoding in
 * {@link RecordBatches}) from appended records.
 *
 * <p>Records are encoded as they are appended into one growable heap buffer behind a reserved
 * 61-byte header, so an append allocates nothing once the buffer is large enough (header keys
 * that are not ASCII are the exception: they are encoded to a temporary array).
 * {@link #closeRecords()} ends the records and compresses the records section when asked;
 * {@link #build()} (closing the records first if needed) fills in the header and writes the CRC.
 * The compressed section depends on the records alone, and the fields still open after
 * {@code closeRecords} (producer id, epoch, base sequence) lie in the header, outside it; so a
 * batch is byte for byte the same whether its records were closed early or by {@code build}.
 * A producer closes the records on the thread that fills the batch and builds on its sender,
 * which is then left with the header and the CRC. The batch carries base offset 0 and leader
 * epoch -1; the leader stamps both.
 *
 * <p>Not thread-safe: one thread at a time fills, closes and builds a builder (a producer hands
 * it over under a lock), and builds it once.
 */
public final class RecordBatchBuilder {

    // Leave room below Integer.MAX_VALUE: some JVMs cannot allocate arrays of exactly that size.
    private static final int MAX_BUFFER_SIZE = Integer.MAX_VALUE - 16;

    private final Compression compression;
    private ByteBuffer buffer;
    private long producerId = RecordBatch.NO_PRODUCER_ID;
    private short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
    private int baseSequence = RecordBatch.NO_SEQUENCE;
    private int recordCount;
    private long baseTimestamp;
    private long maxTimestamp;
    /** The uncompressed size, header included, once the records are closed; -1 before. */
    private int closedUncompressedSize = -1;
    private boolean built;

    /**
     * @param initialCapacity expected uncompressed size in bytes (typically {@code batch.size});
     *                        the buffer grows past it when needed
     */
    public RecordBatchBuilder(Compression compression, int initialCapacity) {
        if (compression == null) {
            throw new NullPointerException("compression");
        }
        if (initialCapacity < 0) {
            throw new IllegalArgumentException("initialCapacity must be >= 0, got " + initialCapacity);
        }
        this.compression = compression;
        this.buffer = ByteBuffer.allocate(Math.max(initialCapacity, RecordBatch.HEADER_SIZE));
        buffer.position(RecordBatch.HEADER_SIZE);
    }

    /**
     * A builder that writes into {@code buffer} (a heap buffer the caller recycles, as a
     * producer's pool does): its old contents are overwritten, and {@link #build()} returns this
     * same buffer unless the batch outgrew it or did not compress into it.
     */
    public RecordBatchBuilder(Compression compression, ByteBuffer buffer) {
        if (compression == null) {
            throw new NullPointerException("compression");
        }
        if (!buffer.hasArray() || buffer.arrayOffset() != 0 || buffer.capacity() < RecordBatch.HEADER_SIZE) {
            throw new IllegalArgumentException("a batch buffer must be a heap buffer of at least "
                    + RecordBatch.HEADER_SIZE + " bytes backed by a whole array, got " + buffer);
        }
        this.compression = compression;
        this.buffer = buffer.clear().position(RecordBatch.HEADER_SIZE);
    }

    /** Sets the idempotent-producer fields; without a call they stay -1 (not idempotent). */
    public RecordBatchBuilder producer(long producerId, short producerEpoch, int baseSequence) {
        checkNotBuilt();
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.baseSequence = baseSequence;
        return this;
    }

    /**
     * Appends a record; its offset delta is the number of records appended before it.
     *
     * @param key     may be null (distinct from empty)
     * @param value   may be null (a tombstone)
     * @param headers may be null or empty
     * @throws IllegalArgumentException if the record or the batch would exceed 2 GiB
     */
    public void append(long timestampMs, byte[] key, byte[] value, List<RecordHeader> headers) {
        checkNotBuilt();
        if (closedUncompressedSize >= 0) {
            throw new IllegalStateException("the records of this batch are closed");
        }
        if (recordCount == Integer.MAX_VALUE) {
            throw new IllegalStateException("a batch holds at most " + Integer.MAX_VALUE + " records");
        }
        if (recordCount == 0) {
            baseTimestamp = timestampMs;
            maxTimestamp = timestampMs;
        } else if (timestampMs > maxTimestamp) {
            maxTimestamp = timestampMs;
        }
        // Wraps for extreme timestamps; the reader's baseTimestamp + delta wraps back.
        long timestampDelta = timestampMs - baseTimestamp;
        int offsetDelta = recordCount;
        int headerCount = headers == null ? 0 : headers.size();

        long bodySize = bodySize(timestampDelta, offsetDelta, key, value, headers);
        if (bodySize > MAX_BUFFER_SIZE) {
            throw new IllegalArgumentException("record of " + bodySize + " bytes is too large to encode");
        }
        int length = (int) bodySize;
        ensureRemaining((long) Varints.sizeOfVarint(length) + length);

        Varints.writeVarint(length, buffer);
        buffer.put((byte) 0); // record attributes: unused, must be zero
        Varints.writeVarlong(timestampDelta, buffer);
        Varints.writeVarint(offsetDelta, buffer);
        writeBytesField(key);
        writeBytesField(value);
        Varints.writeVarint(headerCount, buffer);
        for (int i = 0; i < headerCount; i++) {
            RecordHeader header = headers.get(i);
            writeUtf8Field(header.key());
            writeBytesField(header.value());
        }
        recordCount++;
    }

    public int recordCount() {
        return recordCount;
    }

    /**
     * The size a record takes in a batch — its {@code length} varint plus {@code length}, what
     * {@code max.message.bytes} is compared with (docs/FORMAT.md, "Record") — when appended as
     * record number {@code offsetDelta} with a timestamp {@code timestampDelta} past the batch's
     * first.
     */
    public static long recordSizeInBytes(long timestampDelta, int offsetDelta, byte[] key, byte[] value,
                                         List<RecordHeader> headers) {
        long body = bodySize(timestampDelta, offsetDelta, key, value, headers);
        return body > Integer.MAX_VALUE ? body : Varints.sizeOfVarint((int) body) + body;
    }

    /** A record's bytes after its length varint. */
    private static long bodySize(long timestampDelta, int offsetDelta, byte[] key, byte[] value, List<RecordHeader> headers) {
        int headerCount = headers == null ? 0 : headers.size();
        long bodySize = 1 // attributes
                + Varints.sizeOfVarlong(timestampDelta)
                + Varints.sizeOfVarint(offsetDelta)
                + sizeOfBytesField(key)
                + sizeOfBytesField(value)
                + Varints.sizeOfVarint(headerCount);
        for (int i = 0; i < headerCount; i++) {
            RecordHeader header = headers.get(i);
            int keyLength = utf8Length(header.key());
            bodySize += Varints.sizeOfVarint(keyLength) + keyLength + sizeOfBytesField(header.value());
        }
        return bodySize;
    }

    /** Uncompressed size so far, header included: what {@code batch.size} is compared with. */
    public int estimatedSizeInBytes() {
        return closedUncompressedSize >= 0 ? closedUncompressedSize : buffer.position();
    }

    /**
     * The size of the batch {@link #build()} returns: exact once the records are closed or when
     * the batch is not compressed; before that, for a compressed batch, its uncompressed size,
     * which LZ4 output exceeds by a few bytes at most (incompressible records).
     */
    public int expectedSizeInBytes() {
        return buffer.position();
    }

    /** Whether {@link #closeRecords()} ran: no record may be appended any more. */
    public boolean recordsClosed() {
        return closedUncompressedSize >= 0;
    }

    /**
     * Ends the records: no record may be appended afterwards, and a compressed batch's records
     * section is compressed now, so that {@link #build()} only writes the header and the CRC. The
     * compressed buffer replaces the uncompressed one. {@link #producer} may still be called.
     * Does nothing when the records are closed already.
     *
     * @throws IllegalStateException if build was already called
     */
    public void closeRecords() {
        checkNotBuilt();
        if (closedUncompressedSize >= 0) {
            return;
        }
        int uncompressedSize = buffer.position();
        buffer = switch (compression) {
            case NONE -> buffer;
            case LZ4 -> compressLz4();
        };
        closedUncompressedSize = uncompressedSize;
    }

    /**
     * Completes the batch, closing its records first if {@link #closeRecords()} was not called.
     * The returned buffer holds exactly one batch between position 0 and its limit (its capacity
     * may be larger); the builder cannot be used afterwards.
     *
     * @throws IllegalStateException if no record was appended or build was already called
     */
    public ByteBuffer build() {
        checkNotBuilt();
        if (recordCount == 0) {
            throw new IllegalStateException("cannot build a batch without records");
        }
        closeRecords();
        built = true;
        ByteBuffer batch = buffer;
        int size = batch.position();
        writeHeader(batch, size);
        RecordBatch.writeCrc(batch, 0);
        batch.limit(size).position(0);
        buffer = null;
        return batch;
    }

    /**
     * Returns a buffer holding the header space, then the LZ4 section, positioned at its end:
     * the records' own buffer when the section fits in it (the usual case, so a producer's pooled
     * buffer stays the batch's), else a new one. The section is compressed into a per-thread
     * scratch array first, since LZ4 cannot compress in place.
     */
    private ByteBuffer compressLz4() {
        int uncompressedSize = buffer.position() - RecordBatch.HEADER_SIZE;
        int sectionStart = RecordBatch.HEADER_SIZE + Integer.BYTES;
        long capacity = (long) sectionStart + Lz4.COMPRESSOR.maxCompressedLength(uncompressedSize);
        if (capacity > MAX_BUFFER_SIZE) {
            throw new IllegalArgumentException("batch of " + uncompressedSize + " bytes is too large to compress");
        }
        byte[] out = Lz4Scratch.array((int) capacity);
        int compressedSize = Lz4.COMPRESSOR.compress(buffer.array(), RecordBatch.HEADER_SIZE, uncompressedSize,
                out, sectionStart, out.length - sectionStart);
        int end = sectionStart + compressedSize;
        ByteBuffer batch = end <= buffer.capacity() ? buffer : ByteBuffer.allocate(end);
        System.arraycopy(out, sectionStart, batch.array(), sectionStart, compressedSize);
        batch.putInt(RecordBatch.HEADER_SIZE, uncompressedSize);
        batch.position(end);
        return batch;
    }

    private void writeHeader(ByteBuffer batch, int size) {
        batch.putLong(RecordBatch.BASE_OFFSET_OFFSET, 0L);
        batch.putInt(RecordBatch.LENGTH_OFFSET, size - RecordBatch.LOG_OVERHEAD);
        batch.putInt(RecordBatch.PARTITION_LEADER_EPOCH_OFFSET, RecordBatch.NO_PARTITION_LEADER_EPOCH);
        batch.put(RecordBatch.MAGIC_OFFSET, RecordBatch.MAGIC);
        // Create-time timestamps; the other attribute bits (transactions, control) are unused.
        batch.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) compression.id());
        batch.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, recordCount - 1);
        batch.putLong(RecordBatch.BASE_TIMESTAMP_OFFSET, baseTimestamp);
        batch.putLong(RecordBatch.MAX_TIMESTAMP_OFFSET, maxTimestamp);
        batch.putLong(RecordBatch.PRODUCER_ID_OFFSET, producerId);
        batch.putShort(RecordBatch.PRODUCER_EPOCH_OFFSET, producerEpoch);
        batch.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, baseSequence);
        batch.putInt(RecordBatch.RECORDS_COUNT_OFFSET, recordCount);
    }

    private void checkNotBuilt() {
        if (built) {
            throw new IllegalStateException("build() was already called on this builder");
        }
    }

    private void ensureRemaining(long needed) {
        long required = buffer.position() + needed;
        if (required <= buffer.capacity()) {
            return;
        }
        if (required > MAX_BUFFER_SIZE) {
            throw new IllegalArgumentException("batch would exceed " + MAX_BUFFER_SIZE + " bytes");
        }
        // Doubling keeps appends amortized O(1).
        int newCapacity = (int) Math.min(MAX_BUFFER_SIZE, Math.max(required, 2L * buffer.capacity()));
        ByteBuffer grown = ByteBuffer.allocate(newCapacity);
        grown.put(buffer.array(), 0, buffer.position());
        buffer = grown;
    }

    private static int sizeOfBytesField(byte[] bytes) {
        return bytes == null ? 1 : Varints.sizeOfVarint(bytes.length) + bytes.length;
    }

    private void writeBytesField(byte[] bytes) {
        if (bytes == null) {
            Varints.writeVarint(-1, buffer);
        } else {
            Varints.writeVarint(bytes.length, buffer);
            buffer.put(bytes);
        }
    }

    private void writeUtf8Field(String s) {
        if (isAscii(s)) {
            int n = s.length();
            Varints.writeVarint(n, buffer);
            for (int i = 0; i < n; i++) {
                buffer.put((byte) s.charAt(i));
            }
        } else {
            writeBytesField(s.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static int utf8Length(String s) {
        return isAscii(s) ? s.length() : s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static boolean isAscii(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
