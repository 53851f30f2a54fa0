package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.proto.v1.ErrorCode;
import io.strata.records.Compression;
import io.strata.records.RecordBatch;
import io.strata.records.RecordBatchBuilder;
import io.strata.records.RecordBatches;
import io.strata.records.RecordHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class ProducerBatchTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);
    private static final ProducerIdAndEpoch ID = new ProducerIdAndEpoch(1001, (short) 2);
    private static final List<RecordHeader> HEADERS = List.of(new RecordHeader("trace", new byte[] {1, 2}));

    /** A compressible value: LZ4 shrinks a batch of these to a small part of its size. */
    private static byte[] value(int i) {
        return ("value " + i + " " + "abcdefgh".repeat(10)).getBytes(StandardCharsets.UTF_8);
    }

    private static ProducerBatch batch(Compression compression, int batchSize) {
        return new ProducerBatch(TP, compression, batchSize, batchSize, 0, 120_000);
    }

    private static boolean append(ProducerBatch batch, int i) {
        byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
        return batch.tryAppend(ProducerBatch.completing(new CompletableFuture<>()), 10L + i, key, value(i), HEADERS,
                ProducerBatch.estimateSize(key, value(i), HEADERS));
    }

    /** The batch as the sender built it before appending threads compressed: records, then stamp, then build. */
    private static ByteBuffer builtAtOnce(Compression compression, int records, int firstSequence) {
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, 256);
        for (int i = 0; i < records; i++) {
            builder.append(10L + i, ("k" + i).getBytes(StandardCharsets.UTF_8), value(i), HEADERS);
        }
        return builder.producer(ID.producerId(), ID.epoch(), firstSequence).build();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void theAppendThatFindsTheBatchFullCompressesItAndTheBytesAreTheSame(Compression compression) {
        ProducerBatch batch = batch(compression, 4096);
        List<Integer> uncompressed = new ArrayList<>();
        int appended = 0;
        while (append(batch, appended)) {
            appended++;
            assertThat(batch.isFull()).isFalse();
            uncompressed.add(batch.sizeUpperBound());
        }
        assertThat(batch.isFull()).isTrue();
        int last = uncompressed.getLast();
        if (compression == Compression.LZ4) {
            // The refused append compressed the batch: its request size is now the compressed one.
            assertThat(batch.sizeUpperBound()).isLessThan(last / 2);
        } else {
            assertThat(batch.sizeUpperBound()).isEqualTo(last);
        }

        // The sender stamps the idempotent producer's fields afterwards, then seals.
        batch.setProducerState(ID, 77);
        ByteBuffer sealed = batch.close();

        assertThat(sealed).isEqualTo(builtAtOnce(compression, appended, 77));
        assertThat(sealed.remaining()).isEqualTo(batch.sizeUpperBound());
        assertThat(RecordBatch.isCrcValid(sealed, 0)).isTrue();
        assertThat(RecordBatches.decode(sealed)).hasSize(appended);
    }

    @Test
    void theAppendThatFillsTheBatchCompressesIt() {
        ProducerBatch batch = batch(Compression.LZ4, 1000);
        byte[] zeros = new byte[2000];
        assertThat(batch.tryAppend(ProducerBatch.completing(new CompletableFuture<>()), 5L, null, zeros,
                List.of(), ProducerBatch.estimateSize(null, zeros, List.of()))).isTrue();
        assertThat(batch.isFull()).isTrue();
        assertThat(batch.sizeUpperBound()).isLessThan(200);

        batch.setProducerState(ID, 0);
        RecordBatchBuilder expected = new RecordBatchBuilder(Compression.LZ4, 0);
        expected.append(5L, null, zeros, List.of());
        assertThat(batch.close()).isEqualTo(expected.producer(ID.producerId(), ID.epoch(), 0).build());
    }

    @Test
    void aBatchSentBeforeItFilledIsCompressedWhenSealed() {
        ProducerBatch batch = batch(Compression.LZ4, 65536);
        for (int i = 0; i < 5; i++) {
            assertThat(append(batch, i)).isTrue();
        }
        int uncompressed = batch.sizeUpperBound();
        assertThat(batch.isFull()).isFalse();

        batch.setProducerState(ID, 5);
        ByteBuffer sealed = batch.close();

        assertThat(sealed).isEqualTo(builtAtOnce(Compression.LZ4, 5, 5));
        assertThat(sealed.remaining()).isLessThan(uncompressed);
        assertThat(batch.isFull()).isTrue();
    }

    @Test
    void completesEveryRecordInAppendOrderWithItsOffsetAndCreateTime() {
        ProducerBatch batch = batch(Compression.NONE, 65536);
        List<String> calls = new ArrayList<>();
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int record = i;
            // The first record claims to fill the batch, so the record arrays start at one slot and grow.
            int estimate = i == 0 ? 60_000 : 20;
            boolean appended;
            if (i % 2 == 0) {
                CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
                futures.add(future);
                appended = batch.tryAppend(ProducerBatch.completing(future), 100L + i, null, new byte[1], List.of(),
                        estimate);
            } else {
                appended = batch.tryAppend((metadata, error) -> calls.add(record + "@" + metadata.offset() + "/"
                        + metadata.timestamp()), 100L + i, null, new byte[1], List.of(), estimate);
            }
            assertThat(appended).isTrue();
        }
        assertThat(batch.recordCount()).isEqualTo(20);

        batch.complete(500, -1);

        for (int i = 0; i < 10; i++) {
            assertThat(futures.get(i).join()).isEqualTo(new RecordMetadata("t", 0, 500 + 2 * i, 100L + 2 * i));
        }
        assertThat(calls).hasSize(10).first().isEqualTo("1@501/101");
        assertThat(calls).last().isEqualTo("19@519/119");
        assertThat(batch.done()).isCompleted();
    }

    @Test
    void failingABatchGivesEveryRecordTheError() {
        ProducerBatch batch = batch(Compression.NONE, 65536);
        CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
        List<Exception> errors = new ArrayList<>();
        batch.tryAppend(ProducerBatch.completing(future), 1L, null, new byte[1], List.of(), 20);
        batch.tryAppend((metadata, error) -> errors.add(error), 2L, null, new byte[1], List.of(), 20);
        StrataException refused = new StrataException(ErrorCode.RECORD_TOO_LARGE, "too large");

        batch.fail(refused);

        assertThat(future).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                .withCause(refused);
        assertThat(errors).containsExactly(refused);
    }
}
