package io.strata.storage.log;

import io.strata.records.RecordBatch;
import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class PartitionLogReadWriteTest {

    @TempDir
    Path dir;
    Logs logs;
    PartitionLog log;

    @BeforeEach
    void start() {
        logs = Logs.start(new MutableClock(1_000_000), dir);
        log = logs.log("orders", 0, LogConfig.defaults());
    }

    @AfterEach
    void stop() {
        logs.close();
    }

    @Test
    void appendAssignsConsecutiveOffsetsAndStampsThemWithTheEpoch() {
        ByteBuffer two = TestBatches.concat(TestBatches.batch(3, 10, 5), TestBatches.batch(2, 10, 7));
        LogAppendInfo first = log.append(two, 4);
        LogAppendInfo second = log.append(TestBatches.batch(1, 10, 6), 4);

        assertThat(first).isEqualTo(new LogAppendInfo(0, 4, 7, 2, 0, false));
        assertThat(second).isEqualTo(new LogAppendInfo(5, 5, 6, 1, 0, false));
        assertThat(two.hasRemaining()).as("the append consumes the buffer").isFalse();
        assertThat(log.logEndOffset()).isEqualTo(6);

        ByteBuffer read = log.read(0, 1 << 20).batches();
        assertThat(TestBatches.baseOffsets(read)).containsExactly(0L, 3L, 5L);
        assertThat(TestBatches.validBatches(read)).as("stamping keeps the CRC valid").isEqualTo(3);
        for (int p = 0; p < read.limit(); p += RecordBatch.sizeInBytes(read, p)) {
            assertThat(RecordBatch.partitionLeaderEpoch(read, p)).isEqualTo(4);
        }
    }

    @Test
    void readReturnsTheBytesAsAppended() {
        ByteBuffer original = TestBatches.batch(5, 100, 42);
        ByteBuffer copy = ByteBuffer.allocate(original.remaining()).put(original.duplicate()).flip();
        log.append(copy, 0);

        LogReadResult r = log.read(0, 1 << 20);

        assertThat(r.batches().position()).isZero();
        assertThat(r.batches().hasArray()).isTrue();
        assertThat(r.batches()).isEqualTo(copy.flip()); // stamped copy: offset 0, epoch 0
        assertThat(r.nextOffset()).isEqualTo(5);
        assertThat(r.logStartOffset()).isZero();
        assertThat(r.logEndOffset()).isEqualTo(5);
    }

    @Test
    void readFromTheMiddleOfABatchReturnsTheWholeContainingBatch() {
        log.append(TestBatches.batch(10, 10, 1), 0);
        log.append(TestBatches.batch(10, 10, 2), 0);
        log.append(TestBatches.batch(10, 10, 3), 0);

        LogReadResult r = log.read(15, 1 << 20);

        assertThat(TestBatches.baseOffsets(r.batches())).containsExactly(10L, 20L);
        assertThat(r.nextOffset()).isEqualTo(30);
    }

    @Test
    void readStopsBeforeExceedingMaxBytesButReturnsAtLeastOneBatch() {
        for (int i = 0; i < 5; i++) {
            log.append(TestBatches.batch(1, 1000 - RecordBatch.HEADER_SIZE, i), 0); // 1000-byte batches
        }

        assertThat(TestBatches.baseOffsets(log.read(0, 2999).batches())).containsExactly(0L, 1L);
        assertThat(TestBatches.baseOffsets(log.read(0, 3000).batches())).containsExactly(0L, 1L, 2L);
        LogReadResult tiny = log.read(1, 10);
        assertThat(TestBatches.baseOffsets(tiny.batches())).containsExactly(1L);
        assertThat(tiny.batches().remaining()).isEqualTo(1000);
        assertThat(tiny.nextOffset()).isEqualTo(2);
        assertThat(TestBatches.validBatches(log.read(3, 0).batches())).isEqualTo(1);
    }

    @Test
    void aBatchLargerThanMaxBytesIsReadWholeWhenTheSupplierReusesOneBuffer() {
        for (int i = 0; i < 2; i++) {
            log.append(TestBatches.batch(1, 5000 - RecordBatch.HEADER_SIZE, i), 0);
        }
        ByteBuffer pooled = ByteBuffer.allocateDirect(1 << 16); // as the gRPC layer's per-thread scratch buffer

        LogReadResult r = log.read(0, 100, size -> pooled.clear().limit(size));

        assertThat(TestBatches.baseOffsets(r.batches())).containsExactly(0L);
        assertThat(r.batches().remaining()).isEqualTo(5000);
        assertThat(TestBatches.validBatches(r.batches())).isEqualTo(1);
    }

    @Test
    void readAtTheLogEndIsEmpty() {
        log.append(TestBatches.batch(2, 10, 1), 0);

        LogReadResult r = log.read(2, 1000);

        assertThat(r.batches().remaining()).isZero();
        assertThat(r.nextOffset()).isEqualTo(2);
        assertThat(log.read(0, 1000).nextOffset()).isEqualTo(2);
    }

    @Test
    void readOutsideTheLogIsOutOfRangeOnBothSides() {
        log.append(TestBatches.batch(2, 10, 1), 0);

        assertThatThrownBy(() -> log.read(3, 1000)).isInstanceOf(OffsetOutOfRangeException.class)
                .hasMessageContaining("3").hasMessageContaining("[0, 2]");
        assertThatThrownBy(() -> log.read(-1, 1000)).isInstanceOf(OffsetOutOfRangeException.class);
    }

    @Test
    void appendRejectsBytesThatAreNotWholeBatches() {
        ByteBuffer torn = TestBatches.batch(2, 10, 1);
        torn.limit(torn.limit() - 1);
        ByteBuffer wrongMagic = TestBatches.batch(1, 10, 1);
        wrongMagic.put(io.strata.records.RecordBatch.MAGIC_OFFSET, (byte) 9);

        assertThatThrownBy(() -> log.append(torn, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> log.append(wrongMagic, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("malformed batch header");
        assertThatThrownBy(() -> log.append(ByteBuffer.allocate(0), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(log.logEndOffset()).isZero();
        assertThat(log.append(TestBatches.batch(1, 10, 1), 0).firstOffset()).isZero();
    }

    @Test
    void appendAfterCloseFailsWithTheStorageException() {
        log.close();

        assertThatThrownBy(() -> log.append(TestBatches.batch(1, 10, 1), 0))
                .isInstanceOf(LogStorageException.class).hasMessageContaining("closed");
    }

    @Test
    void anIoErrorMakesEveryLaterAppendFail() throws Exception {
        log.append(TestBatches.batch(1, 10, 1), 0);
        // Pull the directory away under the log: the next roll cannot create its segment.
        log.updateConfig(LogConfig.defaults().withSegmentBytes(14));
        Path moved = dir.resolve("elsewhere");
        java.nio.file.Files.move(log.dir(), moved);
        try {
            assertThatThrownBy(() -> log.append(TestBatches.batch(1, 10, 2), 0))
                    .isInstanceOf(LogStorageException.class).hasCauseInstanceOf(java.io.IOException.class);
        } finally {
            java.nio.file.Files.move(moved, log.dir());
        }
        assertThatThrownBy(() -> log.append(TestBatches.batch(1, 10, 3), 0))
                .isInstanceOf(LogStorageException.class).hasMessageContaining("failed earlier");
        assertThat(TestBatches.baseOffsets(log.read(0, 1000).batches())).containsExactly(0L);
    }

    @Test
    void concurrentReadersOnlyEverSeeWholeBatches() throws Exception {
        log.updateConfig(LogConfig.defaults().withSegmentBytes(20_000));
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread reader = new Thread(() -> {
                try {
                    long next = 0;
                    while (!done.get() || next < log.logEndOffset()) {
                        LogReadResult r = log.read(next, 3000);
                        TestBatches.validBatches(r.batches());
                        if (r.batches().hasRemaining()) {
                            assertThat(TestBatches.baseOffsets(r.batches()).getFirst()).isLessThanOrEqualTo(next);
                        }
                        next = r.nextOffset();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            reader.start();
            readers.add(reader);
        }
        for (int i = 0; i < 2000; i++) {
            log.append(TestBatches.batch(1 + i % 5, 50, i), 0);
        }
        done.set(true);
        for (Thread r : readers) {
            r.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(log.segmentCount()).isGreaterThan(10);
    }
}
