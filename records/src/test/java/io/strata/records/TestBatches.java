package io.strata.records;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Builds and edits batches for tests. */
final class TestBatches {

    /** What a test appends; turned into the expected {@link Record} once offsets are known. */
    record Input(long timestamp, byte[] key, byte[] value, List<RecordHeader> headers) {
        Record at(long offset) {
            return new Record(offset, timestamp, key, value, headers);
        }
    }

    private TestBatches() {
    }

    static ByteBuffer build(Compression compression, List<Input> inputs) {
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, 64);
        for (Input in : inputs) {
            builder.append(in.timestamp(), in.key(), in.value(), in.headers());
        }
        return builder.build();
    }

    static ByteBuffer build(Compression compression, byte[]... values) {
        List<Input> inputs = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            inputs.add(new Input(1_700_000_000_000L + i, null, values[i], List.of()));
        }
        return build(compression, inputs);
    }

    static List<Record> expected(List<Input> inputs, long baseOffset) {
        List<Record> records = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            records.add(inputs.get(i).at(baseOffset + i));
        }
        return records;
    }

    static byte[] bytes(ByteBuffer buf) {
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }

    static ByteBuffer concat(List<ByteBuffer> parts) {
        int size = parts.stream().mapToInt(ByteBuffer::remaining).sum();
        ByteBuffer out = ByteBuffer.allocate(size);
        parts.forEach(p -> out.put(p.duplicate()));
        return out.flip();
    }

    /** A copy of the batch's first {@code length} bytes. */
    static ByteBuffer truncated(ByteBuffer batch, int length) {
        return ByteBuffer.wrap(bytes(batch), 0, length).slice();
    }

    /** A copy of the batch with bit {@code bit} of byte {@code index} flipped. */
    static ByteBuffer flipBit(ByteBuffer batch, int index, int bit) {
        byte[] b = bytes(batch);
        b[index] ^= (byte) (1 << bit);
        return ByteBuffer.wrap(b);
    }

    /** Rewrites the CRC after a test edited fields it covers, so only the edit is wrong. */
    static ByteBuffer recrc(ByteBuffer batch) {
        RecordBatch.writeCrc(batch, 0);
        return batch;
    }

    /**
     * A batch around a hand-written records section, with a valid CRC: for records the builder
     * would never produce.
     */
    static ByteBuffer rawBatch(int attributes, int recordCount, int lastOffsetDelta, long maxTimestamp,
            byte[] section) {
        ByteBuffer b = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + section.length);
        b.putLong(RecordBatch.BASE_OFFSET_OFFSET, 0);
        b.putInt(RecordBatch.LENGTH_OFFSET, b.capacity() - RecordBatch.LOG_OVERHEAD);
        b.putInt(RecordBatch.PARTITION_LEADER_EPOCH_OFFSET, -1);
        b.put(RecordBatch.MAGIC_OFFSET, RecordBatch.MAGIC);
        b.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) attributes);
        b.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, lastOffsetDelta);
        b.putLong(RecordBatch.BASE_TIMESTAMP_OFFSET, 0);
        b.putLong(RecordBatch.MAX_TIMESTAMP_OFFSET, maxTimestamp);
        b.putLong(RecordBatch.PRODUCER_ID_OFFSET, -1);
        b.putShort(RecordBatch.PRODUCER_EPOCH_OFFSET, (short) -1);
        b.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, -1);
        b.putInt(RecordBatch.RECORDS_COUNT_OFFSET, recordCount);
        b.put(RecordBatch.HEADER_SIZE, section);
        return recrc(b);
    }
}
