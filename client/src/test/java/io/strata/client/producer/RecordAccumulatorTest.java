package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.testing.MutableClock;
import io.strata.proto.v1.ErrorCode;
import io.strata.records.Compression;
import io.strata.records.Record;
import io.strata.records.RecordBatch;
import io.strata.records.RecordBatches;
import io.strata.records.RecordHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class RecordAccumulatorTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);
    private static final long LINGER_MS = 5;

    private final MutableClock clock = new MutableClock(1_000_000);
    private final BufferPool pool = new BufferPool(1 << 20);

    private RecordAccumulator accumulator(int batchSize) {
        return new RecordAccumulator(batchSize, Compression.NONE, LINGER_MS, 120_000, pool, 0, clock);
    }

    /** An append and the future its record completes. */
    private record Appended(RecordAccumulator.AppendResult result, CompletableFuture<RecordMetadata> future) {
        boolean newBatch() {
            return result.newBatch();
        }

        boolean batchFull() {
            return result.batchFull();
        }

        boolean aborted() {
            return result.aborted();
        }
    }

    private static Appended append(RecordAccumulator acc, TopicPartition tp, int valueBytes) {
        return append(acc, tp, 1L, null, new byte[valueBytes], List.of(), false, 0);
    }

    private static Appended append(RecordAccumulator acc, TopicPartition tp, long timestamp, byte[] key, byte[] value,
                                   List<RecordHeader> headers, boolean abortOnNewBatch, long maxBlockMs) {
        CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
        return new Appended(acc.append(tp, ProducerBatch.completing(future), timestamp, key, value, headers,
                abortOnNewBatch, maxBlockMs), future);
    }

    @Test
    void batchIsNotReadyBeforeLingerExpires() {
        RecordAccumulator acc = accumulator(65536);
        append(acc, TP, 10);

        RecordAccumulator.ReadyCheck check = acc.ready(clock.millis(), Set.of());
        assertThat(check.ready()).isEmpty();
        assertThat(check.nextCheckDelayMs()).isEqualTo(LINGER_MS);

        clock.advance(LINGER_MS);
        assertThat(acc.ready(clock.millis(), Set.of()).ready()).containsExactly(TP);
    }

    @Test
    void fullBatchIsReadyAtOnceAndTheNextRecordStartsANewBatch() {
        RecordAccumulator acc = accumulator(1024);
        Appended first = append(acc, TP, 400);
        assertThat(first.newBatch()).isTrue();
        Appended second = append(acc, TP, 400);
        assertThat(second.newBatch()).isFalse();
        Appended third = append(acc, TP, 400);
        assertThat(third.newBatch()).isTrue();

        assertThat(acc.ready(clock.millis(), Set.of()).ready()).containsExactly(TP);
    }

    @Test
    void recordLargerThanBatchSizeGetsABatchOfItsOwn() {
        RecordAccumulator acc = accumulator(100);
        Appended big = append(acc, TP, 5000);
        assertThat(big.newBatch()).isTrue();
        assertThat(big.batchFull()).isTrue();
        List<ProducerBatch> drained = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP);
        assertThat(drained).hasSize(1);
        assertThat(drained.get(0).recordCount()).isEqualTo(1);
    }

    @Test
    void drainPutsAllQueuedBatchesOfAPartitionInOneRequestInOrder() {
        RecordAccumulator acc = accumulator(200);
        for (int i = 0; i < 10; i++) {
            append(acc, TP, 60);
        }
        List<ProducerBatch> drained = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP);
        assertThat(drained).hasSizeGreaterThan(1);
        assertThat(drained.stream().mapToInt(ProducerBatch::recordCount).sum()).isEqualTo(10);
        assertThat(acc.hasQueued()).isFalse();
    }

    @Test
    void drainStopsAtMaxRequestSizeButAlwaysTakesOneBatch() {
        RecordAccumulator acc = accumulator(200);
        for (int i = 0; i < 10; i++) {
            append(acc, TP, 60);
        }
        List<ProducerBatch> drained = acc.drain(TP, 1, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP);
        assertThat(drained).hasSize(1);
        assertThat(acc.hasQueued()).isTrue();
    }

    @Test
    void fullCompressedBatchesCountWithTheirCompressedSizeInARequest() {
        RecordAccumulator acc = new RecordAccumulator(4096, Compression.LZ4, LINGER_MS, 120_000, pool, 0, clock);
        for (int i = 0; i < 200; i++) { // 36 records of 100 zero bytes fill a batch: five full ones, an open sixth
            append(acc, TP, 100);
        }
        // Uncompressed, one full batch nearly fills a request of 4 KiB; compressed (by the appends
        // that found them full) they are a small part of that, so all five full ones go together.
        List<ProducerBatch> drained = acc.drain(TP, clock.millis(), 4096, Integer.MAX_VALUE, true,
                RecordAccumulator.NOTHING_TO_STAMP);
        assertThat(drained).hasSize(5);
        assertThat(drained).allSatisfy(b -> assertThat(b.recordCount()).isEqualTo(36));
        assertThat(RecordBatches.decode(concat(drained))).hasSize(180);
        assertThat(acc.hasQueued()).isTrue();
    }

    @Test
    void abortOnNewBatchReportsAMissingOpenBatchWithoutAppending() {
        RecordAccumulator acc = accumulator(65536);
        Appended aborted = append(acc, TP, 1L, null, new byte[1], List.of(), true, 0);
        assertThat(aborted.aborted()).isTrue();
        assertThat(acc.hasQueued()).isFalse();

        append(acc, TP, 1);
        Appended joined = append(acc, TP, 1L, null, new byte[1], List.of(), true, 0);
        assertThat(joined.aborted()).isFalse();
        assertThat(joined.newBatch()).isFalse();
    }

    @Test
    void flushMakesLingeringBatchesReady() {
        RecordAccumulator acc = accumulator(65536);
        append(acc, TP, 10);
        acc.beginFlush();
        assertThat(acc.ready(clock.millis(), Set.of()).ready()).containsExactly(TP);
        acc.endFlush();
        assertThat(acc.ready(clock.millis(), Set.of()).ready()).isEmpty();
    }

    @Test
    void mutedPartitionsAreNotReady() {
        RecordAccumulator acc = accumulator(100);
        append(acc, TP, 500);
        assertThat(acc.ready(clock.millis(), Set.of(TP)).ready()).isEmpty();
    }

    @Test
    void reenqueuedBatchesGoBackInFrontOfNewerOnes() {
        RecordAccumulator acc = accumulator(100);
        append(acc, TP, 80);
        List<ProducerBatch> first = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP);
        append(acc, TP, 81);
        acc.reenqueue(first);
        List<ProducerBatch> again = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP);
        assertThat(again.get(0)).isSameAs(first.get(0));
        List<Record> records = RecordBatches.decode(concat(again));
        assertThat(records).extracting(r -> r.value().length).containsExactly(80, 81);
    }

    @Test
    void aRetriedBatchIsResentWithoutTheBatchesQueuedBehindIt() {
        RecordAccumulator acc = accumulator(100);
        append(acc, TP, 80);
        List<ProducerBatch> first = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP);
        first.forEach(ProducerBatch::recordAttempt);
        append(acc, TP, 81);
        append(acc, TP, 82);
        acc.reenqueue(first);

        List<ProducerBatch> retry = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP);
        assertThat(retry).containsExactlyElementsOf(first);
        List<ProducerBatch> fresh = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP);
        assertThat(RecordBatches.decode(concat(fresh))).extracting(r -> r.value().length).containsExactly(81, 82);
    }

    @Test
    void batchesPastTheDeliveryTimeoutExpire() {
        RecordAccumulator acc = new RecordAccumulator(65536, Compression.NONE, LINGER_MS, 1_000, pool, 0, clock);
        Appended r = append(acc, TP, 10);
        assertThat(acc.expire(clock.millis(), Set.of())).isEmpty();
        clock.advance(1_000);
        List<ProducerBatch> expired = acc.expire(clock.millis(), Set.of());
        assertThat(expired).hasSize(1);
        acc.fail(expired.get(0), new StrataException(ErrorCode.REQUEST_TIMED_OUT, "expired"));
        assertThat(r.future()).isCompletedExceptionally();
    }

    @Test
    void aBatchHoldsBatchSizeBytesOfMemoryAndEachRecordItsObjects() {
        int objects = ProducerBatch.RECORD_OBJECTS_BYTES;
        RecordAccumulator acc = accumulator(4096);
        append(acc, TP, 10);
        append(acc, TP, 10);
        assertThat(pool.availableBytes()).isEqualTo(pool.totalBytes() - 4096 - 2 * objects);
        append(acc, new TopicPartition("t", 1), 10);
        assertThat(pool.availableBytes()).isEqualTo(pool.totalBytes() - 2 * 4096 - 3 * objects);
    }

    @Test
    void aRecordLargerThanBatchSizeHoldsItsOwnSize() {
        RecordAccumulator acc = accumulator(4096);
        append(acc, TP, 10_000);
        assertThat(pool.totalBytes() - pool.availableBytes() - ProducerBatch.RECORD_OBJECTS_BYTES)
                .isGreaterThan(10_000).isLessThan(10_200);
    }

    @Test
    void aNewBatchWaitsForMemoryAndFailsWithBufferExhaustedWhenNoneComesFree() {
        BufferPool small = new BufferPool(8192 + 2 * ProducerBatch.RECORD_OBJECTS_BYTES);
        RecordAccumulator acc = new RecordAccumulator(4096, Compression.NONE, LINGER_MS, 120_000, small, 0, clock);
        append(acc, TP, 3000);
        append(acc, TP, 3000);
        assertThat(small.availableBytes()).isZero();
        assertThatThrownBy(() -> append(acc, TP, 1L, null, new byte[3000], List.of(), false, 20))
                .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.reason()).isEqualTo(ErrorCode.BUFFER_EXHAUSTED));
        assertThat(acc.partitionsWithBatches()).containsExactly(TP);
    }

    @Test
    void aSplitBatchKeepsItsMemoryUntilEveryPartIsDone() {
        RecordAccumulator acc = accumulator(4096);
        append(acc, TP, 3);
        append(acc, TP, 4);
        ProducerBatch batch = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP).get(0);
        List<ProducerBatch> parts = batch.splitPerRecord();
        acc.replaced(batch, parts);
        acc.complete(parts.get(0), 10, -1);
        assertThat(pool.availableBytes()).isEqualTo(pool.totalBytes() - 4096 - 2 * ProducerBatch.RECORD_OBJECTS_BYTES);
        acc.fail(parts.get(1), new StrataException(ErrorCode.RECORD_TOO_LARGE, "too large"));
        assertThat(pool.availableBytes()).isEqualTo(pool.totalBytes());
    }

    @Test
    void aCompletedBatchsBufferIsReusedByTheNextBatchWithNothingOfItsRecordsLeft() {
        BufferPool pooling = new BufferPool(1 << 20, 4096);
        RecordAccumulator acc = new RecordAccumulator(4096, Compression.NONE, LINGER_MS, 120_000, pooling, 0, clock);
        append(acc, TP, 1L, null, "first".getBytes(StandardCharsets.UTF_8), List.of(), false, 0);
        ProducerBatch first = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP).get(0);
        first.close();
        acc.complete(first, 0, -1);
        assertThat(pooling.freeBuffers()).isEqualTo(1);
        assertThat(pooling.availableBytes()).isEqualTo(pooling.totalBytes());

        TopicPartition other = new TopicPartition("t", 1);
        append(acc, other, 2L, null, "2nd".getBytes(StandardCharsets.UTF_8), List.of(), false, 0);
        assertThat(pooling.freeBuffers()).isZero();
        ProducerBatch second = acc.drain(other, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP).get(0);
        ByteBuffer bytes = second.close();

        assertThat(RecordBatch.isCrcValid(bytes, 0)).isTrue();
        assertThat(RecordBatches.decode(bytes)).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                .containsExactly("2nd");
        assertThat(pooling.availableBytes()).isEqualTo(pooling.totalBytes() - 4096 - ProducerBatch.RECORD_OBJECTS_BYTES);
    }

    @Test
    void completingABatchFreesItsMemory() {
        RecordAccumulator acc = accumulator(65536);
        byte[] value = new byte[1000];
        Appended r = append(acc, TP, 7L, null, value, List.of(), false, 0);
        assertThat(pool.availableBytes()).isEqualTo(pool.totalBytes() - 65536 - ProducerBatch.RECORD_OBJECTS_BYTES);

        ProducerBatch batch = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP).get(0);
        batch.complete(42, -1);
        acc.deallocate(batch);

        assertThat(pool.availableBytes()).isEqualTo(pool.totalBytes());
        assertThat(r.future().join()).isEqualTo(new RecordMetadata("t", 0, 42, 7L));
    }

    @Test
    void splitGivesOneSendAloneBatchPerRecordBoundToTheOriginalFutures() {
        RecordAccumulator acc = accumulator(65536);
        Appended a = append(acc, TP, 3);
        Appended b = append(acc, TP, 4);
        ProducerBatch batch = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, RecordAccumulator.NOTHING_TO_STAMP).get(0);

        List<ProducerBatch> parts = batch.splitPerRecord();
        assertThat(parts).hasSize(2).allMatch(ProducerBatch::sendAlone);
        parts.get(0).complete(10, -1);
        parts.get(1).fail(new StrataException(ErrorCode.RECORD_TOO_LARGE, "too large"));

        assertThat(a.future().join().offset()).isEqualTo(10);
        assertThat(b.future()).isCompletedExceptionally();
    }

    @Test
    void aPipelinedDrainTakesOnlySendableBatchesAndLeavesTheOpenOneToFill() {
        RecordAccumulator acc = accumulator(200);
        for (int i = 0; i < 3; i++) {
            append(acc, TP, 150); // each fills a batch
        }
        append(acc, TP, 10); // the open batch, still lingering
        List<ProducerBatch> drained = acc.drain(TP, clock.millis(), Integer.MAX_VALUE, Integer.MAX_VALUE, true,
                RecordAccumulator.NOTHING_TO_STAMP);
        assertThat(drained).hasSize(3);
        assertThat(acc.drain(TP, clock.millis(), Integer.MAX_VALUE, Integer.MAX_VALUE, true,
                RecordAccumulator.NOTHING_TO_STAMP)).isEmpty();
        clock.advance(LINGER_MS);
        assertThat(acc.drain(TP, clock.millis(), Integer.MAX_VALUE, Integer.MAX_VALUE, true,
                RecordAccumulator.NOTHING_TO_STAMP)).hasSize(1);
    }

    @Test
    void aResendGoesExactlyAsItsFirstRequestAndOnlyWhenNothingIsInFlight() {
        RecordAccumulator acc = accumulator(100);
        for (int i = 0; i < 4; i++) {
            append(acc, TP, 80);
        }
        List<ProducerBatch> first = acc.drain(TP, Integer.MAX_VALUE, 2, RecordAccumulator.NOTHING_TO_STAMP);
        List<ProducerBatch> second = acc.drain(TP, Integer.MAX_VALUE, 2, RecordAccumulator.NOTHING_TO_STAMP);
        first.forEach(b -> {
            b.sendGroup(1);
            b.recordAttempt();
        });
        second.forEach(b -> {
            b.sendGroup(2);
            b.recordAttempt();
        });
        List<ProducerBatch> both = new ArrayList<>(first);
        both.addAll(second);
        acc.reenqueue(both);

        long now = clock.millis();
        assertThat(acc.drain(TP, now, Integer.MAX_VALUE, Integer.MAX_VALUE, false, RecordAccumulator.NOTHING_TO_STAMP))
                .as("not while something is in flight").isEmpty();
        assertThat(acc.drain(TP, now, Integer.MAX_VALUE, Integer.MAX_VALUE, true, RecordAccumulator.NOTHING_TO_STAMP))
                .containsExactlyElementsOf(first);
        assertThat(acc.drain(TP, now, Integer.MAX_VALUE, Integer.MAX_VALUE, true, RecordAccumulator.NOTHING_TO_STAMP))
                .containsExactlyElementsOf(second);
    }

    @Test
    void aResetBatchIsStampedAgainWithAValidCrc() {
        RecordAccumulator acc = accumulator(65536);
        append(acc, TP, 30);
        ProducerBatch batch = acc.drain(TP, Integer.MAX_VALUE, Integer.MAX_VALUE, b -> {
            b.setProducerState(new ProducerIdAndEpoch(1001, (short) 0), 7);
            return true;
        }).getFirst();
        ByteBuffer sent = batch.close();
        batch.sendGroup(3);
        batch.resetProducerState();
        assertThat(batch.producerIdAndEpoch()).isNull();
        assertThat(batch.sendGroup()).isEqualTo(-1);
        assertThat(RecordBatch.producerId(sent, 0)).as("the bytes sent before stay as they were")
                .isEqualTo(1001);
        batch.setProducerState(new ProducerIdAndEpoch(1002, (short) 0), 0);
        ByteBuffer again = batch.close();
        assertThat(RecordBatch.producerId(again, 0)).isEqualTo(1002);
        assertThat(RecordBatch.baseSequence(again, 0)).isZero();
        assertThat(RecordBatch.isCrcValid(again, 0)).isTrue();
        assertThat(RecordBatches.decode(again)).hasSize(1);
    }

    private static ByteBuffer concat(List<ProducerBatch> batches) {
        int size = batches.stream().mapToInt(b -> b.close().remaining()).sum();
        ByteBuffer out = ByteBuffer.allocate(size);
        batches.forEach(b -> out.put(b.close()));
        return out.flip();
    }

    @Test
    void aBatchIsSendableOnceOneIsQueuedBehindItOrItLingered() {
        RecordAccumulator acc = accumulator(1024);
        append(acc, TP, 400);
        ProducerBatch first = acc.drain(TP, Integer.MAX_VALUE, 1, RecordAccumulator.NOTHING_TO_STAMP).get(0);
        assertThat(first.sendableSinceMs(LINGER_MS)).isEqualTo(clock.millis() + LINGER_MS);

        long start = clock.millis();
        append(acc, TP, 400);
        clock.advance(2);
        append(acc, TP, 400);
        append(acc, TP, 400); // does not fit: a second batch is queued behind the first, 2 ms in
        List<ProducerBatch> drained = acc.drain(TP, Integer.MAX_VALUE, 2, RecordAccumulator.NOTHING_TO_STAMP);
        assertThat(drained.get(0).sendableSinceMs(LINGER_MS)).isEqualTo(start + 2);
        assertThat(drained.get(1).sendableSinceMs(LINGER_MS)).isEqualTo(start + 2 + LINGER_MS);
    }

    @Test
    void batchesAnsweredAtTheirFirstAttemptSetTheQueueLimitAndRetriedOnesDoNot() {
        BufferPool big = new BufferPool(64L << 20, 65536);
        RecordAccumulator acc = new RecordAccumulator(65536, Compression.NONE, LINGER_MS, 120_000, big, 10, clock);
        QueueDelayLimiter limiter = acc.queueDelayLimiter();
        assertThat(limiter).isNotNull();

        answerOneBatch(acc, 2); // retried: not measured, so no interval closes
        clock.advance(QueueDelayLimiter.INTERVAL_MS);
        answerOneBatch(acc, 2);
        assertThat(big.limit()).isEqualTo(64L << 20);

        answerOneBatch(acc, 1);
        clock.advance(QueueDelayLimiter.INTERVAL_MS);
        answerOneBatch(acc, 1); // an interval of one batch per 100 ms: the least limit
        assertThat(big.limit()).isEqualTo(limiter.floorBytes()).isEqualTo(1L << 20);

        assertThat(new RecordAccumulator(65536, Compression.NONE, LINGER_MS, 120_000, big, 0, clock)
                .queueDelayLimiter()).isNull();
    }

    /** Appends a record, drains its batch after the linger, sends it {@code attempts} times and completes it. */
    private void answerOneBatch(RecordAccumulator acc, int attempts) {
        append(acc, TP, 100);
        clock.advance(LINGER_MS);
        ProducerBatch batch = acc.drain(TP, Integer.MAX_VALUE, 1, RecordAccumulator.NOTHING_TO_STAMP).get(0);
        for (int i = 0; i < attempts; i++) {
            batch.recordAttempt();
        }
        acc.complete(batch, 0, -1);
    }
}
