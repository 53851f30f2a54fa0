package io.strata.records;

import static io.strata.records.RecordBatch.HEADER_SIZE;
import static io.strata.records.RecordBatch.LOG_OVERHEAD;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import net.jpountz.lz4.LZ4Exception;

/**
 * Walks a sequence of batches and every record in them, checking everything
 * {@link BatchValidator} promises. Decoding and validation share this one walk so that a
 * batch the leader accepts is exactly a batch a consumer can read.
 *
 * <p>Reads through a private view of the caller's buffer, so the caller's position, limit and
 * content are never changed. One instance serves one call; not thread-safe.
 */
final class BatchReader {

    /** Largest uncompressed records section accepted: bounds the allocation a batch can force. */
    static final int MAX_UNCOMPRESSED_SIZE = 128 << 20;
    /** LZ4 cannot expand a block by more than this factor (one length byte adds 255 bytes). */
    private static final int LZ4_MAX_EXPANSION = 255;
    /** Smallest valid record: length, attributes, timestamp delta, offset delta, key, value, header count. */
    private static final int MIN_RECORD_SIZE = 7;
    private static final int MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD;
    // Attribute bits Strata understands: compression (0-2) and timestamp type (3).
    private static final int KNOWN_ATTRIBUTES = RecordBatch.COMPRESSION_MASK | RecordBatch.TIMESTAMP_TYPE_MASK;

    private final boolean strict;
    private final int maxRecordBytes;
    private final Consumer<Record> sink;

    private int batchCount;
    private int recordCount;
    private long maxTimestamp = Long.MIN_VALUE;
    private long firstTimestamp;
    private int viewLimit;

    /**
     * @param strict         whether a trailing partial batch (or no batch at all) is an error;
     *                       decoding a fetch response ignores a partial batch at the end
     * @param maxRecordBytes largest record size accepted
     * @param sink           receives every decoded record, or null to only check
     */
    BatchReader(boolean strict, int maxRecordBytes, Consumer<Record> sink) {
        this.strict = strict;
        this.maxRecordBytes = maxRecordBytes;
        this.sink = sink;
    }

    BatchValidator.ValidatedBatches readAll(ByteBuffer batches) {
        // duplicate(): our own position/limit, and always big-endian whatever the caller set.
        ByteBuffer view = batches.duplicate();
        int first = view.position();
        int position = first;
        int end = view.limit();
        viewLimit = end;
        if (strict && position == end) {
            throw new InvalidBatchException("no record batch: the buffer is empty");
        }
        while (position < end) {
            int remaining = end - position;
            // Leniently, a partial batch is only known to be one once its length field is readable.
            if (remaining < LOG_OVERHEAD || (strict && remaining < HEADER_SIZE)) {
                if (!strict) {
                    break;
                }
                throw new InvalidBatchException("truncated batch " + batchCount + " at byte " + (position - first)
                        + ": " + remaining + " bytes remain, a batch header needs " + HEADER_SIZE);
            }
            int batchLength = RecordBatch.batchLength(view, position);
            if (batchLength < MIN_BATCH_LENGTH) {
                throw new InvalidBatchException("batch " + batchCount + " at byte " + (position - first)
                        + ": batchLength " + batchLength + " is smaller than the minimum " + MIN_BATCH_LENGTH);
            }
            if (batchLength > remaining - LOG_OVERHEAD) {
                if (!strict) {
                    break;
                }
                throw new InvalidBatchException("truncated batch " + batchCount + " at byte " + (position - first)
                        + ": batchLength " + batchLength + " needs " + ((long) batchLength + LOG_OVERHEAD)
                        + " bytes, only " + remaining + " remain");
            }
            readBatch(view, position, position + LOG_OVERHEAD + batchLength);
            position += LOG_OVERHEAD + batchLength;
            batchCount++;
        }
        return new BatchValidator.ValidatedBatches(batchCount, recordCount, maxTimestamp, firstTimestamp);
    }

    /**
     * An idempotent batch (producer id >= 0) needs an epoch and a base sequence >= 0, else the
     * leader could not check its sequence (Kafka refuses a negative sequence the same way); a
     * batch without producer id (-1) is not looked at further.
     */
    private void checkProducerFields(ByteBuffer view, int start) {
        long producerId = RecordBatch.producerId(view, start);
        if (producerId == RecordBatch.NO_PRODUCER_ID) {
            return;
        }
        short epoch = RecordBatch.producerEpoch(view, start);
        int sequence = RecordBatch.baseSequence(view, start);
        if (producerId < 0 || epoch < 0 || sequence < 0) {
            throw invalid("producerId " + producerId + ", producerEpoch " + epoch + ", baseSequence " + sequence
                    + ": an idempotent batch needs all three >= 0 (producerId -1 means not idempotent)");
        }
    }

    /** Checks and walks the whole batch in [start, end) of {@code view}. */
    private void readBatch(ByteBuffer view, int start, int end) {
        byte magic = RecordBatch.magic(view, start);
        if (magic != RecordBatch.MAGIC) {
            throw invalid("magic " + magic + ", expected " + RecordBatch.MAGIC);
        }
        long storedCrc = RecordBatch.storedCrc(view, start);
        long computedCrc = RecordBatch.computeCrc(view, start);
        if (storedCrc != computedCrc) {
            throw new CorruptBatchException("batch " + batchCount + " (" + (end - start) + " bytes): stored CRC32C 0x"
                    + Long.toHexString(storedCrc) + " != computed 0x" + Long.toHexString(computedCrc));
        }
        int attributes = RecordBatch.attributes(view, start) & 0xFFFF;
        if ((attributes & ~KNOWN_ATTRIBUTES) != 0) {
            throw invalid("unsupported attributes 0x" + Integer.toHexString(attributes)
                    + " (only compression and timestamp type bits are supported)");
        }
        int codec = attributes & RecordBatch.COMPRESSION_MASK;
        Compression compression = switch (codec) {
            case 0 -> Compression.NONE;
            case 3 -> Compression.LZ4;
            default -> throw invalid("unsupported compression codec id " + codec + " (supported: 0 none, 3 lz4)");
        };
        int count = RecordBatch.recordCount(view, start);
        if (count < 1) {
            throw invalid("recordCount " + count + ", a batch needs at least one record");
        }
        int lastOffsetDelta = RecordBatch.lastOffsetDelta(view, start);
        if (lastOffsetDelta != count - 1) {
            throw invalid("lastOffsetDelta " + lastOffsetDelta + " does not match recordCount " + count
                    + " (expected " + (count - 1) + ")");
        }
        checkProducerFields(view, start);
        ByteBuffer section = compression == Compression.LZ4
                ? decompressLz4(view, start + HEADER_SIZE, end)
                : view.limit(end).position(start + HEADER_SIZE);
        boolean logAppendTime = (attributes & RecordBatch.TIMESTAMP_TYPE_MASK) != 0;
        long headerMaxTimestamp = RecordBatch.maxTimestamp(view, start);
        long recordsMaxTimestamp = walkRecords(section, RecordBatch.baseOffset(view, start),
                RecordBatch.baseTimestamp(view, start), logAppendTime, headerMaxTimestamp, count);
        if (!logAppendTime && recordsMaxTimestamp != headerMaxTimestamp) {
            // The time index is built from this field, so it must agree with the records.
            throw invalid("maxTimestamp " + headerMaxTimestamp + " does not match the largest record timestamp "
                    + recordsMaxTimestamp);
        }
        view.limit(viewLimit);
        maxTimestamp = Math.max(maxTimestamp, headerMaxTimestamp);
        recordCount += count;
    }

    private ByteBuffer decompressLz4(ByteBuffer view, int sectionStart, int end) {
        int sectionSize = end - sectionStart;
        if (sectionSize < Integer.BYTES) {
            throw invalid("LZ4 records section of " + sectionSize + " bytes is shorter than its 4-byte size prefix");
        }
        int uncompressedSize = view.getInt(sectionStart);
        int compressedSize = sectionSize - Integer.BYTES;
        if (uncompressedSize < 0 || uncompressedSize > MAX_UNCOMPRESSED_SIZE) {
            throw invalid("LZ4 uncompressed size " + uncompressedSize + " is outside [0, "
                    + MAX_UNCOMPRESSED_SIZE + "]");
        }
        // Checked before allocating, so a small batch cannot make us allocate 128 MiB.
        if ((long) uncompressedSize > (long) LZ4_MAX_EXPANSION * compressedSize) {
            throw invalid("LZ4 uncompressed size " + uncompressedSize + " is impossible for a block of "
                    + compressedSize + " bytes");
        }
        byte[] out = new byte[uncompressedSize];
        ByteBuffer section = ByteBuffer.wrap(out);
        int actual;
        try {
            actual = Lz4.DECOMPRESSOR.decompress(view, sectionStart + Integer.BYTES, compressedSize,
                    section, 0, uncompressedSize);
        } catch (LZ4Exception e) {
            throw new InvalidBatchException(where() + ": LZ4 block of " + compressedSize
                    + " bytes is malformed or larger than the declared uncompressed size " + uncompressedSize, e);
        }
        if (actual != uncompressedSize) {
            throw invalid("LZ4 block decompressed to " + actual + " bytes, expected " + uncompressedSize
                    + " (its size prefix)");
        }
        return section;
    }

    /**
     * Walks exactly {@code count} records filling {@code section} from its position to its
     * limit. Without a sink it allocates nothing: it moves the position over keys and values.
     *
     * @param logAppendTime whether the batch uses log-append time: every record then carries
     *                      {@code appendTime} (the batch's maxTimestamp), as in Kafka
     * @return the largest record timestamp
     */
    private long walkRecords(ByteBuffer section, long baseOffset, long baseTimestamp, boolean logAppendTime,
            long appendTime, int count) {
        int sectionEnd = section.limit();
        long max = Long.MIN_VALUE;
        int index = 0;
        try {
            for (; index < count; index++) {
                int recordStart = section.position();
                if (recordStart == sectionEnd) {
                    throw new InvalidBatchException("records section ends after " + index + " of " + count
                            + " records");
                }
                int length = Varints.readVarint(section);
                int bodyStart = section.position();
                if (length < MIN_RECORD_SIZE - 1 || length > sectionEnd - bodyStart) {
                    throw new InvalidBatchException("record length " + length + " is outside [" + (MIN_RECORD_SIZE - 1)
                            + ", " + (sectionEnd - bodyStart) + "] (the bytes left in the records section)");
                }
                int size = bodyStart - recordStart + length;
                if (size > maxRecordBytes) {
                    throw new RecordTooLargeException(size, maxRecordBytes, where(index));
                }
                // Confine reads to this record: a length field pointing past it fails here.
                section.limit(bodyStart + length);
                byte recordAttributes = section.get();
                if (recordAttributes != 0) {
                    throw new InvalidBatchException("record attributes " + recordAttributes + ", expected 0");
                }
                long timestamp = baseTimestamp + Varints.readVarlong(section);
                int offsetDelta = Varints.readVarint(section);
                if (offsetDelta != index) {
                    throw new InvalidBatchException("offsetDelta " + offsetDelta + ", expected " + index);
                }
                byte[] key = readBytesField(section, "key");
                byte[] value = readBytesField(section, "value");
                int headerCount = Varints.readVarint(section);
                // Each header takes at least two bytes; this also bounds the array allocated below.
                if (headerCount < 0 || headerCount > section.remaining() / 2) {
                    throw new InvalidBatchException("header count " + headerCount + " is outside [0, "
                            + section.remaining() / 2 + "] for the " + section.remaining() + " bytes left");
                }
                List<RecordHeader> headers = readHeaders(section, headerCount);
                if (section.hasRemaining()) {
                    throw new InvalidBatchException(section.remaining() + " trailing bytes inside the record (length "
                            + length + ")");
                }
                section.limit(sectionEnd);
                if (index == 0 && batchCount == 0) {
                    firstTimestamp = logAppendTime ? appendTime : timestamp;
                }
                max = Math.max(max, timestamp);
                if (sink != null) {
                    sink.accept(new Record(baseOffset + index, logAppendTime ? appendTime : timestamp,
                            key, value, headers));
                }
            }
        } catch (RecordTooLargeException e) {
            throw e;
        } catch (InvalidBatchException e) {
            throw new InvalidBatchException(where(index) + ": " + e.getMessage(), e);
        }
        if (section.hasRemaining()) {
            throw invalid(section.remaining() + " trailing bytes after the last of " + count + " records");
        }
        return max;
    }

    private List<RecordHeader> readHeaders(ByteBuffer section, int headerCount) {
        if (headerCount == 0) {
            return List.of();
        }
        RecordHeader[] headers = sink == null ? null : new RecordHeader[headerCount];
        for (int h = 0; h < headerCount; h++) {
            int keyLength = Varints.readVarint(section);
            if (keyLength < 0 || keyLength > section.remaining()) {
                throw new InvalidBatchException("header " + h + " key length " + keyLength + " is outside [0, "
                        + section.remaining() + "]");
            }
            String key = null;
            if (sink != null) {
                byte[] keyBytes = new byte[keyLength];
                section.get(keyBytes);
                key = new String(keyBytes, StandardCharsets.UTF_8);
            } else {
                section.position(section.position() + keyLength);
            }
            byte[] value = readBytesField(section, "header " + h + " value");
            if (headers != null) {
                headers[h] = new RecordHeader(key, value);
            }
        }
        return headers == null ? List.of() : List.of(headers);
    }

    /** Reads a length-prefixed byte field (-1 = null); without a sink, skips it and returns null. */
    private byte[] readBytesField(ByteBuffer section, String name) {
        int length = Varints.readVarint(section);
        if (length < -1 || length > section.remaining()) {
            throw new InvalidBatchException(name + " length " + length + " is outside [-1, " + section.remaining()
                    + "] (the bytes left in the record)");
        }
        if (length == -1) {
            return null;
        }
        if (sink == null) {
            section.position(section.position() + length);
            return null;
        }
        byte[] bytes = new byte[length];
        section.get(bytes);
        return bytes;
    }

    private InvalidBatchException invalid(String message) {
        return new InvalidBatchException(where() + ": " + message);
    }

    private String where() {
        return "batch " + batchCount;
    }

    private String where(int recordIndex) {
        return "batch " + batchCount + ", record " + recordIndex;
    }
}
