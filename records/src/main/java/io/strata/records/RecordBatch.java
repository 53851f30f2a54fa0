package io.strata.records;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The record-batch header: layout, accessors and the CRC rule. Every batch on the wire and
 * on disk starts with this 61-byte header (Kafka's v2 layout, magic 2; see docs/FORMAT.md).
 *
 * <pre>
 * offset  size  field
 *  0      8     baseOffset           offset of the first record; stamped by the leader
 *  8      4     batchLength          bytes that follow this field (total size - 12)
 * 12      4     partitionLeaderEpoch epoch of the leader that appended; stamped by the leader
 * 16      1     magic                2
 * 17      4     crc                  CRC32C of bytes [21, end): attributes to the last record
 * 21      2     attributes           bits 0-2 compression (0 none, 3 lz4), bit 3 timestamp type
 *                                    (0 create time, 1 log append time)
 * 23      4     lastOffsetDelta      offset of the last record - baseOffset
 * 27      8     baseTimestamp        timestamp of the first record (epoch ms)
 * 35      8     maxTimestamp         largest record timestamp in the batch
 * 43      8     producerId           -1 when not idempotent
 * 51      2     producerEpoch        -1 when not idempotent
 * 53      4     baseSequence         -1 when not idempotent
 * 57      4     recordCount          number of records
 * 61      ...   records              varint-framed records, LZ4-compressed when attribute says so
 * </pre>
 *
 * <p>The CRC excludes base offset, length, leader epoch and magic, so a leader stamps the
 * offset and epoch without recomputing it. All integers are big-endian.
 *
 * <p>Static accessors read a batch that starts at {@code position} of a buffer without
 * changing the buffer's position or limit; they allocate nothing.
 */
public final class RecordBatch {

    public static final int BASE_OFFSET_OFFSET = 0;
    public static final int LENGTH_OFFSET = 8;
    public static final int PARTITION_LEADER_EPOCH_OFFSET = 12;
    public static final int MAGIC_OFFSET = 16;
    public static final int CRC_OFFSET = 17;
    public static final int ATTRIBUTES_OFFSET = 21;
    public static final int LAST_OFFSET_DELTA_OFFSET = 23;
    public static final int BASE_TIMESTAMP_OFFSET = 27;
    public static final int MAX_TIMESTAMP_OFFSET = 35;
    public static final int PRODUCER_ID_OFFSET = 43;
    public static final int PRODUCER_EPOCH_OFFSET = 51;
    public static final int BASE_SEQUENCE_OFFSET = 53;
    public static final int RECORDS_COUNT_OFFSET = 57;
    /** Size of the fixed header; records start here. */
    public static final int HEADER_SIZE = 61;
    /** Bytes before the length-counted part: base offset and length. */
    public static final int LOG_OVERHEAD = 12;
    public static final byte MAGIC = 2;

    public static final int COMPRESSION_MASK = 0x07;
    public static final int TIMESTAMP_TYPE_MASK = 0x08;

    public static final long NO_PRODUCER_ID = -1L;
    public static final short NO_PRODUCER_EPOCH = -1;
    public static final int NO_SEQUENCE = -1;
    public static final int NO_PARTITION_LEADER_EPOCH = -1;

    private RecordBatch() {
    }

    public static long baseOffset(ByteBuffer buf, int position) {
        return buf.getLong(position + BASE_OFFSET_OFFSET);
    }

    /** The {@code batchLength} field: bytes after the length field. */
    public static int batchLength(ByteBuffer buf, int position) {
        return buf.getInt(position + LENGTH_OFFSET);
    }

    /** Total bytes of the batch, header included. */
    public static int sizeInBytes(ByteBuffer buf, int position) {
        return LOG_OVERHEAD + batchLength(buf, position);
    }

    public static int partitionLeaderEpoch(ByteBuffer buf, int position) {
        return buf.getInt(position + PARTITION_LEADER_EPOCH_OFFSET);
    }

    public static byte magic(ByteBuffer buf, int position) {
        return buf.get(position + MAGIC_OFFSET);
    }

    /** The stored CRC, as an unsigned 32-bit value. */
    public static long storedCrc(ByteBuffer buf, int position) {
        return Integer.toUnsignedLong(buf.getInt(position + CRC_OFFSET));
    }

    public static short attributes(ByteBuffer buf, int position) {
        return buf.getShort(position + ATTRIBUTES_OFFSET);
    }

    public static Compression compression(ByteBuffer buf, int position) {
        return Compression.fromId(attributes(buf, position) & COMPRESSION_MASK);
    }

    public static boolean isLogAppendTime(ByteBuffer buf, int position) {
        return (attributes(buf, position) & TIMESTAMP_TYPE_MASK) != 0;
    }

    public static int lastOffsetDelta(ByteBuffer buf, int position) {
        return buf.getInt(position + LAST_OFFSET_DELTA_OFFSET);
    }

    public static long lastOffset(ByteBuffer buf, int position) {
        return baseOffset(buf, position) + lastOffsetDelta(buf, position);
    }

    /** The offset after the batch's last record. */
    public static long nextOffset(ByteBuffer buf, int position) {
        return lastOffset(buf, position) + 1;
    }

    public static long baseTimestamp(ByteBuffer buf, int position) {
        return buf.getLong(position + BASE_TIMESTAMP_OFFSET);
    }

    public static long maxTimestamp(ByteBuffer buf, int position) {
        return buf.getLong(position + MAX_TIMESTAMP_OFFSET);
    }

    public static long producerId(ByteBuffer buf, int position) {
        return buf.getLong(position + PRODUCER_ID_OFFSET);
    }

    public static short producerEpoch(ByteBuffer buf, int position) {
        return buf.getShort(position + PRODUCER_EPOCH_OFFSET);
    }

    public static int baseSequence(ByteBuffer buf, int position) {
        return buf.getInt(position + BASE_SEQUENCE_OFFSET);
    }

    /**
     * The sequence number of the batch's last record: {@code baseSequence + lastOffsetDelta},
     * wrapping past {@link Integer#MAX_VALUE} to 0 as {@link #incrementSequence} does;
     * {@link #NO_SEQUENCE} when the batch carries none.
     */
    public static int lastSequence(ByteBuffer buf, int position) {
        int base = baseSequence(buf, position);
        return base == NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(base, lastOffsetDelta(buf, position));
    }

    /**
     * {@code sequence + increment} for idempotent-producer sequence numbers, which run from 0 to
     * {@link Integer#MAX_VALUE} and then start again at 0 (Kafka's rule), so a producer never
     * runs out of them.
     */
    public static int incrementSequence(int sequence, int increment) {
        if (sequence > Integer.MAX_VALUE - increment) {
            return increment - (Integer.MAX_VALUE - sequence) - 1;
        }
        return sequence + increment;
    }

    public static int recordCount(ByteBuffer buf, int position) {
        return buf.getInt(position + RECORDS_COUNT_OFFSET);
    }

    /** Stamps the base offset (outside the CRC). */
    public static void setBaseOffset(ByteBuffer buf, int position, long baseOffset) {
        buf.putLong(position + BASE_OFFSET_OFFSET, baseOffset);
    }

    /** Stamps the leader epoch (outside the CRC). */
    public static void setPartitionLeaderEpoch(ByteBuffer buf, int position, int epoch) {
        buf.putInt(position + PARTITION_LEADER_EPOCH_OFFSET, epoch);
    }

    /**
     * CRC32C of the batch's bytes from the attributes to its end. The caller must have checked
     * that {@code sizeInBytes} bytes are present.
     */
    public static long computeCrc(ByteBuffer buf, int position) {
        int size = sizeInBytes(buf, position);
        CRC32C crc = new CRC32C();
        ByteBuffer covered = buf.duplicate();
        covered.limit(position + size).position(position + ATTRIBUTES_OFFSET);
        crc.update(covered);
        return crc.getValue();
    }

    /** Writes the CRC field from the current content (used by batch builders). */
    public static void writeCrc(ByteBuffer buf, int position) {
        buf.putInt(position + CRC_OFFSET, (int) computeCrc(buf, position));
    }

    /** Whether the stored CRC matches the content. */
    public static boolean isCrcValid(ByteBuffer buf, int position) {
        return storedCrc(buf, position) == computeCrc(buf, position);
    }
}
