package io.strata.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.records.TestBatches.Input;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BatchValidatorTest {

    private static final int NO_LIMIT = Integer.MAX_VALUE;

    /** Size of the only record of a one-record batch, measured uncompressed. */
    private static int singleRecordSize(ByteBuffer batch) {
        return switch (RecordBatch.compression(batch, 0)) {
            case NONE -> batch.limit() - RecordBatch.HEADER_SIZE;
            case LZ4 -> batch.getInt(RecordBatch.HEADER_SIZE);
        };
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aRecordOfExactlyTheLimitPassesAndOneByteMoreIsTooLarge(Compression compression) {
        ByteBuffer batch = TestBatches.build(compression, new byte[1000]);
        int size = singleRecordSize(batch);
        assertThat(size).isEqualTo(1009);

        assertThat(BatchValidator.validate(batch, size).recordCount()).isEqualTo(1);
        assertThatThrownBy(() -> BatchValidator.validate(batch, size - 1))
                .isInstanceOfSatisfying(RecordTooLargeException.class, e -> {
                    assertThat(e.recordSize()).isEqualTo(size);
                    assertThat(e.limit()).isEqualTo(size - 1);
                })
                .hasMessageContaining("batch 0, record 0")
                .hasMessageContaining("1009 bytes")
                .hasMessageContaining("max.message.bytes=1008");
    }

    @Test
    void recordSizeIsCheckedOnTheUncompressedRecordNotTheCompressedBatch() {
        ByteBuffer batch = TestBatches.build(Compression.LZ4, new byte[10_000]);
        assertThat(batch.limit()).isLessThan(1000);
        assertThatThrownBy(() -> BatchValidator.validate(batch, 1000)).isInstanceOf(RecordTooLargeException.class);
    }

    @Test
    void theTooLargeRecordIsNamedByBatchAndRecordIndex() {
        ByteBuffer first = TestBatches.build(Compression.NONE, new byte[10]);
        ByteBuffer second = TestBatches.build(Compression.NONE, new byte[10], new byte[10], new byte[500]);
        assertThatThrownBy(() -> BatchValidator.validate(TestBatches.concat(List.of(first, second)), 100))
                .isInstanceOf(RecordTooLargeException.class)
                .hasMessageContaining("batch 1, record 2");
    }

    @Test
    void anUnsupportedCodecIsRejected() {
        ByteBuffer batch = TestBatches.build(Compression.NONE, new byte[10]);
        batch.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) 1); // gzip in Kafka
        TestBatches.recrc(batch);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("batch 0")
                .hasMessageContaining("unsupported compression codec id 1");
    }

    @Test
    void transactionalOrControlAttributesAreRejected() {
        ByteBuffer batch = TestBatches.build(Compression.NONE, new byte[10]);
        batch.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) 0x10);
        TestBatches.recrc(batch);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("unsupported attributes 0x10");
    }

    @Test
    void aLastOffsetDeltaThatDisagreesWithRecordCountIsRejected() {
        ByteBuffer batch = TestBatches.build(Compression.NONE, new byte[1], new byte[2]);
        batch.putInt(RecordBatch.RECORDS_COUNT_OFFSET, 3);
        TestBatches.recrc(batch);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("lastOffsetDelta 1 does not match recordCount 3 (expected 2)");
    }

    @Test
    void aRecordCountBelowOneIsRejected() {
        ByteBuffer batch = TestBatches.build(Compression.NONE, new byte[1]);
        batch.putInt(RecordBatch.RECORDS_COUNT_OFFSET, 0);
        batch.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, -1);
        TestBatches.recrc(batch);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("recordCount 0");
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aRecordCountAboveTheRecordsPresentIsRejected(Compression compression) {
        ByteBuffer batch = TestBatches.build(compression, new byte[1], new byte[2]);
        batch.putInt(RecordBatch.RECORDS_COUNT_OFFSET, 3);
        batch.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 2);
        TestBatches.recrc(batch);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("records section ends after 2 of 3 records");
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aRecordCountBelowTheRecordsPresentIsRejected(Compression compression) {
        ByteBuffer batch = TestBatches.build(compression, new byte[1], new byte[2]);
        batch.putInt(RecordBatch.RECORDS_COUNT_OFFSET, 1);
        batch.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 0);
        TestBatches.recrc(batch);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("trailing bytes after the last of 1 records");
    }

    @Test
    void aMalformedRecordLengthVarintIsRejected() {
        byte[] section = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01, 0, 0, 0, 0, 0, 0};
        ByteBuffer batch = TestBatches.rawBatch(0, 1, 0, 0, section);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("batch 0, record 0")
                .hasMessageContaining("malformed varint");
        assertThatThrownBy(() -> RecordBatches.decode(batch)).hasMessageContaining("malformed varint");
    }

    @Test
    void aKeyLengthPastTheEndOfTheRecordIsRejected() {
        // length 6, attributes 0, timestampDelta 0, offsetDelta 0, keyLength 5 (zigzag 10), valueLength -1, headers 0
        byte[] section = {12, 0, 0, 0, 10, 1, 0};
        ByteBuffer batch = TestBatches.rawBatch(0, 1, 0, 0, section);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("key length 5 is outside [-1, 2]");
    }

    @Test
    void anOffsetDeltaOtherThanTheRecordIndexIsRejected() {
        // offsetDelta 3 (zigzag 6) for record 0
        byte[] section = {12, 0, 0, 6, 1, 1, 0};
        ByteBuffer batch = TestBatches.rawBatch(0, 1, 0, 0, section);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .hasMessageContaining("offsetDelta 3, expected 0");
    }

    @Test
    void trailingBytesInsideARecordAreRejected() {
        // length 7 but the fields end after 6 bytes
        byte[] section = {14, 0, 0, 0, 1, 1, 0, 0};
        ByteBuffer batch = TestBatches.rawBatch(0, 1, 0, 0, section);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .hasMessageContaining("1 trailing bytes inside the record");
    }

    @Test
    void aMaxTimestampThatDisagreesWithTheRecordsIsRejected() {
        byte[] section = {12, 0, 0, 0, 1, 1, 0};
        ByteBuffer batch = TestBatches.rawBatch(0, 1, 0, 99, section);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .hasMessageContaining("maxTimestamp 99 does not match the largest record timestamp 0");
    }

    @Test
    void logAppendTimeGivesEveryRecordTheBatchMaxTimestamp() {
        // timestampDelta 5 (zigzag 10), overridden by the batch's maxTimestamp
        byte[] section = {12, 0, 10, 0, 1, 1, 0};
        ByteBuffer batch = TestBatches.rawBatch(RecordBatch.TIMESTAMP_TYPE_MASK, 1, 0, 777, section);

        assertThat(RecordBatches.decode(batch)).extracting(Record::timestamp).containsExactly(777L);
        assertThat(BatchValidator.validate(batch, NO_LIMIT).maxTimestamp()).isEqualTo(777L);
    }

    @Test
    void anLz4SizePrefixLargerThanTheBlockIsASizeMismatch() {
        ByteBuffer batch = TestBatches.build(Compression.LZ4, new byte[100], new byte[50]);
        int declared = batch.getInt(RecordBatch.HEADER_SIZE);
        batch.putInt(RecordBatch.HEADER_SIZE, declared + 1);
        TestBatches.recrc(batch);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("decompressed to " + declared + " bytes, expected " + (declared + 1));
    }

    @Test
    void anLz4SizePrefixSmallerThanTheBlockIsRejected() {
        ByteBuffer batch = TestBatches.build(Compression.LZ4, new byte[100], new byte[50]);
        int declared = batch.getInt(RecordBatch.HEADER_SIZE);
        batch.putInt(RecordBatch.HEADER_SIZE, declared - 1);
        TestBatches.recrc(batch);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("declared uncompressed size " + (declared - 1));
    }

    @Test
    void anLz4SizePrefixBeyondTheBombLimitIsRejectedBeforeAllocating() {
        ByteBuffer batch = TestBatches.build(Compression.LZ4, new byte[100]);
        batch.putInt(RecordBatch.HEADER_SIZE, BatchReader.MAX_UNCOMPRESSED_SIZE + 1);
        TestBatches.recrc(batch);
        ByteBuffer negative = TestBatches.build(Compression.LZ4, new byte[100]);
        negative.putInt(RecordBatch.HEADER_SIZE, -1);
        TestBatches.recrc(negative);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .hasMessageContaining("LZ4 uncompressed size 134217729 is outside [0, 134217728]");
        assertThatThrownBy(() -> BatchValidator.validate(negative, NO_LIMIT))
                .hasMessageContaining("LZ4 uncompressed size -1");
    }

    @Test
    void anLz4SizePrefixNoBlockOfThatSizeCouldProduceIsRejected() {
        ByteBuffer batch = TestBatches.build(Compression.LZ4, new byte[100]);
        batch.putInt(RecordBatch.HEADER_SIZE, 100 << 20);
        TestBatches.recrc(batch);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT)).hasMessageContaining("is impossible");
    }

    @Test
    void garbageInsteadOfAnLz4BlockIsRejected() {
        byte[] section = {0, 0, 0, 7, (byte) 0xF0, 1, 2};
        ByteBuffer batch = TestBatches.rawBatch(Compression.LZ4.id(), 1, 0, 0, section);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("LZ4");
    }

    @Test
    void aWrongMagicIsRejectedWithExpectedAndActual() {
        ByteBuffer batch = TestBatches.build(Compression.NONE, new byte[1]);
        batch.put(RecordBatch.MAGIC_OFFSET, (byte) 1);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("magic 1, expected 2");
    }

    @Test
    void aCrcMismatchNamesStoredAndComputedInHex() {
        ByteBuffer batch = TestBatches.build(Compression.NONE, new byte[1]);
        long computed = RecordBatch.computeCrc(batch, 0);
        batch.putInt(RecordBatch.CRC_OFFSET, 0xCAFE);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .isExactlyInstanceOf(CorruptBatchException.class)
                .hasMessageContaining("stored CRC32C 0xcafe != computed 0x" + Long.toHexString(computed));
    }

    @Test
    void aBatchLengthBelowTheHeaderIsRejected() {
        ByteBuffer batch = TestBatches.build(Compression.NONE, new byte[1]);
        batch.putInt(RecordBatch.LENGTH_OFFSET, 48);

        assertThatThrownBy(() -> BatchValidator.validate(batch, NO_LIMIT))
                .hasMessageContaining("batchLength 48 is smaller than the minimum 49");
        assertThatThrownBy(() -> RecordBatches.decode(batch)).isInstanceOf(InvalidBatchException.class);
    }

    @Test
    void truncationMessagesGiveDeclaredAndRemainingBytes() {
        ByteBuffer batch = TestBatches.build(Compression.NONE, new byte[100]);
        int size = batch.limit();

        assertThatThrownBy(() -> BatchValidator.validate(TestBatches.truncated(batch, 30), NO_LIMIT))
                .hasMessageContaining("truncated batch 0 at byte 0: 30 bytes remain, a batch header needs 61");
        assertThatThrownBy(() -> BatchValidator.validate(TestBatches.truncated(batch, size - 1), NO_LIMIT))
                .hasMessageContaining("truncated batch 0 at byte 0: batchLength " + (size - 12) + " needs " + size
                        + " bytes, only " + (size - 1) + " remain");
    }

    @Test
    void anEmptyBufferIsNotABatch() {
        assertThatThrownBy(() -> BatchValidator.validate(ByteBuffer.allocate(0), NO_LIMIT))
                .isExactlyInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("empty");
        assertThat(RecordBatches.decode(ByteBuffer.allocate(0))).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void readOnlyDirectAndLittleEndianBuffersAreReadAsBigEndianAndLeftUntouched(Compression compression) {
        List<Input> inputs = List.of(new Input(5L, new byte[] {1}, new byte[] {2, 3}, List.of()),
                new Input(9L, null, new byte[300], List.of(new RecordHeader("h", new byte[] {4}))));
        byte[] bytes = TestBatches.bytes(TestBatches.build(compression, inputs));
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();

        for (ByteBuffer buf : List.of(ByteBuffer.wrap(bytes).asReadOnlyBuffer(), direct.asReadOnlyBuffer(),
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN))) {
            assertThat(BatchValidator.validate(buf, NO_LIMIT).recordCount()).isEqualTo(2);
            assertThat(RecordBatches.decode(buf)).isEqualTo(TestBatches.expected(inputs, 0));
            assertThat(buf.position()).isZero();
            assertThat(buf.limit()).isEqualTo(bytes.length);
        }
    }
    private static ByteBuffer withProducer(long producerId, short epoch, int baseSequence) {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 64).producer(producerId, epoch, baseSequence);
        builder.append(1L, null, new byte[] {1}, List.of());
        return builder.build();
    }

    @Test
    void anIdempotentBatchNeedsAnEpochAndASequenceOfAtLeastZero() {
        assertThat(BatchValidator.validate(withProducer(7, (short) 0, 0), NO_LIMIT).batchCount()).isEqualTo(1);
        assertThat(BatchValidator.validate(withProducer(-1, (short) -1, -1), NO_LIMIT).batchCount()).isEqualTo(1);
        assertThatThrownBy(() -> BatchValidator.validate(withProducer(7, (short) 0, -1), NO_LIMIT))
                .isInstanceOf(InvalidBatchException.class).hasMessageContaining("baseSequence -1");
        assertThatThrownBy(() -> BatchValidator.validate(withProducer(7, (short) -1, 0), NO_LIMIT))
                .isInstanceOf(InvalidBatchException.class).hasMessageContaining("producerEpoch -1");
        assertThatThrownBy(() -> BatchValidator.validate(withProducer(-2, (short) 0, 0), NO_LIMIT))
                .isInstanceOf(InvalidBatchException.class).hasMessageContaining("producerId -2");
    }
}
