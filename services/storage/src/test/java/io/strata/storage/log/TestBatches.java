package io.strata.storage.log;

import io.strata.records.RecordBatch;

import java.nio.ByteBuffer;

/**
 * Builds valid v2 batches for tests without the records module's builder: the 61-byte header
 * (base offset 0, epoch -1, magic 2, attributes 0, no producer) followed by {@code n} opaque
 * "record" chunks, with the CRC written by {@link RecordBatch#writeCrc}. The log never decodes
 * records, so their bytes are arbitrary.
 */
final class TestBatches {

    private TestBatches() {
    }

    /** A batch of {@code records} records of {@code recordBytes} bytes each, all at {@code timestamp}. */
    static ByteBuffer batch(int records, int recordBytes, long timestamp) {
        return batch(records, recordBytes, timestamp, timestamp);
    }

    static ByteBuffer batch(int records, int recordBytes, long baseTimestamp, long maxTimestamp) {
        int size = RecordBatch.HEADER_SIZE + records * recordBytes;
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putLong(RecordBatch.BASE_OFFSET_OFFSET, 0L);
        b.putInt(RecordBatch.LENGTH_OFFSET, size - RecordBatch.LOG_OVERHEAD);
        b.putInt(RecordBatch.PARTITION_LEADER_EPOCH_OFFSET, RecordBatch.NO_PARTITION_LEADER_EPOCH);
        b.put(RecordBatch.MAGIC_OFFSET, RecordBatch.MAGIC);
        b.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) 0);
        b.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, records - 1);
        b.putLong(RecordBatch.BASE_TIMESTAMP_OFFSET, baseTimestamp);
        b.putLong(RecordBatch.MAX_TIMESTAMP_OFFSET, maxTimestamp);
        b.putLong(RecordBatch.PRODUCER_ID_OFFSET, RecordBatch.NO_PRODUCER_ID);
        b.putShort(RecordBatch.PRODUCER_EPOCH_OFFSET, RecordBatch.NO_PRODUCER_EPOCH);
        b.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, RecordBatch.NO_SEQUENCE);
        b.putInt(RecordBatch.RECORDS_COUNT_OFFSET, records);
        for (int i = RecordBatch.HEADER_SIZE; i < size; i++) {
            b.put(i, (byte) (i * 31 + maxTimestamp));
        }
        RecordBatch.writeCrc(b, 0);
        return b;
    }

    /** As {@link #batch(int, int, long)}, stamped as an idempotent producer's batch. */
    static ByteBuffer idempotent(long producerId, int epoch, int baseSequence, int records, long timestamp) {
        ByteBuffer b = batch(records, 20, timestamp);
        b.putLong(RecordBatch.PRODUCER_ID_OFFSET, producerId);
        b.putShort(RecordBatch.PRODUCER_EPOCH_OFFSET, (short) epoch);
        b.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, baseSequence);
        RecordBatch.writeCrc(b, 0);
        return b;
    }

    /** {@code batch} as a leader stored it: at {@code baseOffset}, in {@code leaderEpoch} (both outside the CRC). */
    static ByteBuffer at(ByteBuffer batch, long baseOffset, int leaderEpoch) {
        RecordBatch.setBaseOffset(batch, batch.position(), baseOffset);
        RecordBatch.setPartitionLeaderEpoch(batch, batch.position(), leaderEpoch);
        return batch;
    }

    /** Leader epochs of the batches in {@code buf} (position to limit). */
    static java.util.List<Integer> leaderEpochs(ByteBuffer buf) {
        java.util.List<Integer> epochs = new java.util.ArrayList<>();
        for (int p = buf.position(); p < buf.limit(); p += RecordBatch.sizeInBytes(buf, p)) {
            epochs.add(RecordBatch.partitionLeaderEpoch(buf, p));
        }
        return epochs;
    }

    /** Several batches back to back in one buffer, ready to append. */
    static ByteBuffer concat(ByteBuffer... batches) {
        int total = 0;
        for (ByteBuffer b : batches) {
            total += b.remaining();
        }
        ByteBuffer all = ByteBuffer.allocate(total);
        for (ByteBuffer b : batches) {
            all.put(b.duplicate());
        }
        return all.flip();
    }

    /** Base offsets of the batches in {@code buf} (position to limit). */
    static java.util.List<Long> baseOffsets(ByteBuffer buf) {
        java.util.List<Long> offsets = new java.util.ArrayList<>();
        for (int p = buf.position(); p < buf.limit(); p += RecordBatch.sizeInBytes(buf, p)) {
            offsets.add(RecordBatch.baseOffset(buf, p));
        }
        return offsets;
    }

    /** Number of batches in {@code buf}, each checked to be whole and CRC-valid. */
    static int validBatches(ByteBuffer buf) {
        int n = 0;
        for (int p = buf.position(); p < buf.limit(); p += RecordBatch.sizeInBytes(buf, p)) {
            if (p + RecordBatch.sizeInBytes(buf, p) > buf.limit() || !RecordBatch.isCrcValid(buf, p)) {
                throw new AssertionError("torn or corrupt batch at " + p);
            }
            n++;
        }
        return n;
    }
}
