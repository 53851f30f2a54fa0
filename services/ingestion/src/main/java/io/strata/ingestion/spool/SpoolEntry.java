package io.strata.ingestion.spool;

import io.strata.client.TopicPartition;
import io.strata.records.RecordBatch;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One spooled record batch and the partition it goes to: the payload of one spool frame
 * ({@link SpoolSegment}). Big-endian:
 *
 * <pre>
 * partition    int32
 * topicLength  int16   bytes of the topic name (1..249)
 * topic        UTF-8
 * batch        one record batch (docs/FORMAT.md), sealed: producer id, epoch and base sequence set
 * </pre>
 *
 * @param partition where the batch goes
 * @param batch     exactly one batch between position and limit
 */
record SpoolEntry(TopicPartition partition, ByteBuffer batch) {

    /** Bytes of the payload before the batch, for a topic name of {@code topicBytes} bytes. */
    static int prefixSize(int topicBytes) {
        return Integer.BYTES + Short.BYTES + topicBytes;
    }

    /** The encoded payload's size. */
    int payloadSize() {
        return prefixSize(partition.topic().getBytes(StandardCharsets.UTF_8).length) + batch.remaining();
    }

    /** Writes the payload at {@code out}'s position and advances it. */
    void writeTo(ByteBuffer out) {
        byte[] topic = partition.topic().getBytes(StandardCharsets.UTF_8);
        out.putInt(partition.partition());
        out.putShort((short) topic.length);
        out.put(topic);
        out.put(batch.duplicate());
    }

    /**
     * Decodes a payload whose CRC was checked.
     *
     * @throws IllegalArgumentException when the payload is not a well-formed entry (damage the CRC
     *                                  cannot explain: a bug or a foreign file)
     */
    static SpoolEntry decode(ByteBuffer payload) {
        ByteBuffer p = payload.duplicate();
        if (p.remaining() < prefixSize(1) + RecordBatch.HEADER_SIZE) {
            throw new IllegalArgumentException("spool entry of " + p.remaining() + " bytes is too short");
        }
        int partition = p.getInt();
        int topicLength = p.getShort();
        if (partition < 0 || topicLength < 1 || topicLength > 249 || p.remaining() < topicLength + RecordBatch.HEADER_SIZE) {
            throw new IllegalArgumentException("spool entry names partition " + partition + " and a topic of "
                    + topicLength + " bytes in " + payload.remaining() + " bytes");
        }
        byte[] topic = new byte[topicLength];
        p.get(topic);
        ByteBuffer batch = p.slice();
        if (RecordBatch.sizeInBytes(batch, 0) != batch.remaining()) {
            throw new IllegalArgumentException("spool entry holds " + batch.remaining() + " bytes of batch, its header says "
                    + RecordBatch.sizeInBytes(batch, 0));
        }
        return new SpoolEntry(new TopicPartition(new String(topic, StandardCharsets.UTF_8), partition), batch);
    }

    /** Records in the batch. */
    int recordCount() {
        return RecordBatch.recordCount(batch, batch.position());
    }

    /** The sequence of the batch's last record. */
    int lastSequence() {
        return RecordBatch.lastSequence(batch, batch.position());
    }

    /** A reference to this entry stored at {@code position} of segment {@code segmentBase}. */
    SpoolEntryRef ref(long entryId, long segmentBase, long position, int frameSize) {
        return new SpoolEntryRef(entryId, segmentBase, position, frameSize, partition, recordCount(), lastSequence());
    }
}
