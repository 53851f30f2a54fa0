package io.strata.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.records.TestBatches.Input;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of the batch format over random records, for both codecs. */
class RecordBatchPropertiesTest {

    private static final int NO_LIMIT = Integer.MAX_VALUE;

    @Property(tries = 200)
    void decodeReturnsWhatWasAppended(@ForAll("records") List<Input> inputs, @ForAll Compression compression) {
        ByteBuffer batch = TestBatches.build(compression, inputs);

        assertThat(RecordBatches.decode(batch)).isEqualTo(TestBatches.expected(inputs, 0));
        BatchValidator.ValidatedBatches summary = BatchValidator.validate(batch, NO_LIMIT);
        assertThat(summary.batchCount()).isEqualTo(1);
        assertThat(summary.recordCount()).isEqualTo(inputs.size());
        assertThat(summary.firstTimestamp()).isEqualTo(inputs.get(0).timestamp());
        assertThat(summary.maxTimestamp())
                .isEqualTo(inputs.stream().mapToLong(Input::timestamp).max().orElseThrow());
        assertThat(batch.position()).isZero();
        assertThat(batch.limit()).isEqualTo(RecordBatch.sizeInBytes(batch, 0));
    }

    @Property(tries = 200)
    void stampingBaseOffsetAndEpochKeepsCrcValidAndShiftsOffsets(@ForAll("records") List<Input> inputs,
            @ForAll Compression compression, @ForAll("offsets") long baseOffset, @ForAll int epoch) {
        ByteBuffer batch = TestBatches.build(compression, inputs);

        RecordBatch.setBaseOffset(batch, 0, baseOffset);
        RecordBatch.setPartitionLeaderEpoch(batch, 0, epoch);

        assertThat(RecordBatch.isCrcValid(batch, 0)).isTrue();
        assertThat(BatchValidator.validate(batch, NO_LIMIT).recordCount()).isEqualTo(inputs.size());
        assertThat(RecordBatch.partitionLeaderEpoch(batch, 0)).isEqualTo(epoch);
        assertThat(RecordBatch.lastOffset(batch, 0)).isEqualTo(baseOffset + inputs.size() - 1);
        assertThat(RecordBatches.decode(batch)).isEqualTo(TestBatches.expected(inputs, baseOffset));
    }

    @Property(tries = 300)
    void flippingAnyBitCoveredByTheCrcIsDetectedAsCorrupt(@ForAll("records") List<Input> inputs,
            @ForAll Compression compression, @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where,
            @ForAll @IntRange(min = 0, max = 7) int bit) {
        ByteBuffer batch = TestBatches.build(compression, inputs);
        int covered = batch.limit() - RecordBatch.ATTRIBUTES_OFFSET;
        ByteBuffer flipped = TestBatches.flipBit(batch, RecordBatch.ATTRIBUTES_OFFSET + where % covered, bit);

        assertThatThrownBy(() -> BatchValidator.validate(flipped, NO_LIMIT))
                .isInstanceOf(CorruptBatchException.class)
                .hasMessageContaining("CRC32C");
        assertThatThrownBy(() -> RecordBatches.decode(flipped)).isInstanceOf(CorruptBatchException.class);
    }

    @Property(tries = 200)
    void flippingABitOfMagicOrLengthIsRejected(@ForAll("records") List<Input> inputs,
            @ForAll Compression compression, @ForAll @IntRange(min = 0, max = 4) int field,
            @ForAll @IntRange(min = 0, max = 7) int bit) {
        ByteBuffer batch = TestBatches.build(compression, inputs);
        // Bytes 8-11 are the length, byte 16 the magic.
        int index = field < 4 ? RecordBatch.LENGTH_OFFSET + field : RecordBatch.MAGIC_OFFSET;
        ByteBuffer flipped = TestBatches.flipBit(batch, index, bit);

        // A shorter length also moves the CRC's range: CorruptBatchException, a subtype.
        assertThatThrownBy(() -> BatchValidator.validate(flipped, NO_LIMIT))
                .isInstanceOf(InvalidBatchException.class);
    }

    @Property(tries = 200)
    void aTruncatedBatchFailsValidationAndIsIgnoredByDecode(@ForAll("records") List<Input> first,
            @ForAll("records") List<Input> second, @ForAll Compression compression,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int cut) {
        ByteBuffer whole = TestBatches.build(compression, first);
        ByteBuffer next = TestBatches.build(compression, second);
        // At least one byte, so that whole + partial really ends in a partial batch.
        ByteBuffer partial = TestBatches.truncated(next, 1 + cut % (next.limit() - 1));

        assertThatThrownBy(() -> BatchValidator.validate(partial, NO_LIMIT))
                .isInstanceOf(InvalidBatchException.class);
        assertThat(RecordBatches.decode(partial)).isEmpty();

        ByteBuffer wholeThenPartial = TestBatches.concat(List.of(whole, partial));
        assertThatThrownBy(() -> BatchValidator.validate(wholeThenPartial, NO_LIMIT))
                .isInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("batch 1");
        assertThat(RecordBatches.decode(wholeThenPartial)).isEqualTo(TestBatches.expected(first, 0));
    }

    @Property(tries = 100)
    void concatenatedBatchesValidateAndDecodeInOrder(
            @ForAll @Size(min = 1, max = 5) List<@From("records") List<Input>> batchInputs,
            @ForAll @Size(min = 5, max = 5) List<Compression> codecs,
            @ForAll @IntRange(min = 0, max = 64) int padding) {
        List<ByteBuffer> batches = new ArrayList<>();
        List<Record> expected = new ArrayList<>();
        long nextOffset = 1000;
        for (int i = 0; i < batchInputs.size(); i++) {
            ByteBuffer batch = TestBatches.build(codecs.get(i), batchInputs.get(i));
            RecordBatch.setBaseOffset(batch, 0, nextOffset);
            expected.addAll(TestBatches.expected(batchInputs.get(i), nextOffset));
            nextOffset += batchInputs.get(i).size();
            batches.add(batch);
        }
        // Place the batches mid-buffer with bytes on both sides that must not be read.
        ByteBuffer joined = TestBatches.concat(batches);
        ByteBuffer buffer = ByteBuffer.allocate(joined.remaining() + 2 * padding);
        buffer.position(padding).put(joined).position(padding).limit(padding + joined.limit());

        BatchValidator.ValidatedBatches summary = BatchValidator.validate(buffer, NO_LIMIT);

        assertThat(summary.batchCount()).isEqualTo(batchInputs.size());
        assertThat(summary.recordCount()).isEqualTo(expected.size());
        assertThat(summary.firstTimestamp()).isEqualTo(expected.get(0).timestamp());
        assertThat(summary.maxTimestamp())
                .isEqualTo(expected.stream().mapToLong(Record::timestamp).max().orElseThrow());
        assertThat(RecordBatches.decode(buffer)).isEqualTo(expected);
        assertThat(buffer.position()).isEqualTo(padding);
        assertThat(buffer.limit()).isEqualTo(padding + joined.limit());
    }

    @Provide
    Arbitrary<List<Input>> records() {
        Arbitrary<byte[]> bytes = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(600),
                Arbitraries.just(new byte[0]));
        Arbitrary<byte[]> nullableBytes = bytes.injectNull(0.2);
        // UTF-8 of 1, 2 and 3 bytes; no lone surrogates, which UTF-8 cannot carry.
        Arbitrary<String> headerKeys = Arbitraries.strings()
                .withCharRange('\u0000', '\u007f')
                .withCharRange('\u0080', '\u07ff')
                .withCharRange('\u0800', '\ud7ff')
                .ofMaxLength(12);
        Arbitrary<List<RecordHeader>> headers = Combinators.combine(headerKeys, nullableBytes)
                .as(RecordHeader::new).list().ofMaxSize(3);
        Arbitrary<Long> timestamps = Arbitraries.oneOf(
                Arbitraries.longs().between(1_600_000_000_000L, 1_600_000_100_000L),
                Arbitraries.longs());
        return Combinators.combine(timestamps, nullableBytes, nullableBytes, headers)
                .as(Input::new).list().ofMinSize(1).ofMaxSize(30);
    }

    @Provide
    Arbitrary<Long> offsets() {
        return Arbitraries.longs().between(0, 1L << 60);
    }
}
