package io.strata.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RecordBatchBuilderTest {

    @ParameterizedTest
    @EnumSource(Compression.class)
    void buildWritesTheHeaderFields(Compression compression) {
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, 0)
                .producer(42L, (short) 7, 100);
        builder.append(1_000L, "k".getBytes(StandardCharsets.UTF_8), new byte[10], null);
        builder.append(900L, null, null, List.of());
        builder.append(1_500L, new byte[0], new byte[0], List.of(new RecordHeader("h", null)));

        ByteBuffer batch = builder.build();

        assertThat(batch.position()).isZero();
        assertThat(batch.limit()).isEqualTo(RecordBatch.sizeInBytes(batch, 0));
        assertThat(RecordBatch.baseOffset(batch, 0)).isZero();
        assertThat(RecordBatch.partitionLeaderEpoch(batch, 0)).isEqualTo(RecordBatch.NO_PARTITION_LEADER_EPOCH);
        assertThat(RecordBatch.magic(batch, 0)).isEqualTo(RecordBatch.MAGIC);
        assertThat(RecordBatch.compression(batch, 0)).isEqualTo(compression);
        assertThat(RecordBatch.isLogAppendTime(batch, 0)).isFalse();
        assertThat(RecordBatch.lastOffsetDelta(batch, 0)).isEqualTo(2);
        assertThat(RecordBatch.recordCount(batch, 0)).isEqualTo(3);
        assertThat(RecordBatch.baseTimestamp(batch, 0)).isEqualTo(1_000L);
        assertThat(RecordBatch.maxTimestamp(batch, 0)).isEqualTo(1_500L);
        assertThat(RecordBatch.producerId(batch, 0)).isEqualTo(42L);
        assertThat(RecordBatch.producerEpoch(batch, 0)).isEqualTo((short) 7);
        assertThat(RecordBatch.baseSequence(batch, 0)).isEqualTo(100);
        assertThat(RecordBatch.isCrcValid(batch, 0)).isTrue();
    }

    @Test
    void producerFieldsDefaultToNotIdempotent() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 128);
        builder.append(0L, null, new byte[1], null);
        ByteBuffer batch = builder.build();
        assertThat(RecordBatch.producerId(batch, 0)).isEqualTo(RecordBatch.NO_PRODUCER_ID);
        assertThat(RecordBatch.producerEpoch(batch, 0)).isEqualTo(RecordBatch.NO_PRODUCER_EPOCH);
        assertThat(RecordBatch.baseSequence(batch, 0)).isEqualTo(RecordBatch.NO_SEQUENCE);
    }

    @Test
    void estimatedSizeIsTheUncompressedSizeIncludingTheHeader() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.LZ4, 16);
        assertThat(builder.estimatedSizeInBytes()).isEqualTo(RecordBatch.HEADER_SIZE);
        builder.append(5L, null, new byte[1000], null);
        // length(2) + attributes(1) + timestampDelta(1) + offsetDelta(1) + key(1) + value(2 + 1000) + headers(1)
        assertThat(builder.estimatedSizeInBytes()).isEqualTo(RecordBatch.HEADER_SIZE + 1009);
        assertThat(builder.recordCount()).isEqualTo(1);
        // 1000 zero bytes compress well: the built batch is much smaller than the estimate.
        assertThat(builder.build().limit()).isLessThan(200);
    }

    @Test
    void recordSizeInBytesIsWhatEachRecordTakesInTheBatch() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 16);
        byte[][] values = {new byte[10], new byte[200], null};
        long[] timestamps = {1_000L, 1_000L + 100_000L, 999L};
        List<RecordHeader> headers = List.of(new RecordHeader("trace-é", new byte[3]));
        for (int i = 0; i < values.length; i++) {
            int before = builder.estimatedSizeInBytes();
            long predicted = RecordBatchBuilder.recordSizeInBytes(timestamps[i] - timestamps[0], i, "key".getBytes(StandardCharsets.UTF_8),
                    values[i], headers);
            builder.append(timestamps[i], "key".getBytes(StandardCharsets.UTF_8), values[i], headers);
            assertThat(builder.estimatedSizeInBytes() - before).isEqualTo(predicted);
        }
    }

    @Test
    void theBufferGrowsPastTheInitialCapacity() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 0);
        byte[] value = new byte[100];
        for (int i = 0; i < 1000; i++) {
            Arrays.fill(value, (byte) i);
            builder.append(i, null, value.clone(), null);
        }
        List<Record> records = RecordBatches.decode(builder.build());
        assertThat(records).hasSize(1000);
        assertThat(records.get(999).offset()).isEqualTo(999);
        assertThat(records.get(999).value()).containsOnly((byte) 999);
    }

    @Test
    void nonAsciiHeaderKeysRoundTripAsUtf8() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 0);
        List<RecordHeader> headers = List.of(new RecordHeader("trace-id", new byte[] {1}),
                new RecordHeader("clé-😀", null), new RecordHeader("", new byte[0]));
        builder.append(1L, null, null, headers);
        assertThat(RecordBatches.decode(builder.build()).get(0).headers()).isEqualTo(headers);
    }

    @Test
    void buildCanBeCalledOnlyOnce() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 0);
        builder.append(1L, null, null, null);
        builder.build();
        assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> builder.append(1L, null, null, null)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anEmptyBatchCannotBeBuilt() {
        assertThatThrownBy(() -> new RecordBatchBuilder(Compression.LZ4, 0).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without records");
    }
    @Test
    void producerFieldsLandInTheHeaderAndTheLastSequenceWrapsAfterIntegerMax() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 0)
                .producer(42L, (short) 3, Integer.MAX_VALUE - 1);
        for (int i = 0; i < 4; i++) {
            builder.append(1L, null, null, null);
        }
        java.nio.ByteBuffer batch = builder.build();
        assertThat(RecordBatch.producerId(batch, 0)).isEqualTo(42L);
        assertThat(RecordBatch.producerEpoch(batch, 0)).isEqualTo((short) 3);
        assertThat(RecordBatch.baseSequence(batch, 0)).isEqualTo(Integer.MAX_VALUE - 1);
        assertThat(RecordBatch.lastSequence(batch, 0)).isEqualTo(1);
        assertThat(RecordBatch.incrementSequence(5, 3)).isEqualTo(8);
        assertThat(RecordBatch.incrementSequence(Integer.MAX_VALUE, 1)).isZero();
    }

    @Test
    void aBatchWithoutProducerHasNoLastSequence() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 0);
        builder.append(1L, null, null, null);
        builder.append(1L, null, null, null);
        assertThat(RecordBatch.lastSequence(builder.build(), 0)).isEqualTo(RecordBatch.NO_SEQUENCE);
    }

    /** Appends the same records to a builder: letters (compressible), random bytes (not), headers, nulls. */
    private static RecordBatchBuilder filled(Compression compression, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, 1024);
        for (int i = 0; i < 600; i++) {
            byte[] value = new byte[random.nextInt(200)];
            for (int j = 0; j < value.length; j++) {
                value[j] = (byte) (i % 2 == 0 ? 'A' + random.nextInt(26) : random.nextInt(256));
            }
            byte[] key = i % 7 == 0 ? null : ("key-" + i).getBytes(StandardCharsets.UTF_8);
            List<RecordHeader> headers = i % 5 == 0 ? List.of(new RecordHeader("h-" + i, value.length > 3 ? null : value)) : null;
            builder.append(1_700_000_000_000L + random.nextInt(1000), key, i % 11 == 0 ? null : value, headers);
        }
        return builder;
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aBatchWhoseRecordsWereClosedEarlyIsByteForByteTheSame(Compression compression) {
        for (long seed = 0; seed < 5; seed++) {
            RecordBatchBuilder atBuild = filled(compression, seed).producer(42L, (short) 7, 1000);
            RecordBatchBuilder early = filled(compression, seed);
            early.closeRecords();
            // The producer fields are stamped after the records were closed (as the sender does).
            early.producer(42L, (short) 7, 1000);

            ByteBuffer expected = atBuild.build();
            ByteBuffer actual = early.build();

            assertThat(actual).isEqualTo(expected);
            assertThat(RecordBatch.isCrcValid(actual, 0)).isTrue();
            assertThat(RecordBatch.compression(actual, 0)).isEqualTo(compression);
            assertThat(RecordBatches.decode(actual)).hasSize(600);
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void closingTheRecordsEndsAppendsAndGivesTheBuiltSize(Compression compression) {
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, 0);
        builder.append(1L, null, new byte[1000], null);
        int uncompressed = builder.estimatedSizeInBytes();
        assertThat(builder.expectedSizeInBytes()).isEqualTo(uncompressed);
        assertThat(builder.recordsClosed()).isFalse();

        builder.closeRecords();
        builder.closeRecords(); // a second call does nothing

        assertThat(builder.recordsClosed()).isTrue();
        assertThat(builder.estimatedSizeInBytes()).isEqualTo(uncompressed);
        assertThatThrownBy(() -> builder.append(2L, null, null, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        int expectedSize = builder.expectedSizeInBytes();
        if (compression == Compression.LZ4) {
            assertThat(expectedSize).isLessThan(200); // 1000 zero bytes compress well
        }
        ByteBuffer batch = builder.build();
        assertThat(batch.limit()).isEqualTo(expectedSize);
        assertThatThrownBy(builder::closeRecords).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aBatchBuiltInAGivenBufferStaysInItAndOverwritesWhatWasThere(Compression compression) {
        ByteBuffer reused = ByteBuffer.allocate(4096);
        Arrays.fill(reused.array(), (byte) 0x5a); // a previous batch's bytes
        reused.position(100).limit(200);
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, reused);
        for (int i = 0; i < 20; i++) {
            builder.append(1_000L + i, null, ("value " + i).getBytes(StandardCharsets.UTF_8), null);
        }

        ByteBuffer batch = builder.build();

        assertThat(batch).isSameAs(reused);
        assertThat(RecordBatch.isCrcValid(batch, 0)).isTrue();
        assertThat(RecordBatch.compression(batch, 0)).isEqualTo(compression);
        assertThat(RecordBatches.decode(batch)).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                .hasSize(20).startsWith("value 0").endsWith("value 19");
    }

    @Test
    void aBatchThatOutgrowsItsGivenBufferMovesToALargerOne() {
        ByteBuffer small = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + 16);
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, small);
        builder.append(0L, null, new byte[100], null);
        ByteBuffer batch = builder.build();
        assertThat(batch).isNotSameAs(small);
        assertThat(RecordBatches.decode(batch)).hasSize(1);
    }

    @Test
    void aGivenBufferMustBeAWholeHeapArray() {
        assertThatThrownBy(() -> new RecordBatchBuilder(Compression.NONE, ByteBuffer.allocateDirect(4096)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RecordBatchBuilder(Compression.NONE, ByteBuffer.allocate(4096).slice(8, 1024)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
